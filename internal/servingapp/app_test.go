package servingapp

import (
	"context"
	"math"
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

	assert.NotContains(t, metrics, ScoreMetric, "no score histogram without Score")
}

// scoreCycle are the scores TestAppReportsScores records in turn, and the bucket of the
// default bounds each falls in: bounds are upper-inclusive, as OTLP's explicit buckets are.
var scoreCycle = []struct {
	score  float64
	bucket int
}{
	{0, 0},         // (-inf, 0.05]
	{0.05, 0},      // on a bound: the bucket it closes
	{0.3, 5},       // (0.25, 0.30]
	{0.5, 9},       // (0.45, 0.50]: the decision threshold closes a bucket
	{0.5001, 10},   // (0.50, 0.55]
	{0.97, 19},     // (0.95, +inf)
	{1, 19},        // (0.95, +inf)
	{0.96, 19},     // (0.95, +inf)
	{0.125, 2},     // (0.10, 0.15]
	{0.7499, 14},   // (0.70, 0.75]
	{0.950001, 19}, // just above the last bound
}

func TestAppReportsScores(t *testing.T) {
	rec := &recorder{}
	var (
		next      int
		latencies []float64
		seen      []float64
	)
	app, err := Start(context.Background(), Config{
		ServiceName: "fraud-api", Model: "fraud-detector", Version: "3",
		Protocol: GRPC, Endpoint: "127.0.0.1:1",
		ExportInterval: 50 * time.Millisecond,
		Rate:           1000,
		Seed:           7,
		Latency:        func(r *rand.Rand) float64 { return r.Float64() },
		Accuracy:       func() float64 { return 0.9 },
		Score: func(*rand.Rand) float64 {
			s := scoreCycle[next%len(scoreCycle)].score
			next++
			return s
		},
		OnPrediction: func(ms float64) { latencies = append(latencies, ms) },
		OnScore:      func(s float64) { seen = append(seen, s) },
		WrapExporter: func(e sdkmetric.Exporter) sdkmetric.Exporter {
			rec.Exporter = e
			return rec
		},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, n := rec.last(); return n >= 2 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, app.Stop(context.Background()))
	n := app.Predictions()
	require.Equal(t, uint64(next), n, "one score per prediction")
	assert.Len(t, seen, int(n), "OnScore saw every score")
	assert.Equal(t, DefaultScoreBounds, app.Config().ScoreBounds)

	rm, _ := rec.last()
	require.Len(t, rm.ScopeMetrics, 1)
	metrics := map[string]metricdata.Metrics{}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		metrics[m.Name] = m
	}
	assert.Len(t, metrics, 4)
	score, ok := metrics[ScoreMetric].Data.(metricdata.Histogram[float64])
	require.True(t, ok, "score is an explicit-bucket histogram: %T", metrics[ScoreMetric].Data)
	assert.Equal(t, "1", metrics[ScoreMetric].Unit)
	assert.Equal(t, metricdata.CumulativeTemporality, score.Temporality)
	require.Len(t, score.DataPoints, 1)
	p := score.DataPoints[0]
	assert.Equal(t, []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5,
		0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95}, p.Bounds)
	assert.Equal(t, n, p.Count)
	want := make([]uint64, len(p.Bounds)+1)
	var sum float64
	for i := range int(n) {
		c := scoreCycle[i%len(scoreCycle)]
		want[c.bucket]++
		sum += c.score
	}
	assert.Equal(t, want, p.BucketCounts)
	assert.InDelta(t, sum, p.Sum, 1e-9)
	minimum, _ := p.Min.Value()
	maximum, _ := p.Max.Value()
	assert.Equal(t, 0.0, minimum)
	assert.Equal(t, 1.0, maximum)

	// The latencies keep the sequence of an app without scores: the same seed, the same values.
	latency, ok := metrics[LatencyMetric].Data.(metricdata.Histogram[float64])
	require.True(t, ok)
	assert.Equal(t, n, latency.DataPoints[0].Count)
	rng := rand.New(rand.NewPCG(7, 7^0x9e3779b97f4a7c15))
	for i, ms := range latencies {
		require.Equal(t, rng.Float64(), ms, "latency %d", i)
	}
}

func TestAppTakesItsOwnScoreBounds(t *testing.T) {
	rec := &recorder{}
	app, err := Start(context.Background(), Config{
		Protocol: HTTP, Endpoint: "127.0.0.1:1",
		ExportInterval: 50 * time.Millisecond,
		Rate:           200,
		Latency:        func(*rand.Rand) float64 { return 1 },
		Accuracy:       func() float64 { return 1 },
		Score:          func(r *rand.Rand) float64 { return r.Float64() },
		ScoreBounds:    []float64{0.25, 0.5, 0.75},
		WrapExporter: func(e sdkmetric.Exporter) sdkmetric.Exporter {
			rec.Exporter = e
			return rec
		},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { _, n := rec.last(); return n >= 2 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, app.Stop(context.Background()))
	rm, _ := rec.last()
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == ScoreMetric {
			h := m.Data.(metricdata.Histogram[float64])
			assert.Equal(t, []float64{0.25, 0.5, 0.75}, h.DataPoints[0].Bounds)
			assert.Equal(t, app.Predictions(), h.DataPoints[0].Count)
			return
		}
	}
	t.Fatalf("no %s in the last export", ScoreMetric)
}

func TestStartRejectsBadScoreBounds(t *testing.T) {
	for name, bounds := range map[string][]float64{
		"empty":      {},
		"decreasing": {0.5, 0.25},
		"repeated":   {0.25, 0.25, 0.5},
		"nan":        {0.25, math.NaN()},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Start(context.Background(), Config{
				Protocol: GRPC, Endpoint: "127.0.0.1:1", Rate: 1,
				Latency:     func(*rand.Rand) float64 { return 1 },
				Accuracy:    func() float64 { return 1 },
				Score:       func(*rand.Rand) float64 { return 0.5 },
				ScoreBounds: bounds,
			})
			assert.ErrorContains(t, err, "ScoreBounds")
		})
	}
}

func TestStartRejectsAnUnknownProtocol(t *testing.T) {
	_, err := Start(context.Background(), Config{
		Protocol: "udp", Rate: 1,
		Latency:  func(*rand.Rand) float64 { return 1 },
		Accuracy: func() float64 { return 1 },
	})
	assert.ErrorContains(t, err, `unknown OTLP protocol "udp"`)
}
