package retrainprocessor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The limits bound what one model can hold whatever its senders do. The inputs are those that
// grew memory without them (600k request ids on one model's latency histogram, a histogram of
// 1,000,000 bounds, model ids of 1 MB), scaled down so the tests stay fast.

// latencyResource appends a resource of model whose latency metric is a histogram of the given
// temporality, and returns that histogram.
func latencyResource(md pmetric.Metrics, model string, temporality pmetric.AggregationTemporality) pmetric.Histogram {
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("ml.model.id", model)
	lat := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	lat.SetName("ml.model.latency")
	hist := lat.SetEmptyHistogram()
	hist.SetAggregationTemporality(temporality)
	return hist
}

// appendLatencyPoint appends a point at ts, started at t0-1h, with count observations in the
// first bucket of bounds.
func appendLatencyPoint(hist pmetric.Histogram, ts time.Time, bounds []float64, count uint64) pmetric.HistogramDataPoint {
	dp := hist.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(-time.Hour)))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.ExplicitBounds().FromRaw(bounds)
	counts := dp.BucketCounts()
	counts.EnsureCapacity(len(bounds) + 1)
	counts.Append(count)
	for range bounds {
		counts.Append(0)
	}
	dp.SetCount(count)
	return dp
}

func increasing(n int) []float64 {
	b := make([]float64, n)
	for i := range b {
		b[i] = float64(i + 1)
	}
	return b
}

// A request_id point attribute makes every request a new cumulative stream: a model keeps at
// most max_streams_per_model of them, and the streams it keeps still work.
func TestMaxStreamsPerModelBoundsAModelsStreams(t *testing.T) {
	cfg := testConfig()
	require.Equal(t, 1000, cfg.MaxStreamsPerModel)
	h := newHarness(t, cfg, t0)
	const requests = 3000
	export := func(at time.Time, count uint64) {
		md := pmetric.NewMetrics()
		hist := latencyResource(md, "ranker", pmetric.AggregationTemporalityCumulative)
		for i := range requests {
			appendLatencyPoint(hist, at, sdkBounds, count).Attributes().PutStr("request_id", fmt.Sprintf("req-%05d", i))
		}
		h.consume(md)
	}
	export(t0.Add(-2*time.Minute), 1)
	m := h.onlyModel()
	assert.Equal(t, 1000, m.streams.len())
	assert.Equal(t, int64(requests-1000), h.skipped("over_max_streams_per_model"))

	export(t0.Add(-time.Minute), 3)
	assert.Equal(t, 1000, m.streams.len(), "still bounded")
	assert.Equal(t, int64(2*(requests-1000)), h.skipped("over_max_streams_per_model"))
	assert.Equal(t, int64(1000), h.aggregated("latency"), "the streams held give their deltas")

	// Once idle, streams leave at an evaluation and make room for others.
	h.evaluate(t0.Add(10 * time.Minute))
	other := newApp("ranker-api", "ranker", "", t0)
	other.serve(10, 20)
	h.consume(other.export(t0.Add(10 * time.Minute)))
	assert.Equal(t, 2, h.onlyModel().streams.len(), "the new app's histogram and counter")
}

// A point with more buckets than max_buckets_per_point is refused before anything is copied:
// the model keeps no bounds, counts or stream for it. Layouts up to the limit (SDKs send 16
// explicit or at most 160 exponential buckets) are taken.
func TestMaxBucketsPerPointRefusesHugeHistograms(t *testing.T) {
	cfg := testConfig()
	require.Equal(t, 1024, cfg.MaxBucketsPerPoint)
	h := newHarness(t, cfg, t0)
	huge := increasing(100_000)
	at := t0.Add(-time.Minute)

	md := pmetric.NewMetrics()
	appendLatencyPoint(latencyResource(md, "ranker", pmetric.AggregationTemporalityCumulative), at, huge, 5)
	appendLatencyPoint(latencyResource(md, "ranker", pmetric.AggregationTemporalityDelta), at, huge, 5)
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("ml.model.id", "ranker")
	lat := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	lat.SetName("ml.model.latency")
	exp := lat.SetEmptyExponentialHistogram()
	exp.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	edp := exp.DataPoints().AppendEmpty()
	edp.SetTimestamp(pcommon.NewTimestampFromTime(at))
	edp.SetScale(3)
	edp.Positive().BucketCounts().FromRaw(make([]uint64, 100_000))
	h.consume(md)

	assert.Equal(t, int64(3), h.skipped("over_max_buckets_per_point"))
	m := h.onlyModel()
	assert.Nil(t, m.window.Bounds())
	assert.Nil(t, m.otherBounds)
	assert.Zero(t, m.streams.len())

	// At the limit: 1023 bounds are 1024 buckets.
	md = pmetric.NewMetrics()
	appendLatencyPoint(latencyResource(md, "ranker", pmetric.AggregationTemporalityDelta), at, increasing(1023), 5)
	h.consume(md)
	assert.Equal(t, int64(1), h.aggregated("latency"))
	assert.Len(t, m.window.Bounds(), 1023)
}

// A model id (or version) longer than max_attribute_length is refused: a flood of huge ids
// takes no place in the table.
func TestMaxAttributeLengthRefusesHugeModelIDs(t *testing.T) {
	cfg := testConfig()
	require.Equal(t, 256, cfg.MaxAttributeLength)
	h := newHarness(t, cfg, t0)
	at := t0.Add(-time.Minute)
	for i := range 100 {
		a := newApp("ranker-api", fmt.Sprintf("%04d%s", i, strings.Repeat("m", 1020)), "", t0.Add(-time.Hour))
		h.consume(a.export(at)) // three watched points: latency, predictions, accuracy
	}
	assert.Zero(t, h.p.models.count.Load())
	assert.Equal(t, int64(100*3), h.skipped("over_max_attribute_length"))

	h.consume(newApp("ranker-api", "r", strings.Repeat("v", 257), t0.Add(-time.Hour)).export(at))
	assert.Zero(t, h.p.models.count.Load(), "a version that long")
	assert.Equal(t, int64(101*3), h.skipped("over_max_attribute_length"))

	h.consume(newApp("ranker-api", strings.Repeat("m", 256), strings.Repeat("v", 256), t0.Add(-time.Hour)).export(at))
	assert.Equal(t, int64(1), h.p.models.count.Load(), "at the limit")
}
