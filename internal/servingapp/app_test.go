package servingapp

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// recorder stands in for the OTLP exporter: it keeps what the SDK exports.
type recorder struct {
	sdkmetric.Exporter
	mu      sync.Mutex
	exports []metricdata.ResourceMetrics
}

func (r *recorder) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.exports = append(r.exports, *rm)
	return nil
}

func (r *recorder) last() (metricdata.ResourceMetrics, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.exports) == 0 {
		return metricdata.ResourceMetrics{}, 0
	}
	return r.exports[len(r.exports)-1], len(r.exports)
}

func TestAppReportsWithTheSDKDefaults(t *testing.T) {
	rec := &recorder{}
	var predictions int
	app, err := Start(context.Background(), Config{
		ServiceName: "fraud-api", Model: "fraud-detector", Version: "3",
		Protocol: GRPC, Endpoint: "127.0.0.1:1",
		ExportInterval: 50 * time.Millisecond,
		Rate:           1000,
		Latency:        func(*rand.Rand) float64 { return 42 },
		Accuracy:       func() float64 { return 0.9 },
		OnPrediction:   func(float64) { predictions++ },
		WrapExporter: func(e sdkmetric.Exporter) sdkmetric.Exporter {
			rec.Exporter = e
			return rec
		},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, n := rec.last(); return n >= 2 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, app.Stop(context.Background()))
	assert.Equal(t, uint64(predictions), app.Predictions())

	rm, _ := rec.last()
	res := rm.Resource.Set()
	for _, kv := range Resource(app.Config()) {
		v, ok := res.Value(kv.Key)
		assert.True(t, ok, "resource %s", kv.Key)
		assert.Equal(t, kv.Value, v)
	}
	require.Len(t, rm.ScopeMetrics, 1)
	metrics := map[string]metricdata.Metrics{}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		metrics[m.Name] = m
	}

	latency, ok := metrics[LatencyMetric].Data.(metricdata.Histogram[float64])
	require.True(t, ok, "latency is an explicit-bucket histogram: %T", metrics[LatencyMetric].Data)
	assert.Equal(t, "ms", metrics[LatencyMetric].Unit)
	assert.Equal(t, metricdata.CumulativeTemporality, latency.Temporality)
	require.Len(t, latency.DataPoints, 1)
	assert.Equal(t, app.Predictions(), latency.DataPoints[0].Count)
	assert.Equal(t, []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}, latency.DataPoints[0].Bounds)

	counter, ok := metrics[PredictionsMetric].Data.(metricdata.Sum[int64])
	require.True(t, ok, "predictions is an int counter: %T", metrics[PredictionsMetric].Data)
	assert.True(t, counter.IsMonotonic)
	assert.Equal(t, metricdata.CumulativeTemporality, counter.Temporality)
	assert.Equal(t, int64(app.Predictions()), counter.DataPoints[0].Value)

	accuracy, ok := metrics[AccuracyMetric].Data.(metricdata.Gauge[float64])
	require.True(t, ok, "accuracy is a gauge: %T", metrics[AccuracyMetric].Data)
	assert.Equal(t, 0.9, accuracy.DataPoints[0].Value)
	assert.Equal(t, attribute.NewSet(), accuracy.DataPoints[0].Attributes)
}

func TestStartRejectsAnUnknownProtocol(t *testing.T) {
	_, err := Start(context.Background(), Config{
		Protocol: "udp", Rate: 1,
		Latency:  func(*rand.Rand) float64 { return 1 },
		Accuracy: func() float64 { return 1 },
	})
	assert.ErrorContains(t, err, `unknown OTLP protocol "udp"`)
}
