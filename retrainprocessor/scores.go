package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/delta"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// The score signal: histograms of prediction scores in [0, 1], explicit or exponential, delta or
// cumulative, into each model's score ring (window.Scores). A point that says it holds a score
// outside [0, 1] (its min or max, or a count in a bucket that lies outside) is bad_value.

func (p *retrainProcessor) ingestScore(sc *scratch, m *model, metric pmetric.Metric, now int64) {
	switch metric.Type() {
	case pmetric.MetricTypeHistogram:
		h := metric.Histogram()
		cumulative := h.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := h.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p.ingestScoreHistogram(sc, m, dps.At(i), cumulative, now)
		}
	case pmetric.MetricTypeExponentialHistogram:
		h := metric.ExponentialHistogram()
		cumulative := h.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := h.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p.ingestScoreExponential(sc, m, dps.At(i), cumulative, now)
		}
	default:
		sc.skipped[reasonUnknownType] += int64(pointCount(metric))
	}
}

// aboveOne reports whether a bucket whose lower bound is 1 or more, holding only scores above 1,
// has a count: bucket i covers (bounds[i-1], bounds[i]].
func aboveOne(bounds []float64, counts []uint64) bool {
	for i := len(bounds) - 1; i >= 0 && bounds[i] >= 1; i-- {
		if counts[i+1] > 0 {
			return true
		}
	}
	return false
}

// maxScoreBuckets bounds the buckets of a score histogram point: a ring slot keeps one count per
// bucket, and the drift statistics merge them into at most bins (default 10) anyway.
const maxScoreBuckets = 256

// scoreRange reports whether a point's min and max, where it has them, lie in [0, 1].
func scoreRange(hasMin bool, lo float64, hasMax bool, hi float64) bool {
	return (!hasMin || lo >= 0) && (!hasMax || hi <= 1)
}

func (p *retrainProcessor) ingestScoreHistogram(sc *scratch, m *model, dp pmetric.HistogramDataPoint, cumulative bool, now int64) {
	if !scoreRange(dp.HasMin(), dp.Min(), dp.HasMax(), dp.Max()) {
		sc.skipped[reasonBadValue]++
		return
	}
	if !p.hasBuckets(sc, dp, signalScore) {
		return
	}
	if dp.BucketCounts().Len() > maxScoreBuckets {
		sc.skipped[reasonOverMaxBucketsPerPoint]++
		return
	}
	bounds, counts := dp.ExplicitBounds(), dp.BucketCounts()
	held := m.scores.Bounds()
	if !sameBounds(bounds, 1, held) {
		if held = sc.newBounds(bounds, 1, cumulative, &m.otherScoreBounds); held == nil {
			sc.skipped[reasonBadValue]++
			return
		}
	}
	var total uint64
	var ok bool
	sc.counts, total, ok = copyCounts(sc.counts, counts)
	if !ok || total != dp.Count() || aboveOne(held, sc.counts) {
		sc.skipped[reasonBadValue]++
		return
	}
	sc.hist.point = delta.HistogramPoint{Count: total, Bounds: held, Buckets: sc.counts}
	t := p.pointTime(dp.Timestamp(), now)
	step(scoreHistograms{}, sc, m, cumulative, dp.Attributes(), int64(dp.StartTimestamp()), t, &sc.hist.point, &sc.hist.inc)
}

func (p *retrainProcessor) ingestScoreExponential(sc *scratch, m *model, dp pmetric.ExponentialHistogramDataPoint, cumulative bool, now int64) {
	if !scoreRange(dp.HasMin(), dp.Min(), dp.HasMax(), dp.Max()) {
		sc.skipped[reasonBadValue]++
		return
	}
	if !p.exponentialCounts(sc, dp) {
		return
	}
	// Bucket index i covers (base^i, base^(i+1)]: from index 0 up, every score is above 1.
	pos := dp.Positive()
	for i, c := range sc.counts {
		if c > 0 && int64(pos.Offset())+int64(i) >= 0 {
			sc.skipped[reasonBadValue]++
			return
		}
	}
	sc.exp.point = delta.ExponentialPoint{Count: dp.Count(), Zero: dp.ZeroCount(), Scale: dp.Scale(), Offset: pos.Offset(), Buckets: sc.counts}
	step(scoreExponentials{}, sc, m, cumulative, dp.Attributes(), int64(dp.StartTimestamp()), p.pointTime(dp.Timestamp(), now), &sc.exp.point, &sc.exp.inc)
}

// scoreHistograms are explicit-bucket score histograms.
type scoreHistograms struct{}

func (scoreHistograms) signal() int                       { return signalScore }
func (scoreHistograms) stream() uint8                     { return streamHist }
func (scoreHistograms) state(st *stream) *delta.Histogram { return &st.hist }
func (scoreHistograms) add(m *model, _, t int64, p *delta.HistogramPoint) window.Result {
	return m.scores.AddExplicit(t, p.Bounds, p.Buckets, p.Count)
}

// scoreExponentials are exponential score histograms.
type scoreExponentials struct{}

func (scoreExponentials) signal() int                         { return signalScore }
func (scoreExponentials) stream() uint8                       { return streamExp }
func (scoreExponentials) state(st *stream) *delta.Exponential { return &st.exp }
func (scoreExponentials) add(m *model, _, t int64, p *delta.ExponentialPoint) window.Result {
	return m.scores.AddExponential(t, p.Scale, p.Offset, p.Buckets, p.Zero, p.Count)
}
