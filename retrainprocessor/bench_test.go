package retrainprocessor

// Benchmarks of issue 5. Every figure has its baseline in the same binary and run:
//
//	BenchmarkIngest/.../stage=unmarshal    the floor: OTLP protobuf decoding of the same payload
//	BenchmarkIngest/.../stage=passthrough  a processorhelper processor returning the data unchanged
//	                                       (passthrough_test.go)
//	BenchmarkIngest/.../stage=mutate       what the benchmark itself spends moving a cumulative
//	                                       payload on (included in stage=retrain; subtract it)
//	BenchmarkIngest/.../stage=retrain      the processor's ConsumeMetrics, next = consumertest.NewNop
//
// `make bench` runs them with -cpu=1 -count=5 and prints medians against the targets.

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// benchStep is how far time moves between two requests of a cumulative benchmark payload: an SDK
// exporting every second. Each 60 s slot then takes 60 requests before it is recycled.
const benchStep = time.Second

// benchStart is the start time of every cumulative stream: the serving app's process start.
var benchStart = t0.Add(-time.Hour)

func benchConfig() *Config {
	cfg := testConfig()
	cfg.MaxModels = 1 << 20
	// The health metrics are pdata built per model at every tick; BenchmarkTickHealth measures
	// them. The other figures are the evaluation's own, as before the health metrics.
	cfg.HealthMetrics.Enabled = false
	return cfg
}

// benchProcessor is the processor built by the real factory into a metrics and a logs pipeline
// whose next consumers are nops, with production telemetry (an SDK meter provider). Its ticker
// never fires: benchmarks call evaluate.
type benchProcessor struct {
	mp    processor.Metrics
	p     *retrainProcessor
	tel   *componenttest.Telemetry
	clock *clock
}

func newBenchProcessor(tb testing.TB, cfg *Config, now time.Time) *benchProcessor {
	tb.Helper()
	require.NoError(tb, cfg.Validate())
	ctx := context.Background()
	bp := &benchProcessor{tel: componenttest.NewTelemetry(), clock: newClock(now)}
	f := NewFactory()
	set := metadatatest.NewSettings(bp.tel)
	var err error
	bp.mp, err = f.CreateMetrics(ctx, set, cfg, consumertest.NewNop())
	require.NoError(tb, err)
	lp, err := f.CreateLogs(ctx, set, cfg, consumertest.NewNop())
	require.NoError(tb, err)
	bp.p = bp.mp.(*metricsProcessor).shared
	bp.p.now = bp.clock.now
	bp.p.wait = func(time.Duration) <-chan time.Time { return nil }
	host := componenttest.NewNopHost()
	require.NoError(tb, bp.mp.Start(ctx, host))
	require.NoError(tb, lp.Start(ctx, host))
	tb.Cleanup(func() {
		require.NoError(tb, bp.mp.Shutdown(ctx))
		require.NoError(tb, lp.Shutdown(ctx))
		require.NoError(tb, bp.tel.Shutdown(ctx))
	})
	return bp
}

func (bp *benchProcessor) consume(tb testing.TB, md pmetric.Metrics) {
	if err := bp.mp.ConsumeMetrics(context.Background(), md); err != nil {
		tb.Fatal(err)
	}
}

// counter is the total of one of the processor's own int64 counters over all attributes.
func (bp *benchProcessor) counter(tb testing.TB, name string) int64 {
	tb.Helper()
	m, err := bp.tel.GetMetric(name)
	if err != nil {
		return 0 // not recorded yet
	}
	var n int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		n += dp.Value
	}
	return n
}

func (bp *benchProcessor) aggregated(tb testing.TB) int64 {
	return bp.counter(tb, "otelcol_processor_retrain_data_points")
}

func (bp *benchProcessor) skipped(tb testing.TB) int64 {
	return bp.counter(tb, "otelcol_processor_retrain_data_points_skipped")
}

// benchPayload is a request of one data point per model, one resource per model, one signal.
type benchPayload struct {
	md         pmetric.Metrics
	points     int
	cumulative bool
	at         int64 // the points' timestamp, unix ns

	// The points a cumulative payload moves on at each request.
	hist []pmetric.HistogramDataPoint
	exp  []pmetric.ExponentialHistogramDataPoint
	sums []pmetric.NumberDataPoint
}

const (
	benchExplicitBuckets    = 16
	benchExponentialBuckets = 160
	// Score histograms: explicit bounds 0.05, 0.10, …, 0.95 (20 buckets); exponential at scale 3
	// with 160 buckets ending at 1, offset -160: scores in (2^-20, 1].
	benchScoreBuckets            = 20
	benchScoreExponentialBuckets = 160
)

// benchScoreBounds are an app's View for the score histogram: 0.05 to 0.95 in steps of 0.05, so
// the default decision threshold 0.5 is a bound.
var benchScoreBounds = func() []float64 {
	b := make([]float64, benchScoreBuckets-1)
	for i := range b {
		b[i] = float64(i+1) / benchScoreBuckets
	}
	return b
}()

func benchResource(rm pmetric.ResourceMetrics, i int) pmetric.ScopeMetrics {
	attrs := rm.Resource().Attributes()
	attrs.PutStr("service.name", fmt.Sprintf("serving-%d", i%50))
	attrs.PutStr("ml.model.id", fmt.Sprintf("model-%06d", i))
	attrs.PutStr("ml.model.version", "3")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("github.com/acme/serving")
	sm.Scope().SetVersion("1.4.0")
	return sm
}

// newBenchPayload builds the payload of one signal for models 0..models-1 at time at: per model a
// resource with one metric of series data points, told apart by a route attribute when more than
// one. signal: explicit (16 buckets) or exponential (160 buckets) latency histogram, sum
// (prediction counter), gauge (accuracy), or score-explicit (20 buckets, benchScoreBounds) or
// score-exponential (160 buckets) score histogram. temporality: delta or cumulative (ignored for
// gauge).
func newBenchPayload(signal, temporality string, models, series int, at time.Time) *benchPayload {
	cumulative := temporality == "cumulative"
	pl := &benchPayload{md: pmetric.NewMetrics(), points: models * series, cumulative: cumulative && signal != "gauge", at: at.UnixNano()}
	temp := pmetric.AggregationTemporalityDelta
	start := pcommon.NewTimestampFromTime(at.Add(-benchStep))
	if cumulative {
		temp = pmetric.AggregationTemporalityCumulative
		start = pcommon.NewTimestampFromTime(benchStart)
	}
	ts := pcommon.Timestamp(pl.at)
	pl.md.ResourceMetrics().EnsureCapacity(models)
	for i := range models {
		m := benchResource(pl.md.ResourceMetrics().AppendEmpty(), i).Metrics().AppendEmpty()
		for k := range series {
			attrs := pl.appendPoint(m, signal, temp, start, ts, i+k)
			if series > 1 {
				attrs.PutStr("http.route", fmt.Sprintf("/v1/predict/%d", k))
			}
		}
	}
	return pl
}

// appendPoint appends one data point of signal to m, typing m on the first; i varies the counts.
// It returns the point's attributes.
func (pl *benchPayload) appendPoint(m pmetric.Metric, signal string, temp pmetric.AggregationTemporality, start, ts pcommon.Timestamp, i int) pcommon.Map {
	switch signal {
	case "explicit":
		dp := pl.explicitPoint(m, "ml.model.latency", "ms", temp, start, ts, sdkBounds, i)
		dp.SetSum(float64(dp.Count()) * 40)
		return dp.Attributes()
	case "exponential":
		dp := pl.exponentialPoint(m, "ml.model.latency", "ms", temp, start, ts, 0, benchExponentialBuckets, i)
		dp.SetSum(float64(dp.Count()) * 40)
		return dp.Attributes()
	case "score-explicit":
		// As the Go SDK exports it with a View setting benchScoreBounds: sum, min and max recorded.
		dp := pl.explicitPoint(m, "ml.model.score", "1", temp, start, ts, benchScoreBounds, i)
		dp.SetSum(float64(dp.Count()) * 0.5)
		dp.SetMin(0.01)
		dp.SetMax(0.99)
		return dp.Attributes()
	case "score-exponential":
		dp := pl.exponentialPoint(m, "ml.model.score", "1", temp, start, ts, -benchScoreExponentialBuckets, benchScoreExponentialBuckets, i)
		dp.SetSum(float64(dp.Count()) * 0.5)
		dp.SetMin(0.01)
		dp.SetMax(0.99)
		return dp.Attributes()
	case "sum":
		if m.Type() != pmetric.MetricTypeSum {
			m.SetName("ml.model.predictions")
			m.SetUnit("{prediction}")
			s := m.SetEmptySum()
			s.SetIsMonotonic(true)
			s.SetAggregationTemporality(temp)
		}
		dp := m.Sum().DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.SetIntValue(int64(1000 + i))
		pl.sums = append(pl.sums, dp)
		return dp.Attributes()
	case "gauge":
		if m.Type() != pmetric.MetricTypeGauge {
			m.SetName("ml.model.accuracy")
			m.SetUnit("1")
			m.SetEmptyGauge()
		}
		dp := m.Gauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(0.9 + float64(i%10)/100)
		return dp.Attributes()
	}
	panic("unknown signal " + signal)
}

// explicitPoint appends an explicit histogram point over bounds to m, named and typed on the
// first; i varies its counts.
func (pl *benchPayload) explicitPoint(m pmetric.Metric, name, unit string, temp pmetric.AggregationTemporality, start, ts pcommon.Timestamp, bounds []float64, i int) pmetric.HistogramDataPoint {
	if m.Type() != pmetric.MetricTypeHistogram {
		m.SetName(name)
		m.SetUnit(unit)
		m.SetEmptyHistogram().SetAggregationTemporality(temp)
	}
	dp := m.Histogram().DataPoints().AppendEmpty()
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(ts)
	dp.ExplicitBounds().FromRaw(bounds)
	counts := make([]uint64, len(bounds)+1)
	var total uint64
	for j := range counts {
		counts[j] = uint64(1 + (i+j)%9)
		total += counts[j]
	}
	dp.BucketCounts().FromRaw(counts)
	dp.SetCount(total)
	pl.hist = append(pl.hist, dp)
	return dp
}

// exponentialPoint appends an exponential histogram point at scale 3 with buckets positive
// buckets from offset to m, named and typed on the first; i varies its counts.
func (pl *benchPayload) exponentialPoint(m pmetric.Metric, name, unit string, temp pmetric.AggregationTemporality, start, ts pcommon.Timestamp, offset int32, buckets, i int) pmetric.ExponentialHistogramDataPoint {
	if m.Type() != pmetric.MetricTypeExponentialHistogram {
		m.SetName(name)
		m.SetUnit(unit)
		m.SetEmptyExponentialHistogram().SetAggregationTemporality(temp)
	}
	dp := m.ExponentialHistogram().DataPoints().AppendEmpty()
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(ts)
	dp.SetScale(3)
	dp.Positive().SetOffset(offset)
	counts := make([]uint64, buckets)
	var total uint64
	for j := range counts {
		counts[j] = uint64(1 + (i+j)%7)
		total += counts[j]
	}
	dp.Positive().BucketCounts().FromRaw(counts)
	dp.SetCount(total)
	pl.exp = append(pl.exp, dp)
	return dp
}

// advance moves a cumulative payload one export on, as the SDK's next export would: a later
// timestamp, and the lowest and highest buckets (or the counter) grown, so every delta spans the
// whole bucket range. Delta and gauge payloads stay as they are: their points are never stale.
func (pl *benchPayload) advance() { pl.advanceBy(benchStep) }

func (pl *benchPayload) advanceBy(d time.Duration) {
	if !pl.cumulative {
		return
	}
	pl.at += int64(d)
	ts := pcommon.Timestamp(pl.at)
	for _, dp := range pl.hist {
		dp.SetTimestamp(ts)
		bc := dp.BucketCounts()
		last := bc.Len() - 1
		bc.SetAt(0, bc.At(0)+1)
		bc.SetAt(last, bc.At(last)+1)
		dp.SetCount(dp.Count() + 2)
	}
	for _, dp := range pl.exp {
		dp.SetTimestamp(ts)
		bc := dp.Positive().BucketCounts()
		last := bc.Len() - 1
		bc.SetAt(0, bc.At(0)+1)
		bc.SetAt(last, bc.At(last)+1)
		dp.SetCount(dp.Count() + 2)
	}
	for _, dp := range pl.sums {
		dp.SetTimestamp(ts)
		dp.SetIntValue(dp.IntValue() + 2)
	}
}

func reportPerPoint(b *testing.B, iterations, points int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(iterations*points), "ns/point")
}

var benchIngestCases = []struct{ signal, temporality string }{
	{"explicit", "delta"},
	{"explicit", "cumulative"},
	{"exponential", "delta"},
	{"exponential", "cumulative"},
	{"sum", "delta"},
	{"sum", "cumulative"},
	{"gauge", "none"},
}

var benchModelCounts = []int{1, 100, 10000}

// BenchmarkIngest measures the processor's hot path in steady state: every model and stream
// exists, every slot of every ring has been written once, and every point of every request is
// aggregated into a window (checked after the loop with the processor's own telemetry).
// Each model is one resource with one data point.
func BenchmarkIngest(b *testing.B) {
	for _, c := range benchIngestCases {
		for _, models := range benchModelCounts {
			benchIngestStages(b, fmt.Sprintf("signal=%s/temporality=%s/models=%d", c.signal, c.temporality, models),
				func() *benchPayload { return newBenchPayload(c.signal, c.temporality, models, 1, t0) })
		}
	}
}

// benchScoreIngestCases are the score histograms as apps send them: the Go SDK's cumulative
// explicit histogram with a View's bounds, and a delta exponential one (as from an SDK set to
// delta temporality, or a collector's cumulativetodelta).
var benchScoreIngestCases = []struct{ signal, temporality string }{
	{"score-explicit", "cumulative"},
	{"score-exponential", "delta"},
}

// BenchmarkIngestScore is BenchmarkIngest for the score signal (ml.model.score), with the same
// stages, at 100 models only (to keep `make bench` short): allocs/op at 100 points must be the
// pass-through's, processorhelper's per request, so none per point.
func BenchmarkIngestScore(b *testing.B) {
	for _, c := range benchScoreIngestCases {
		benchIngestStages(b, fmt.Sprintf("signal=%s/temporality=%s/models=100", c.signal, c.temporality),
			func() *benchPayload { return newBenchPayload(c.signal, c.temporality, 100, 1, t0) })
	}
}

// BenchmarkIngestSeries is BenchmarkIngest with one model whose metric has 100 series (data
// points told apart by a route attribute): the cost per point once the per-resource work (model
// lookup and lock, resource hash) is shared by many points.
func BenchmarkIngestSeries(b *testing.B) {
	for _, temporality := range []string{"delta", "cumulative"} {
		benchIngestStages(b, fmt.Sprintf("signal=explicit/temporality=%s/models=1/series=100", temporality),
			func() *benchPayload { return newBenchPayload("explicit", temporality, 1, 100, t0) })
	}
}

// benchIngestStages runs the stages of one payload as sub-benchmarks name/stage=...
func benchIngestStages(b *testing.B, name string, payload func() *benchPayload) {
	b.Run(name+"/stage=unmarshal", func(b *testing.B) {
		pl := payload()
		buf, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(pl.md)
		require.NoError(b, err)
		var u pmetric.ProtoUnmarshaler
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if _, err := u.UnmarshalMetrics(buf); err != nil {
				b.Fatal(err)
			}
			n++
		}
		reportPerPoint(b, n, pl.points)
	})
	b.Run(name+"/stage=passthrough", func(b *testing.B) {
		next := newPassthrough(b)
		pl := payload()
		ctx := context.Background()
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if err := next.ConsumeMetrics(ctx, pl.md); err != nil {
				b.Fatal(err)
			}
			n++
		}
		reportPerPoint(b, n, pl.points)
	})
	if payload().cumulative {
		b.Run(name+"/stage=mutate", func(b *testing.B) {
			pl := payload()
			clk := newClock(t0)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				pl.advance()
				clk.ns.Store(pl.at)
				n++
			}
			reportPerPoint(b, n, pl.points)
		})
	}
	b.Run(name+"/stage=retrain", func(b *testing.B) {
		pl := payload()
		bp := newBenchProcessor(b, benchConfig(), t0)
		// Warm up: create the models, then (cumulative) set each stream's baseline and write
		// every slot of each ring once, so the loop sees the steady state only: no model, stream
		// or slot buffer is created inside it.
		bp.consume(b, pl.md)
		for range bp.p.layout.Span + 1 {
			pl.advanceBy(time.Duration(bp.p.layout.Width))
			bp.clock.ns.Store(pl.at)
			bp.consume(b, pl.md)
		}
		aggregated, skipped := bp.aggregated(b), bp.skipped(b)
		require.Zero(b, skipped, "warm-up skipped points")

		b.ReportAllocs()
		n := 0
		for b.Loop() {
			pl.advance()
			bp.clock.ns.Store(pl.at)
			bp.consume(b, pl.md)
			n++
		}
		reportPerPoint(b, n, pl.points)
		// Every point of every request must have reached a window; a stale or refused point
		// would make the figure meaningless.
		if got, want := bp.aggregated(b)-aggregated, int64(n*pl.points); got != want {
			b.Fatalf("%d points aggregated in %d requests of %d, want %d", got, n, pl.points, want)
		}
		if got := bp.skipped(b) - skipped; got != 0 {
			b.Fatalf("%d points skipped", got)
		}
	})
}

// BenchmarkPercentile is one model's percentile at evaluation: merge a full window of slots into
// a summary (window.Summarize) and take p99 (Summary.Quantile). slots=5 is the default layout
// (window 5m, evaluation_interval 60s); slots=60 is window 5m with evaluation_interval 5s.
// Every iteration is a tick: the window moves on by one slot, after a point was written into the
// slot that enters it (so the oldest one is recycled), as between two evaluations; the point's
// cost is part of the figure.
func BenchmarkPercentile(b *testing.B) {
	for _, kind := range []string{"explicit16", "exponential160"} {
		for _, interval := range []time.Duration{time.Minute, 5 * time.Second} {
			layout := window.NewLayout(5*time.Minute, interval)
			b.Run(fmt.Sprintf("kind=%s/slots=%d", kind, layout.Span), func(b *testing.B) {
				w := window.New(&layout)
				end := t0.UnixNano()
				counts := make([]uint64, benchExponentialBuckets)
				bounds := make([]float64, len(sdkBounds))
				copy(bounds, sdkBounds)
				// fill writes one point into the slot of epoch e; total is its count.
				var total uint64
				fill := func(e int64) window.Result {
					t := e*layout.Width + layout.Width/2
					total = 0
					switch kind {
					case "explicit16":
						for j := range benchExplicitBuckets {
							counts[j] = uint64(1 + (int(e)+j)%9)
							total += counts[j]
						}
						return w.AddExplicit(t-layout.Width/4, t, bounds, counts[:benchExplicitBuckets], total)
					default:
						for j := range counts {
							counts[j] = uint64(1 + (int(e)+j)%7)
							total += counts[j]
						}
						total += 2 // the zero bucket
						return w.AddExponential(t-layout.Width/4, t, 1, 3, 0, counts, 2, total)
					}
				}
				// Fill every slot of the ring, including the one being filled after end.
				for e := end/layout.Width - layout.Span; e <= end/layout.Width; e++ {
					require.Equal(b, window.Added, fill(e))
				}
				var s window.Summary
				w.Summarize(end, &s)
				require.NotZero(b, s.Count())
				p99, ok := s.Quantile(0.99)
				require.True(b, ok)
				require.Positive(b, p99.Value)

				b.ReportAllocs()
				for b.Loop() {
					end += layout.Width
					if fill(end/layout.Width) != window.Added {
						b.Fatal("point not added")
					}
					w.Summarize(end, &s)
					if _, ok := s.Quantile(0.99); !ok {
						b.Fatal("no p99")
					}
				}
				// The window holds exactly its last Span slots, one point each.
				var want uint64
				for e := end/layout.Width - layout.Span; e < end/layout.Width; e++ {
					fill(e) // the same point again, for its total (s is already taken)
					want += total
				}
				require.Equal(b, want, s.Count())
			})
		}
	}
}

// appChunk is the SDK-shaped request of models first..first+n-1: per model a resource with a
// cumulative explicit latency histogram (ms, 16 buckets), a cumulative prediction counter and an
// accuracy gauge, and (withScore) a cumulative explicit score histogram (benchScoreBounds, 20
// buckets). Latency stays within 25-50 ms, accuracy at 0.95 and the scores keep the confident
// shape benchScoreShape: healthy models, no jobs.
type appChunk struct {
	md     pmetric.Metrics
	points int
	hist   []pmetric.HistogramDataPoint
	sums   []pmetric.NumberDataPoint
	gauges []pmetric.NumberDataPoint
	scores []pmetric.HistogramDataPoint
}

// Which signals an appChunk carries. withAll is the three signals of issue 5; the score signal
// (the drift observers') is added with withScore.
const (
	withLatency = 1 << iota
	withThroughput
	withAccuracy
	withScore
	withAll = withLatency | withThroughput | withAccuracy
)

// benchScoreShape is one export's scores over the 20 buckets of benchScoreBounds, 200 in all:
// confident, most near 0 or 1. Its estimated accuracy (decision threshold 0.5) lies in
// [0.906, 0.956], above estimated_accuracy's default floor of 0.8 with either bound.
var benchScoreShape = [benchScoreBuckets]uint64{60, 20, 8, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 8, 24, 60}

func newAppChunk(first, n, signals int) *appChunk {
	c := &appChunk{md: pmetric.NewMetrics()}
	start := pcommon.NewTimestampFromTime(benchStart)
	c.md.ResourceMetrics().EnsureCapacity(n)
	for i := first; i < first+n; i++ {
		sm := benchResource(c.md.ResourceMetrics().AppendEmpty(), i)
		if signals&withLatency != 0 {
			c.hist = append(c.hist, cumulativeHistogram(sm, "ml.model.latency", "ms", start, sdkBounds))
		}
		if signals&withThroughput != 0 {
			m := sm.Metrics().AppendEmpty()
			m.SetName("ml.model.predictions")
			m.SetUnit("{prediction}")
			s := m.SetEmptySum()
			s.SetIsMonotonic(true)
			s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			dp := s.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(start)
			c.sums = append(c.sums, dp)
		}
		if signals&withAccuracy != 0 {
			m := sm.Metrics().AppendEmpty()
			m.SetName("ml.model.accuracy")
			m.SetUnit("1")
			dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
			dp.SetDoubleValue(0.95)
			c.gauges = append(c.gauges, dp)
		}
		if signals&withScore != 0 {
			dp := cumulativeHistogram(sm, "ml.model.score", "1", start, benchScoreBounds)
			dp.SetMin(0.01)
			dp.SetMax(0.99)
			c.scores = append(c.scores, dp)
		}
	}
	c.points = len(c.hist) + len(c.sums) + len(c.gauges) + len(c.scores)
	return c
}

// cumulativeHistogram appends to sm a cumulative explicit histogram with one point over bounds,
// its counts zero.
func cumulativeHistogram(sm pmetric.ScopeMetrics, name, unit string, start pcommon.Timestamp, bounds []float64) pmetric.HistogramDataPoint {
	m := sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := h.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(start)
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(make([]uint64, len(bounds)+1))
	return dp
}

// export sets the chunk to its k-th export (k from 0) at time at: 10 (k+1) predictions in each of
// the buckets (5, 10], (10, 25], (25, 50] and (50, 75] ms, and k+1 times benchScoreShape in the
// score histogram (200 scores an export).
func (c *appChunk) export(k int, at int64) {
	ts := pcommon.Timestamp(at)
	v := uint64(10 * (k + 1))
	for _, dp := range c.hist {
		dp.SetTimestamp(ts)
		bc := dp.BucketCounts()
		for j := 2; j <= 5; j++ {
			bc.SetAt(j, v)
		}
		dp.SetCount(4 * v)
		dp.SetSum(float64(4*v) * 30)
	}
	for _, dp := range c.sums {
		dp.SetTimestamp(ts)
		dp.SetIntValue(int64(4 * v))
	}
	for _, dp := range c.gauges {
		dp.SetTimestamp(ts)
	}
	for _, dp := range c.scores {
		dp.SetTimestamp(ts)
		bc := dp.BucketCounts()
		var total uint64
		for j, n := range benchScoreShape {
			bc.SetAt(j, n*uint64(k+1))
			total += n * uint64(k+1)
		}
		dp.SetCount(total)
		dp.SetSum(float64(total) * 0.5)
	}
}

// bump moves the chunk on by one prediction per model at time at.
func (c *appChunk) bump(at int64) {
	ts := pcommon.Timestamp(at)
	for _, dp := range c.hist {
		dp.SetTimestamp(ts)
		bc := dp.BucketCounts()
		bc.SetAt(3, bc.At(3)+1)
		dp.SetCount(dp.Count() + 1)
	}
	for _, dp := range c.sums {
		dp.SetTimestamp(ts)
		dp.SetIntValue(dp.IntValue() + 1)
	}
	for _, dp := range c.gauges {
		dp.SetTimestamp(ts)
	}
	for _, dp := range c.scores {
		dp.SetTimestamp(ts)
		bc := dp.BucketCounts()
		bc.SetAt(0, bc.At(0)+1)
		dp.SetCount(dp.Count() + 1)
	}
}

// fillExports is how many exports fill a window: a baseline in the slot before the ring, then
// one in each of the ring's Span+1 slots (default layout: 5 + 1).
const fillExports = 7

// fillChunk is how many models one fill request carries.
const fillChunk = 5000

// fillModels creates models 0..n-1 in bp with full windows: every slot of every ring holds
// latency, throughput, accuracy and score data (those of signals). The evaluation tick at t0 then covers
// five full slots. The clock is left at the last export, t0 + 30s.
func fillModels(tb testing.TB, bp *benchProcessor, n, signals int) {
	tb.Helper()
	width := bp.p.layout.Width
	first := t0.UnixNano()/width - int64(fillExports-1)
	for lo := 0; lo < n; lo += fillChunk {
		c := newAppChunk(lo, min(fillChunk, n-lo), signals)
		for k := range fillExports {
			at := (first+int64(k))*width + width/2
			c.export(k, at)
			bp.clock.ns.Store(at)
			bp.consume(tb, c.md)
		}
	}
	require.Zero(tb, bp.skipped(tb), "fill skipped points")
	require.EqualValues(tb, n, bp.p.models.count.Load())
}

// BenchmarkTick is one evaluation tick over every model, each with a full window of all three
// signals: summaries, observers and the strategy; healthy models, so no job is emitted.
// BenchmarkTickHealth is BenchmarkTick/models=1000 with the health metrics built and handed to a
// nop consumer; the baseline is BenchmarkTick/models=1000 in the same run.
func BenchmarkTickHealth(b *testing.B) {
	const models = 1000
	cfg := benchConfig()
	cfg.HealthMetrics.Enabled = true
	bp := newBenchProcessor(b, cfg, t0)
	fillModels(b, bp, models, withAll)
	ctx := context.Background()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		bp.p.evaluate(ctx, t0)
		n++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*models), "ns/model")
}

func BenchmarkTick(b *testing.B) {
	for _, models := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("models=%d", models), func(b *testing.B) {
			bp := newBenchProcessor(b, benchConfig(), t0)
			fillModels(b, bp, models, withAll)
			ctx := context.Background()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				bp.p.evaluate(ctx, t0)
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*models), "ns/model")
			require.EqualValues(b, models, bp.p.models.count.Load(), "a tick evicted models")
		})
	}
}

// benchDriftConfig is benchConfig with both drift observers enabled beside the default ones:
// prediction_drift with a pinned reference (psi, 10 bins, min_samples 500) and
// estimated_accuracy (decision threshold 0.5, floor 0.8). Its reference_window is the window (5m,
// the default is 1h), so the first tick over a full window pins every model's reference: a
// frozen reference costs a tick the same whatever the window it was built from.
func benchDriftConfig(tb testing.TB) *Config {
	cfg := benchConfig()
	pd := observerConfig[*observer.PredictionDriftConfig](tb, cfg, "prediction_drift")
	pd.Enabled, pd.ReferenceWindow = true, cfg.Window
	observerConfig[*observer.EstimatedAccuracyConfig](tb, cfg, "estimated_accuracy").Enabled = true
	return cfg
}

// pinReferences runs the tick at t0 that freezes the pinned reference of each of the models
// (filled by fillModels with withScore), and checks it did: none still building, every model's
// reference frozen with the window's 1000 scores over 5 minutes, and no observer abstained, so
// prediction_drift compared every model with its reference.
func pinReferences(tb testing.TB, bp *benchProcessor, models int) {
	tb.Helper()
	bp.p.evaluate(context.Background(), t0)
	e := &bp.p.eval
	require.Empty(tb, e.building, "references still building")
	pinned := 0
	for _, d := range e.decisions {
		if d.ref == nil {
			continue
		}
		h := d.ref.Histogram()
		require.EqualValues(tb, 5*200, h.Count)
		require.Equal(tb, int64(5*time.Minute), h.End-h.Start)
		pinned++
	}
	require.Equal(tb, models, pinned, "models with a frozen reference")
	require.Zero(tb, bp.counter(tb, "otelcol_processor_retrain_abstentions"), "abstentions at the pinning tick")
}

// BenchmarkTickDrift is BenchmarkTick with the score signal and both drift observers
// (benchDriftConfig): every model has a full window of all four signals and a frozen pinned
// reference, pinned before the loop; healthy models (the window's scores are the reference's,
// psi 0; estimated accuracy at least 0.906), so no job is emitted. After the loop, no observer
// may have abstained on any model at any tick: every tick compared every model's window with its
// reference. Issue target: under 0.5 s per tick over 100k models (s/tick).
func BenchmarkTickDrift(b *testing.B) {
	for _, models := range []int{1000, 100000} {
		b.Run(fmt.Sprintf("models=%d", models), func(b *testing.B) {
			bp := newBenchProcessor(b, benchDriftConfig(b), t0)
			fillModels(b, bp, models, withAll|withScore)
			pinReferences(b, bp, models)
			ctx := context.Background()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				bp.p.evaluate(ctx, t0)
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*models), "ns/model")
			b.ReportMetric(b.Elapsed().Seconds()/float64(n), "s/tick")
			require.Zero(b, bp.counter(b, "otelcol_processor_retrain_abstentions"), "an observer abstained")
			require.Zero(b, bp.counter(b, "otelcol_processor_retrain_jobs_emitted"), "a healthy model fired")
			require.Empty(b, bp.p.eval.outbox)
			require.EqualValues(b, models, bp.p.models.count.Load(), "a tick evicted models")
		})
	}
}

// latencies records durations into a fixed ring, so recording allocates nothing.
type latencies struct {
	ns []int64
	n  int
}

func newLatencies() *latencies { return &latencies{ns: make([]int64, 1<<20)} }

func (l *latencies) add(d time.Duration) {
	l.ns[l.n&(len(l.ns)-1)] = int64(d)
	l.n++
}

func (l *latencies) quantile(q float64) float64 {
	s := slices.Clone(l.ns[:min(l.n, len(l.ns))])
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	return float64(s[min(int(q*float64(len(s))), len(s)-1)])
}

// BenchmarkIngestDuringTick measures each ingest request's latency (100 models, SDK-shaped, 300
// points) into a processor holding 100k models with full windows, with no tick (tick=off) and
// while evaluation ticks over all 100k models run back to back in another goroutine (tick=on).
// Run it with -cpu=2 as well: with one P the tick and ingest share it and the figure is the
// scheduler's time slice, not lock contention.
func BenchmarkIngestDuringTick(b *testing.B) {
	const models, perRequest = 100000, 100
	bp := newBenchProcessor(b, benchConfig(), t0)
	fillModels(b, bp, models, withAll)
	c := newAppChunk(0, perRequest, withAll)
	c.export(fillExports, bp.clock.ns.Load()+int64(time.Millisecond))
	at := bp.clock.ns.Load()
	ctx := context.Background()

	for _, tick := range []string{"off", "on"} {
		b.Run("models=100000/tick="+tick, func(b *testing.B) {
			var ticks atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			if tick == "on" {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						bp.p.evaluate(ctx, t0)
						ticks.Add(1)
					}
				}()
			}
			lat := newLatencies()
			before := bp.aggregated(b)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				at += int64(time.Millisecond)
				c.bump(at)
				bp.clock.ns.Store(at)
				began := time.Now()
				bp.consume(b, c.md)
				lat.add(time.Since(began))
				n++
			}
			close(stop)
			wg.Wait()
			b.ReportMetric(lat.quantile(0.50), "p50-ns")
			b.ReportMetric(lat.quantile(0.99), "p99-ns")
			b.ReportMetric(lat.quantile(1), "max-ns")
			b.ReportMetric(float64(ticks.Load()), "ticks")
			reportPerPoint(b, n, c.points)
			if got, want := bp.aggregated(b)-before, int64(n*c.points); got != want {
				b.Fatalf("%d points aggregated in %d requests of %d, want %d", got, n, c.points, want)
			}
		})
	}
}

// BenchmarkMemoryPerModel is the heap held per model (runtime.MemStats.HeapAlloc after GC,
// before and after creating 100k models with full windows), and the time that creation takes.
// signals=all+score adds the score signal (cumulative explicit, 20 buckets) with both drift
// observers (benchDriftConfig, prediction_drift pinned); it also reports the heap held once the
// first tick has pinned every model's reference (pinned-B/model: the reference, its decision and
// what a tick keeps per model), and that tick's time (pin-tick-ns, inside ns/op).
func BenchmarkMemoryPerModel(b *testing.B) {
	const models = 100000
	for _, v := range []struct {
		name    string
		signals int
	}{{"all", withAll}, {"latency", withLatency}, {"all+score", withAll | withScore}} {
		b.Run(fmt.Sprintf("models=%d/signals=%s", models, v.name), func(b *testing.B) {
			var ms runtime.MemStats
			var held, pinned float64
			var tick time.Duration
			n := 0
			for b.Loop() {
				cfg := benchConfig()
				if v.signals&withScore != 0 {
					cfg = benchDriftConfig(b)
				}
				bp := newBenchProcessor(b, cfg, t0)
				runtime.GC()
				runtime.GC()
				runtime.ReadMemStats(&ms)
				before := ms.HeapAlloc
				fillModels(b, bp, models, v.signals)
				runtime.GC()
				runtime.GC()
				runtime.ReadMemStats(&ms)
				held += float64(ms.HeapAlloc) - float64(before)
				if v.signals&withScore != 0 {
					began := time.Now()
					pinReferences(b, bp, models)
					tick += time.Since(began)
					runtime.GC()
					runtime.GC()
					runtime.ReadMemStats(&ms)
					pinned += float64(ms.HeapAlloc) - float64(before)
				}
				runtime.KeepAlive(bp)
				n++
			}
			b.ReportMetric(held/float64(n*models), "B/model")
			b.ReportMetric(held/float64(n), "B/100k-models")
			if v.signals&withScore != 0 {
				b.ReportMetric(pinned/float64(n*models), "pinned-B/model")
				b.ReportMetric(float64(tick.Nanoseconds())/float64(n), "pin-tick-ns")
			}
		})
	}
}

// BenchmarkIngestCold is stage=retrain of BenchmarkIngest (100 models, one point each) with the
// CPU caches evicted before each request, as at a low request rate on a busy machine: the e2e
// load sends 100 such requests a second. Only ConsumeMetrics is timed into the reported
// cold-ns/point; ns/op includes the eviction.
func BenchmarkIngestCold(b *testing.B) {
	for _, c := range []struct{ signal, temporality string }{{"explicit", "delta"}, {"explicit", "cumulative"}} {
		b.Run(fmt.Sprintf("signal=%s/temporality=%s/models=100", c.signal, c.temporality), func(b *testing.B) {
			pl := newBenchPayload(c.signal, c.temporality, 100, 1, t0)
			bp := newBenchProcessor(b, benchConfig(), t0)
			bp.consume(b, pl.md)
			for range bp.p.layout.Span + 1 {
				pl.advanceBy(time.Duration(bp.p.layout.Width))
				bp.clock.ns.Store(pl.at)
				bp.consume(b, pl.md)
			}
			evict := make([]byte, 64<<20)
			var spent time.Duration
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				for i := 0; i < len(evict); i += 64 {
					evict[i]++
				}
				pl.advance()
				bp.clock.ns.Store(pl.at)
				began := time.Now()
				bp.consume(b, pl.md)
				spent += time.Since(began)
				n++
			}
			b.ReportMetric(float64(spent.Nanoseconds())/float64(n*pl.points), "cold-ns/point")
		})
	}
}

// requestsPerTick is how many 100-point requests arrive between two evaluations at the e2e load:
// 10k points/s with evaluation_interval 60s.
const requestsPerTick = 6000

// BenchmarkRequests reproduces the end-to-end shape the micro-benchmarks above leave out: each
// request is decoded from its protobuf bytes, as the OTLP receiver does, into fresh pdata (so the
// processor reads cold, newly allocated memory, and the decoder's garbage makes the GC run as in
// the collector), then goes through processorhelper and the processor, with an evaluation every
// requestsPerTick requests. The requests are 100 models' SDK-shaped latency points (one resource
// each), 10 ms apart; their bytes are built ahead in rounds of 1024, outside the timing.
// stage=decode is the same loop without the processor: the ratio (retrain − decode) / decode is
// what the processor adds to decoding the same requests (cmd/benchreport prints it).
func BenchmarkRequests(b *testing.B) {
	const ahead = 1024
	for _, temporality := range []string{"delta", "cumulative"} {
		for _, stage := range []string{"decode", "retrain"} {
			b.Run(fmt.Sprintf("signal=explicit/temporality=%s/models=100/stage=%s", temporality, stage), func(b *testing.B) {
				pl := newBenchPayload("explicit", temporality, 100, 1, t0)
				var bp *benchProcessor
				if stage == "retrain" {
					bp = newBenchProcessor(b, benchConfig(), t0)
					bp.consume(b, pl.md) // the models and each stream's baseline
				}
				var m pmetric.ProtoMarshaler
				var u pmetric.ProtoUnmarshaler
				bufs := make([][]byte, ahead)
				ats := make([]int64, ahead)
				build := func() {
					for i := range bufs {
						pl.advanceBy(10 * time.Millisecond)
						buf, err := m.MarshalMetrics(pl.md)
						require.NoError(b, err)
						bufs[i], ats[i] = buf, pl.at
					}
				}
				ctx := context.Background()
				var aggregated, skipped int64
				if bp != nil {
					aggregated, skipped = bp.aggregated(b), bp.skipped(b)
				}
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					i := n % ahead
					if i == 0 {
						b.StopTimer()
						build()
						b.StartTimer()
					}
					md, err := u.UnmarshalMetrics(bufs[i])
					if err != nil {
						b.Fatal(err)
					}
					if bp != nil {
						bp.clock.ns.Store(ats[i])
						bp.consume(b, md)
						if n%requestsPerTick == requestsPerTick-1 {
							bp.p.evaluate(ctx, time.Unix(0, ats[i]))
						}
					}
					n++
				}
				reportPerPoint(b, n, pl.points)
				if bp == nil {
					return
				}
				if got, want := bp.aggregated(b)-aggregated, int64(n*pl.points); got != want {
					b.Fatalf("%d points aggregated in %d requests of %d, want %d", got, n, pl.points, want)
				}
				if got := bp.skipped(b) - skipped; got != 0 {
					b.Fatalf("%d points skipped", got)
				}
			})
		}
	}
}
