package retrainprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
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
