package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"math"
	"slices"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/delta"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// step takes one histogram, exponential histogram or monotonic sum point *p, covering
// (start, t], into m's window, whatever its kind K: a delta point as it comes, a cumulative one
// as its increase *inc over the previous point of its stream. Both points live in the scratch:
// they escape through the generic dictionary (delta.Next).
func step[P any, S delta.Kind[P], K kind[P, S]](k K, sc *scratch, m *model, cumulative bool, attrs pcommon.Map, start, t int64, p, inc *P) {
	if !cumulative {
		sc.count(k.add(m, deltaStart(start, t), t, p), k.signal())
		return
	}
	st := m.streams.get(sc.series.key(attrs), k.stream())
	if st == nil {
		sc.skipped[reasonOverMaxStreamsPerModel]++
		return
	}
	prev, r := delta.Next(&st.clock, k.state(st), start, t, p, inc)
	switch r {
	case delta.Stale:
		sc.skipped[reasonOutOfOrder]++
	case delta.Reset:
		sc.skipped[reasonReset]++
	case delta.Delta:
		sc.count(k.add(m, prev, t, inc), k.signal())
	}
}

// deltaStart is a delta point's start time, or t when it has none or it is after t.
func deltaStart(start, t int64) int64 {
	if start <= 0 || start > t {
		return t
	}
	return start
}

// kind is one kind of point step takes: P the point, S the state its cumulative streams keep.
type kind[P any, S delta.Kind[P]] interface {
	signal() int
	// stream is the kind's stream.inUse.
	stream() uint8
	// state is the kind's part of st.
	state(st *stream) S
	// add puts p, covering (start, t], into m's window.
	add(m *model, start, t int64, p *P) window.Result
}

// histograms are explicit-bucket latency histograms, their bounds already in ms.
type histograms struct{}

func (histograms) signal() int                       { return signalLatency }
func (histograms) stream() uint8                     { return streamHist }
func (histograms) state(st *stream) *delta.Histogram { return &st.hist }
func (histograms) add(m *model, start, t int64, p *delta.HistogramPoint) window.Result {
	return m.window.AddExplicit(start, t, p.Bounds, p.Buckets, p.Count)
}

// exponentials are exponential latency histograms; factor converts their unit to ms.
type exponentials struct{ factor float64 }

func (exponentials) signal() int                         { return signalLatency }
func (exponentials) stream() uint8                       { return streamExp }
func (exponentials) state(st *stream) *delta.Exponential { return &st.exp }
func (k exponentials) add(m *model, start, t int64, p *delta.ExponentialPoint) window.Result {
	return m.window.AddExponential(start, t, k.factor, p.Scale, p.Offset, p.Buckets, p.Zero, p.Count)
}

// sums are monotonic prediction counters.
type sums struct{}

func (sums) signal() int                 { return signalThroughput }
func (sums) stream() uint8               { return streamSum }
func (sums) state(st *stream) *delta.Sum { return &st.sum }
func (sums) add(m *model, start, t int64, p *delta.SumPoint) window.Result {
	return m.window.AddCount(start, t, p.Value)
}

// msPerUnit converts a latency metric's UCUM unit to milliseconds; no unit means ms.
func msPerUnit(unit string) (float64, bool) {
	switch unit {
	case "", "ms":
		return 1, true
	case "s":
		return 1e3, true
	case "us", "µs", "μs":
		return 1e-3, true
	case "ns":
		return 1e-6, true
	case "min":
		return 6e4, true
	}
	return 0, false
}

func (p *retrainProcessor) ingestLatency(sc *scratch, m *model, metric pmetric.Metric, now int64) {
	factor, ok := msPerUnit(metric.Unit())
	if !ok {
		sc.skipped[reasonUnknownUnit] += int64(pointCount(metric))
		return
	}
	switch metric.Type() {
	case pmetric.MetricTypeHistogram:
		h := metric.Histogram()
		cumulative := h.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := h.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p.ingestHistogram(sc, m, dps.At(i), cumulative, factor, now)
		}
	case pmetric.MetricTypeExponentialHistogram:
		h := metric.ExponentialHistogram()
		cumulative := h.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := h.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p.ingestExponential(sc, m, dps.At(i), cumulative, factor, now)
		}
	case pmetric.MetricTypeGauge:
		dps := metric.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			v, ok := numberValue(dp)
			if !ok || v < 0 {
				sc.skipped[reasonBadValue]++
				continue
			}
			sc.count(m.window.AddSample(p.pointTime(dp.Timestamp(), now), v*factor), signalLatency)
		}
	default:
		sc.skipped[reasonUnknownType] += int64(pointCount(metric))
	}
}

// hasBuckets sorts out an explicit histogram point of signal before its buckets are read: one with
// no recorded value, too many buckets or counts that do not fit its bounds is skipped; an empty
// one carries no observation and no layout, and counts as aggregated. It reports whether the
// point has buckets to add.
func (p *retrainProcessor) hasBuckets(sc *scratch, dp pmetric.HistogramDataPoint, signal int) bool {
	nb, nc := dp.ExplicitBounds().Len(), dp.BucketCounts().Len()
	switch {
	case dp.Flags().NoRecordedValue():
		sc.skipped[reasonBadValue]++
	case nc == 0 && dp.Count() == 0:
		sc.aggregated[signal]++
	case max(nc, nb+1) > p.cfg.MaxBucketsPerPoint:
		sc.skipped[reasonOverMaxBucketsPerPoint]++
	case nc != nb+1:
		sc.skipped[reasonBadValue]++
	default:
		return true
	}
	return false
}

func (p *retrainProcessor) ingestHistogram(sc *scratch, m *model, dp pmetric.HistogramDataPoint, cumulative bool, factor float64, now int64) {
	if !p.hasBuckets(sc, dp, signalLatency) {
		return
	}
	bounds, counts := dp.ExplicitBounds(), dp.BucketCounts()
	// Points of a model nearly always carry the bounds its window already holds: then they were
	// validated when adopted and need no copy.
	ms := m.window.Bounds()
	t := p.pointTime(dp.Timestamp(), now)
	start := int64(dp.StartTimestamp())
	if !cumulative {
		start = deltaStart(start, t)
		// The common case in one pass: compare the bounds and add the counts straight into
		// the slot; anything unusual takes the path below.
		if len(ms) == bounds.Len() && m.window.AddExplicitFrom(start, t, ms, func(dst []uint64) (uint64, bool) {
			return addCounts(dst, counts, bounds, factor, ms, dp.Count())
		}) {
			sc.aggregated[signalLatency]++
			return
		}
	}
	if !sameBounds(bounds, factor, ms) {
		if ms = sc.newBounds(bounds, factor, cumulative, &m.otherBounds); ms == nil {
			sc.skipped[reasonBadValue]++
			return
		}
	}
	var total uint64
	var ok bool
	sc.counts, total, ok = copyCounts(sc.counts, counts)
	if !ok || total != dp.Count() {
		sc.skipped[reasonBadValue]++
		return
	}
	sc.hist.point = delta.HistogramPoint{Count: total, Bounds: ms, Buckets: sc.counts}
	step(histograms{}, sc, m, cumulative, dp.Attributes(), start, t, &sc.hist.point, &sc.hist.inc)
}

func (p *retrainProcessor) ingestExponential(sc *scratch, m *model, dp pmetric.ExponentialHistogramDataPoint, cumulative bool, factor float64, now int64) {
	if !p.exponentialCounts(sc, dp) {
		return
	}
	sc.exp.point = delta.ExponentialPoint{Count: dp.Count(), Zero: dp.ZeroCount(), Scale: dp.Scale(), Offset: dp.Positive().Offset(), Buckets: sc.counts}
	step(exponentials{factor}, sc, m, cumulative, dp.Attributes(), int64(dp.StartTimestamp()), p.pointTime(dp.Timestamp(), now), &sc.exp.point, &sc.exp.inc)
}

// exponentialCounts checks an exponential histogram point and copies its positive bucket counts
// into sc.counts; a bad point is counted as skipped and reported false. Negative buckets must be
// empty: neither a latency nor a score is negative.
func (p *retrainProcessor) exponentialCounts(sc *scratch, dp pmetric.ExponentialHistogramDataPoint) bool {
	if dp.Flags().NoRecordedValue() {
		sc.skipped[reasonBadValue]++
		return false
	}
	if scale := dp.Scale(); scale < quantile.MinScale || scale > quantile.MaxScale {
		sc.skipped[reasonBadValue]++
		return false
	}
	pos, neg := dp.Positive().BucketCounts(), dp.Negative().BucketCounts()
	if pos.Len()+neg.Len() > p.cfg.MaxBucketsPerPoint {
		sc.skipped[reasonOverMaxBucketsPerPoint]++
		return false
	}
	for i := 0; i < neg.Len(); i++ {
		if neg.At(i) != 0 {
			sc.skipped[reasonBadValue]++
			return false
		}
	}
	var total uint64
	var ok bool
	sc.counts, total, ok = copyCounts(sc.counts, pos)
	total += dp.ZeroCount()
	if !ok || total < dp.ZeroCount() || total != dp.Count() {
		sc.skipped[reasonBadValue]++
		return false
	}
	return true
}

func (p *retrainProcessor) ingestThroughput(sc *scratch, m *model, metric pmetric.Metric, now int64) {
	switch metric.Type() {
	case pmetric.MetricTypeSum:
		sum := metric.Sum()
		if !sum.IsMonotonic() {
			sc.skipped[reasonUnknownType] += int64(sum.DataPoints().Len())
			return
		}
		cumulative := sum.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := sum.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			v, ok := numberValue(dp)
			if !ok || v < 0 {
				sc.skipped[reasonBadValue]++
				continue
			}
			sc.sum.point = delta.SumPoint{Value: v}
			step(sums{}, sc, m, cumulative, dp.Attributes(), int64(dp.StartTimestamp()), p.pointTime(dp.Timestamp(), now), &sc.sum.point, &sc.sum.inc)
		}
	case pmetric.MetricTypeGauge:
		dps := metric.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			v, ok := numberValue(dp)
			if !ok || v < 0 {
				sc.skipped[reasonBadValue]++
				continue
			}
			sc.count(m.window.AddRate(p.pointTime(dp.Timestamp(), now), v), signalThroughput)
		}
	default:
		sc.skipped[reasonUnknownType] += int64(pointCount(metric))
	}
}

func (p *retrainProcessor) ingestAccuracy(sc *scratch, m *model, metric pmetric.Metric, now int64) {
	if metric.Type() != pmetric.MetricTypeGauge {
		sc.skipped[reasonUnknownType] += int64(pointCount(metric))
		return
	}
	dps := metric.Gauge().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		dp := dps.At(i)
		v, ok := numberValue(dp)
		if !ok || v < 0 || v > 1 {
			sc.skipped[reasonBadValue]++
			continue
		}
		sc.count(m.window.AddAccuracy(p.pointTime(dp.Timestamp(), now), v), signalAccuracy)
	}
}

// newBounds returns a point's bounds, times factor, that its model's ring does not hold: in the
// scratch, or, for a cumulative stream, which keeps them by reference (delta.HistogramPoint), in
// *other, the model's copy of the last such bounds, which nobody changes. It returns nil when a
// bound is NaN, infinite or negative, or they do not increase.
func (sc *scratch) newBounds(bounds pcommon.Float64Slice, factor float64, cumulative bool, other *[]float64) []float64 {
	sc.bounds = sc.bounds[:0]
	prev := 0.0
	for i := 0; i < bounds.Len(); i++ {
		b := bounds.At(i)
		if math.IsNaN(b) || math.IsInf(b, 0) || b < 0 || (i > 0 && b <= prev) {
			return nil
		}
		prev = b
		sc.bounds = append(sc.bounds, b*factor)
	}
	if !cumulative {
		return sc.bounds
	}
	if !slices.Equal(*other, sc.bounds) {
		*other = slices.Clone(sc.bounds)
	}
	return *other
}

// sameBounds reports whether a point's bounds, converted to ms, are the window's.
func sameBounds(bounds pcommon.Float64Slice, factor float64, ms []float64) bool {
	if bounds.Len() != len(ms) || len(ms) == 0 {
		return false
	}
	for i, b := range ms {
		if bounds.At(i)*factor != b {
			return false
		}
	}
	return true
}

// addCounts adds a delta point's bucket counts into dst when its bounds, converted to ms, are ms
// and its counts sum to want; otherwise it takes back what it added and returns false. The
// caller checked len(ms) == bounds.Len() and len(dst) == counts.Len() == len(ms)+1.
func addCounts(dst []uint64, counts pcommon.UInt64Slice, bounds pcommon.Float64Slice, factor float64, ms []float64, want uint64) (uint64, bool) {
	var total uint64
	same, overflow := true, false
	for i, b := range ms {
		if bounds.At(i)*factor != b {
			same = false
		}
		c := counts.At(i)
		total += c
		overflow = overflow || total < c
		dst[i] += c
	}
	last := counts.At(len(ms))
	total += last
	overflow = overflow || total < last
	dst[len(ms)] += last
	if same && !overflow && total == want {
		return total, true
	}
	for i := range dst {
		dst[i] -= counts.At(i) // exact, even if the add wrapped around
	}
	return 0, false
}

// copyCounts copies a point's bucket counts into buf (grown as needed) and sums them, in one pass;
// ok is false when the sum overflows.
func copyCounts(buf []uint64, counts pcommon.UInt64Slice) (_ []uint64, total uint64, ok bool) {
	n := counts.Len()
	if cap(buf) < n {
		buf = make([]uint64, n, max(n, 2*cap(buf)))
	}
	buf = buf[:n]
	overflow := false
	for i := range buf {
		c := counts.At(i)
		total += c
		overflow = overflow || total < c
		buf[i] = c
	}
	return buf, total, !overflow
}

// numberValue reads a number point; NaN, ±Inf, no value and the no-recorded-value flag are bad.
func numberValue(dp pmetric.NumberDataPoint) (float64, bool) {
	if dp.Flags().NoRecordedValue() {
		return 0, false
	}
	var v float64
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeDouble:
		v = dp.DoubleValue()
	case pmetric.NumberDataPointValueTypeInt:
		v = float64(dp.IntValue())
	default:
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}
