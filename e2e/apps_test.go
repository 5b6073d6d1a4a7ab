//go:build e2e

package e2e

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// The three models of the scenarios.
const (
	healthyModel  = "churn-predictor"  // fast and accurate throughout
	slowModel     = "fraud-detector"   // once degraded, one prediction in ten takes 300-450 ms
	driftingModel = "price-forecaster" // once degraded, accuracy 0.6
)

const (
	goodAccuracy    = 0.95
	driftedAccuracy = 0.6
	exportInterval  = 500 * time.Millisecond
	predictionRate  = 100 // per second and app
)

func init() {
	// The SDK logs every failed export; tests that stop or kill the collector cause many, and
	// assert on outcomes instead.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
}

// fastLatency is 10-40 ms: its p99 lies in the SDK's default bucket (25, 50].
func fastLatency(r *rand.Rand) float64 { return 10 + 30*r.Float64() }

// slowLatency puts one prediction in ten at 300-450 ms: the p99 lies in the bucket (250, 500]
// for any window with a few hundred predictions, since the tail is ten times the 1% above p99.
func slowLatency(r *rand.Rand) float64 {
	if r.IntN(10) == 0 {
		return 300 + 150*r.Float64()
	}
	return fastLatency(r)
}

// app is a serving app of a test, with every latency it recorded.
type app struct {
	*servingapp.App
	degraded atomic.Bool

	mu        sync.Mutex
	latencies []float64
}

// startApp starts the app serving model over protocol to the collector of cfg. degraded says
// whether the slow and drifting models misbehave from the start. Each of opts, when given,
// changes the app's config last (its rate, its scores).
func startApp(t *testing.T, cfg config, model string, protocol servingapp.Protocol, degraded bool,
	wrap func(sdkmetric.Exporter) sdkmetric.Exporter, opts ...func(*servingapp.Config),
) *app {
	t.Helper()
	a := &app{}
	a.degraded.Store(degraded)
	sc := servingapp.Config{
		ServiceName:    model + "-api",
		Model:          model,
		Version:        "3",
		Protocol:       protocol,
		Endpoint:       cfg.GRPC,
		ExportInterval: exportInterval,
		Rate:           predictionRate,
		Seed:           uint64(len(model)),
		WrapExporter:   wrap,
		Latency:        fastLatency,
		Accuracy:       func() float64 { return goodAccuracy },
		OnPrediction: func(ms float64) {
			a.mu.Lock()
			a.latencies = append(a.latencies, ms)
			a.mu.Unlock()
		},
	}
	if protocol == servingapp.HTTP {
		sc.Endpoint = cfg.HTTP
	}
	switch model {
	case slowModel:
		sc.Latency = func(r *rand.Rand) float64 {
			if a.degraded.Load() {
				return slowLatency(r)
			}
			return fastLatency(r)
		}
	case driftingModel:
		sc.Accuracy = func() float64 {
			if a.degraded.Load() {
				return driftedAccuracy
			}
			return goodAccuracy
		}
	}
	for _, o := range opts {
		o(&sc)
	}
	var err error
	a.App, err = servingapp.Start(context.Background(), sc)
	require.NoError(t, err)
	t.Cleanup(func() {
		// The collector may be gone by now: do not wait long for the last export.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_ = a.Stop(ctx)
	})
	return a
}

// startApps starts the three models over one protocol.
func startApps(t *testing.T, cfg config, protocol servingapp.Protocol, degraded bool) map[string]*app {
	t.Helper()
	apps := map[string]*app{}
	for _, m := range []string{healthyModel, slowModel, driftingModel} {
		apps[m] = startApp(t, cfg, m, protocol, degraded, nil)
	}
	return apps
}

// stop stops the app, which must get its last export to the collector.
func (a *app) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, a.Stop(ctx))
}

// trueP99 is the nearest-rank p99 of every latency the app recorded.
func (a *app) trueP99() float64 {
	a.mu.Lock()
	sorted := slices.Clone(a.latencies)
	a.mu.Unlock()
	slices.Sort(sorted)
	return sorted[int(math.Ceil(0.99*float64(len(sorted))))-1]
}

// sdkBounds are the SDK's default explicit bucket bounds.
var sdkBounds = []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}

// bucketOf returns the SDK bucket (lo, hi] that holds v.
func bucketOf(v float64) (lo, hi float64) {
	lo = math.Inf(-1)
	for _, b := range sdkBounds {
		if v <= b {
			return lo, b
		}
		lo = b
	}
	return lo, math.Inf(1)
}
