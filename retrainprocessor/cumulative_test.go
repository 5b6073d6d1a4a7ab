package retrainprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// counted is the value of one of the processor's int64 counters at one attribute (signal or
// reason), zero when not recorded.
func (h *harness) counted(name, key, value string) int64 {
	h.t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	want := withID(attribute.String(key, value))
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value
		}
	}
	return 0
}

func (h *harness) aggregated(signal string) int64 {
	return h.counted("otelcol_processor_retrain_data_points", "signal", signal)
}

func (h *harness) skipped(reason string) int64 {
	return h.counted("otelcol_processor_retrain_data_points_skipped", "reason", reason)
}

// onlyModel is the one model the processor tracks.
func (h *harness) onlyModel() *model {
	h.t.Helper()
	ms := h.p.models.snapshot(nil)
	require.Len(h.t, ms, 1)
	return ms[0]
}

// A delayed export (older than the stream's newest point) is skipped; it must not make a live
// stream look idle, or the next evaluation drops it and its next point is only a baseline.
func TestStalePointsDoNotAgeTheirStream(t *testing.T) {
	h := newHarness(t, testConfig(), t0)
	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	a.serve(10, 20)
	h.consume(a.export(t0.Add(-2 * time.Minute))) // baselines
	a.serve(10, 20)
	h.consume(a.export(t0.Add(-time.Minute)))
	h.consume(a.export(t0.Add(-10 * time.Minute))) // delayed: older than the window
	assert.Equal(t, int64(2), h.skipped("out_of_order"))

	h.evaluate(t0) // drops streams unseen since t0-5m
	assert.Equal(t, 2, h.onlyModel().streams.len(), "both streams were seen at t0-1m")

	latency, throughput := h.aggregated("latency"), h.aggregated("throughput")
	a.serve(10, 20)
	h.consume(a.export(t0.Add(30 * time.Second)))
	assert.Equal(t, latency+1, h.aggregated("latency"), "the histogram's next point is a delta")
	assert.Equal(t, throughput+1, h.aggregated("throughput"), "the counter's next point is a delta")
}

// counterPoint renders one cumulative prediction counter point, started at start, of a resource
// whose attributes are set in the order given (key, value, key, value...), the model id first.
func counterPoint(model string, start time.Time, v int64, at time.Time, attrs ...string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	res := rm.Resource().Attributes()
	res.PutStr("ml.model.id", model)
	for i := 0; i+1 < len(attrs); i += 2 {
		res.PutStr(attrs[i], attrs[i+1])
	}
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("ml.model.predictions")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := sum.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
	dp.SetIntValue(v)
	return md
}

// Two resources of one model, {a:"x", b:"y"} and {a:"x\x01b\x01y"}, are two streams: neither is
// differenced against the other's points.
func TestResourcesThatOnceEncodedAlikeAreTwoStreams(t *testing.T) {
	h := newHarness(t, testConfig(), t0)
	two := []string{"a", "x", "b", "y"}
	one := []string{"a", "x\x01b\x01y"}
	at := t0.Add(-2 * time.Minute)
	started := t0.Add(-time.Hour)
	h.consume(counterPoint("m", started, 100, at, two...))
	h.consume(counterPoint("m", started, 5, at.Add(time.Second), one...))
	h.consume(counterPoint("m", started, 110, at.Add(time.Minute), two...))
	h.consume(counterPoint("m", started, 8, at.Add(time.Minute+time.Second), one...))

	m := h.onlyModel()
	assert.Equal(t, 2, m.streams.len())
	assert.Equal(t, int64(2), h.aggregated("throughput"), "one delta per stream")
	var s window.Summary
	m.window.Summarize(t0.UnixNano(), &s)
	assert.Equal(t, uint64(10+3), s.Predictions())
}

// A load generator such as telemetrygen sends cumulative histograms whose counts do not grow:
// every point holds the same few observations in other buckets, so each one after the first
// restarts the stream and adds nothing. The model is tracked but never reaches min_samples;
// the resets must show in a counter.
func TestResetsAreCounted(t *testing.T) {
	h := newHarness(t, testConfig(), t0)
	start := pcommon.NewTimestampFromTime(t0.Add(-time.Hour))
	for i := range 10 {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("ml.model.id", "loadgen")
		lat := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		lat.SetName("ml.model.latency")
		hist := lat.SetEmptyHistogram()
		hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		counts := make([]uint64, len(sdkBounds)+1)
		counts[6+i%2], counts[8+i%3] = 6, 4 // ten observations, never in the same buckets twice in a row
		dp := hist.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(i-10) * time.Second)))
		dp.ExplicitBounds().FromRaw(sdkBounds)
		dp.BucketCounts().FromRaw(counts)
		dp.SetCount(10)
		h.consume(md)
	}
	assert.Equal(t, int64(9), h.skipped("reset"), "every point but the first, which is the stream's baseline")
	assert.Zero(t, h.aggregated("latency"))
	assert.Equal(t, int64(1), h.p.models.count.Load(), "tracked all the same")

	// A counter that went down, and one with a new start time, are resets too.
	at, started, restarted := t0.Add(-time.Minute), t0.Add(-time.Hour), t0.Add(-time.Minute)
	h.consume(counterPoint("m", started, 100, at))
	h.consume(counterPoint("m", started, 40, at.Add(time.Second)))
	h.consume(counterPoint("m", restarted, 50, at.Add(2*time.Second)))
	h.consume(counterPoint("m", restarted, 60, at.Add(3*time.Second)))
	assert.Equal(t, int64(9+2), h.skipped("reset"))
	assert.Equal(t, int64(1), h.aggregated("throughput"), "the point after the restart")
}
