package servingapp // import "github.com/visutility/otelcol-retrain/internal/servingapp"

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
)

// The metrics an app reports: the retrain processor's default metric names.
const (
	LatencyMetric     = "ml.model.latency"     // explicit-bucket histogram, ms
	PredictionsMetric = "ml.model.predictions" // monotonic counter
	AccuracyMetric    = "ml.model.accuracy"    // gauge in [0, 1]
	ScoreMetric       = "ml.model.score"       // explicit-bucket histogram of scores in [0, 1], only with Config.Score
)

// DefaultScoreBounds are the score histogram's bucket bounds unless Config.ScoreBounds says
// otherwise: 0.05, 0.10, …, 0.95. 0.5, the usual decision threshold, is one of them, as the
// estimated_accuracy observer needs.
var DefaultScoreBounds = func() []float64 {
	b := make([]float64, 19)
	for i := range b {
		b[i] = float64(i+1) / 20 // the float nearest to 0.05·(i+1), as the literal would be
	}
	return b
}()

// ScopeName is the instrumentation scope of an app's metrics.
const ScopeName = "github.com/visutility/otelcol-retrain/internal/servingapp"

// Protocol is how an app exports OTLP.
type Protocol string

const (
	GRPC Protocol = "grpc"
	HTTP Protocol = "http"
)

// Config describes one app and the model it serves.
type Config struct {
	// ServiceName, Model and Version become the resource attributes service.name, ml.model.id and
	// ml.model.version.
	ServiceName, Model, Version string
	// Pod, when set, becomes service.instance.id and k8s.pod.name: one of a model's replicas.
	Pod string
	// Protocol and Endpoint (host:port) address the collector's OTLP receiver.
	Protocol Protocol
	Endpoint string
	// ExportInterval is the SDK's periodic export interval; 0 means 1s.
	ExportInterval time.Duration
	// Rate is predictions per second.
	Rate float64
	// Latency returns the latency of one prediction in milliseconds.
	Latency func(r *rand.Rand) float64
	// Accuracy returns the model's current accuracy; the SDK reads it at every export.
	Accuracy func() float64
	// Score, when set, returns the score of one prediction: the positive class's probability, in
	// [0, 1]. Each prediction then also records its score in the ScoreMetric histogram. Scores are
	// drawn from a random source of their own, so setting Score leaves the latencies unchanged.
	Score func(r *rand.Rand) float64
	// ScoreBounds are the score histogram's explicit bucket bounds, increasing, set through an SDK
	// View; nil means DefaultScoreBounds. The estimated_accuracy observer needs its
	// decision_threshold (default 0.5) among them. Ignored without Score.
	ScoreBounds []float64
	// Seed makes the latencies (and scores) reproducible.
	Seed uint64
	// OnPrediction, when set, sees every latency recorded (ms).
	OnPrediction func(ms float64)
	// OnScore, when set, sees every score recorded (only with Score).
	OnScore func(score float64)
	// WrapExporter, when set, wraps the OTLP exporter, so a test can see what the SDK sends.
	WrapExporter func(sdkmetric.Exporter) sdkmetric.Exporter
}

// App is a running serving app.
type App struct {
	cfg         Config
	provider    *sdkmetric.MeterProvider
	latency     metric.Float64Histogram
	predictions metric.Int64Counter
	score       metric.Float64Histogram // nil without Config.Score
	count       atomic.Uint64

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// Resource returns the resource attributes an app with cfg reports.
func Resource(cfg Config) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("service.name", cfg.ServiceName),
		attribute.String("ml.model.id", cfg.Model),
		attribute.String("ml.model.version", cfg.Version),
	}
	if cfg.Pod != "" {
		attrs = append(attrs, attribute.String("service.instance.id", cfg.Pod), attribute.String("k8s.pod.name", cfg.Pod))
	}
	return attrs
}

// Start builds the app's meter provider and starts predicting.
func Start(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Latency == nil || cfg.Accuracy == nil || cfg.Rate <= 0 {
		return nil, errors.New("servingapp: Latency, Accuracy and a positive Rate are required")
	}
	if cfg.ExportInterval <= 0 {
		cfg.ExportInterval = time.Second
	}
	var opts []sdkmetric.Option
	if cfg.Score != nil {
		if cfg.ScoreBounds == nil {
			cfg.ScoreBounds = DefaultScoreBounds
		}
		if err := validBounds(cfg.ScoreBounds); err != nil {
			return nil, fmt.Errorf("app %s: ScoreBounds %v: %w", cfg.ServiceName, cfg.ScoreBounds, err)
		}
		cfg.ScoreBounds = slices.Clone(cfg.ScoreBounds)
		opts = append(opts, sdkmetric.WithView(sdkmetric.NewView(
			sdkmetric.Instrument{Name: ScoreMetric, Scope: instrumentation.Scope{Name: ScopeName}},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: cfg.ScoreBounds}},
		)))
	}
	exp, err := newExporter(ctx, cfg.Protocol, cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("app %s: %w", cfg.ServiceName, err)
	}
	if cfg.WrapExporter != nil {
		exp = cfg.WrapExporter(exp)
	}
	provider := sdkmetric.NewMeterProvider(append([]sdkmetric.Option{
		sdkmetric.WithResource(resource.NewSchemaless(Resource(cfg)...)),
		sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, sdkmetric.WithInterval(cfg.ExportInterval))),
	}, opts...)...)
	a := &App{cfg: cfg, provider: provider, stop: make(chan struct{}), done: make(chan struct{})}
	if err := a.instruments(); err != nil {
		_ = provider.Shutdown(ctx)
		return nil, fmt.Errorf("app %s: %w", cfg.ServiceName, err)
	}
	go a.serve()
	return a, nil
}

// validBounds accepts non-empty, finite, strictly increasing bounds.
func validBounds(b []float64) error {
	if len(b) == 0 {
		return errors.New("no bounds")
	}
	for i, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("bound %v is not finite", v)
		}
		if i > 0 && v <= b[i-1] {
			return fmt.Errorf("bounds must increase (%v after %v)", v, b[i-1])
		}
	}
	return nil
}

func newExporter(ctx context.Context, p Protocol, endpoint string) (sdkmetric.Exporter, error) {
	switch p {
	case GRPC:
		return otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(endpoint), otlpmetricgrpc.WithInsecure())
	case HTTP:
		return otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(endpoint), otlpmetrichttp.WithInsecure())
	}
	return nil, fmt.Errorf("unknown OTLP protocol %q (want %q or %q)", p, GRPC, HTTP)
}

func (a *App) instruments() error {
	meter := a.provider.Meter(ScopeName)
	var err error
	if a.latency, err = meter.Float64Histogram(LatencyMetric,
		metric.WithUnit("ms"), metric.WithDescription("Time to serve one prediction.")); err != nil {
		return err
	}
	if a.predictions, err = meter.Int64Counter(PredictionsMetric,
		metric.WithUnit("{prediction}"), metric.WithDescription("Predictions served.")); err != nil {
		return err
	}
	if a.cfg.Score != nil {
		if a.score, err = meter.Float64Histogram(ScoreMetric,
			metric.WithUnit("1"), metric.WithDescription("Score of one prediction: the positive class's probability.")); err != nil {
			return err
		}
	}
	_, err = meter.Float64ObservableGauge(AccuracyMetric,
		metric.WithUnit("1"), metric.WithDescription("Accuracy of recent predictions against feedback."),
		metric.WithFloat64Callback(func(_ context.Context, o metric.Float64Observer) error {
			o.Observe(a.cfg.Accuracy())
			return nil
		}))
	return err
}

// tick is how often the app records the predictions that came due.
const tick = 10 * time.Millisecond

func (a *App) serve() {
	defer close(a.done)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(a.cfg.Seed, a.cfg.Seed^0x9e3779b97f4a7c15))
	// The scores' own source: drawing them does not move the latencies' sequence.
	scoreRNG := rand.New(rand.NewPCG(a.cfg.Seed^0x5c0e5c0e5c0e5c0e, a.cfg.Seed+1))
	t := time.NewTicker(tick)
	defer t.Stop()
	last := time.Now()
	due := 0.0
	for {
		select {
		case <-a.stop:
			return
		case now := <-t.C:
			due += a.cfg.Rate * now.Sub(last).Seconds()
			last = now
			for ; due >= 1; due-- {
				ms := a.cfg.Latency(rng)
				a.latency.Record(ctx, ms)
				a.predictions.Add(ctx, 1)
				if a.score != nil {
					p := a.cfg.Score(scoreRNG)
					a.score.Record(ctx, p)
					if a.cfg.OnScore != nil {
						a.cfg.OnScore(p)
					}
				}
				a.count.Add(1)
				if a.cfg.OnPrediction != nil {
					a.cfg.OnPrediction(ms)
				}
			}
		}
	}
}

// Predictions returns how many predictions the app has served.
func (a *App) Predictions() uint64 { return a.count.Load() }

// Config returns the app's configuration.
func (a *App) Config() Config { return a.cfg }

// Stop stops predicting and shuts the SDK down, which exports what it has not sent yet.
func (a *App) Stop(ctx context.Context) error {
	var err error
	a.once.Do(func() {
		close(a.stop)
		<-a.done
		if err = a.provider.Shutdown(ctx); err != nil {
			err = fmt.Errorf("app %s: shut the SDK down: %w", a.cfg.ServiceName, err)
		}
	})
	return err
}
