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
	want := attribute.NewSet(attribute.String(key, value))
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

// counterPoint renders one cumulative prediction counter point of a resource whose attributes
// are set in the order given (key, value, key, value...), the model id first.
func counterPoint(model string, v int64, at time.Time, attrs ...string) pmetric.Metrics {
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
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(-time.Hour)))
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
	h.consume(counterPoint("m", 100, at, two...))
	h.consume(counterPoint("m", 5, at.Add(time.Second), one...))
	h.consume(counterPoint("m", 110, at.Add(time.Minute), two...))
	h.consume(counterPoint("m", 8, at.Add(time.Minute+time.Second), one...))

	m := h.onlyModel()
	assert.Equal(t, 2, m.streams.len())
	assert.Equal(t, int64(2), h.aggregated("throughput"), "one delta per stream")
	var s window.Summary
	m.window.Summarize(t0.UnixNano(), &s)
	_, predictions := s.Throughput(false)
	assert.Equal(t, uint64(10+3), predictions)
}
