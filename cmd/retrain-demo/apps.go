package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// demoApp is one serving app of the story and what the demo expects the collector to do about it.
type demoApp struct {
	cfg   servingapp.Config
	story string
	turn  string // what happens when it degrades
	// reason is the observer expected to flag the model once it degrades; "" for the healthy app.
	reason string

	degradedAt atomic.Int64 // UnixNano when it degraded; 0 while healthy
	app        *servingapp.App

	mu           sync.Mutex
	recent       []float64 // latencies since the last status line
	recentScores []float64 // scores since the last status line, for an app that reports them
}

// healthyLatency is a responsive model: 18-45 ms, one in a hundred up to 70 ms.
func healthyLatency(r *rand.Rand) float64 {
	if r.IntN(100) == 0 {
		return 45 + 25*r.Float64()
	}
	return 18 + 27*r.Float64()
}

// regressedLatency is the same model after a bad deploy: 140-320 ms.
func regressedLatency(r *rand.Rand) float64 { return 140 + 180*r.Float64() }

// wobble is a small deterministic variation, so a steady accuracy does not look frozen.
func wobble(base float64) float64 {
	return base + 0.008*math.Sin(float64(time.Now().UnixMilli())/1300)
}

// impliedAccuracy is the accuracy calibrated scores imply at the decision threshold 0.5: the
// mean of p above it and 1 − p below, as the estimated_accuracy observer computes from buckets.
func impliedAccuracy(scores []float64) float64 {
	var sum float64
	for _, p := range scores {
		if p > 0.5 {
			sum += p
		} else {
			sum += 1 - p
		}
	}
	return sum / float64(len(scores))
}

// decayTime is how long the decaying model takes to fall from its healthy accuracy to its floor.
const decayTime = 5 * time.Second

// newDemoApps returns the four apps of the story; degradeAt says when the three bad ones turn.
func newDemoApps(grpcEndpoint, httpEndpoint string, degradeAt time.Duration) []*demoApp {
	healthy := &demoApp{
		cfg: servingapp.Config{
			ServiceName: "churn-api", Model: "churn-predictor", Version: "2",
			Protocol: servingapp.GRPC, Endpoint: grpcEndpoint,
			Latency: healthyLatency, Accuracy: func() float64 { return wobble(0.93) },
		},
		story: "stays healthy",
	}

	slow := &demoApp{
		cfg: servingapp.Config{
			ServiceName: "fraud-api", Model: "fraud-detector", Version: "3",
			Protocol: servingapp.GRPC, Endpoint: grpcEndpoint,
			Accuracy: func() float64 { return wobble(0.95) },
		},
		story:  fmt.Sprintf("latency regresses at +%s", degradeAt),
		turn:   "latency regresses to 140-320 ms",
		reason: "latency_sla",
	}
	slow.cfg.Latency = func(r *rand.Rand) float64 {
		if slow.degraded() {
			return regressedLatency(r)
		}
		return healthyLatency(r)
	}

	drifting := &demoApp{
		cfg: servingapp.Config{
			ServiceName: "pricing-api", Model: "price-forecaster", Version: "5",
			Protocol: servingapp.HTTP, Endpoint: httpEndpoint,
			Latency: healthyLatency,
		},
		story:  fmt.Sprintf("accuracy decays from +%s", degradeAt),
		turn:   fmt.Sprintf("accuracy starts to decay, to 0.58 within %s", decayTime),
		reason: "accuracy_drift",
	}
	drifting.cfg.Accuracy = func() float64 {
		const healthy, floor = 0.92, 0.58
		at := drifting.degradedAt.Load()
		if at == 0 {
			return wobble(healthy)
		}
		f := min(float64(time.Now().UnixNano()-at)/float64(decayTime), 1)
		return wobble(healthy - f*(healthy-floor))
	}

	// Its labels arrive late, so the accuracy it reports still looks healthy when its scores
	// lose confidence: only the scores tell.
	unsure := &demoApp{
		cfg: servingapp.Config{
			ServiceName: "lending-api", Model: "loan-approver", Version: "7",
			Protocol: servingapp.GRPC, Endpoint: grpcEndpoint,
			Latency: healthyLatency, Accuracy: func() float64 { return wobble(0.94) },
		},
		story:  fmt.Sprintf("reports scores; they lose confidence at +%s (its labelled accuracy lags)", degradeAt),
		turn:   "scores lose confidence, to around 0.5; labels lag, so its reported accuracy stays 0.94",
		reason: "estimated_accuracy",
	}
	unsure.cfg.Score = func(r *rand.Rand) float64 {
		if unsure.degraded() {
			return servingapp.UnsureScore(r)
		}
		return servingapp.ConfidentScore(r, 0.3) // 30% positives
	}
	unsure.cfg.OnScore = unsure.observeScore

	apps := []*demoApp{healthy, slow, drifting, unsure}
	for i, a := range apps {
		a.cfg.Rate = 50
		a.cfg.ExportInterval = time.Second
		a.cfg.Seed = uint64(i + 1)
		a.cfg.OnPrediction = a.observe
	}
	return apps
}

func (a *demoApp) degraded() bool { return a.degradedAt.Load() != 0 }

// degrade turns the app bad; the healthy app ignores it.
func (a *demoApp) degrade() bool {
	if a.reason == "" {
		return false
	}
	return a.degradedAt.CompareAndSwap(0, time.Now().UnixNano())
}

func (a *demoApp) observe(ms float64) {
	a.mu.Lock()
	a.recent = append(a.recent, ms)
	a.mu.Unlock()
}

func (a *demoApp) observeScore(p float64) {
	a.mu.Lock()
	a.recentScores = append(a.recentScores, p)
	a.mu.Unlock()
}

// status summarises what the app did since the last call: exact p99 of its latencies, its
// current accuracy and, for an app that reports scores, the accuracy its scores imply.
func (a *demoApp) status() string {
	a.mu.Lock()
	recent, scores := a.recent, a.recentScores
	a.recent, a.recentScores = nil, nil
	a.mu.Unlock()
	p99 := "  -  "
	if len(recent) > 0 {
		slices.Sort(recent)
		p99 = fmt.Sprintf("%3.0fms", recent[int(math.Ceil(0.99*float64(len(recent))))-1])
	}
	line := fmt.Sprintf("%-16s p99 %s acc %.2f", a.cfg.Model, p99, a.cfg.Accuracy())
	switch {
	case a.cfg.Score == nil:
	case len(scores) == 0:
		line += "  scores imply acc  -  "
	default:
		line += fmt.Sprintf("  scores imply acc %.2f", impliedAccuracy(scores))
	}
	return line
}

func (a *demoApp) label() string {
	return fmt.Sprintf("%s v%s (%s, OTLP/%s)", a.cfg.Model, a.cfg.Version, a.cfg.ServiceName, strings.ToUpper(string(a.cfg.Protocol)))
}

func startApps(ctx context.Context, apps []*demoApp) error {
	for _, a := range apps {
		app, err := servingapp.Start(ctx, a.cfg)
		if err != nil {
			return err
		}
		a.app = app
	}
	return nil
}

// stopApps stops every started app; each flushes its last export.
func stopApps(ctx context.Context, apps []*demoApp) error {
	var errs []error
	for _, a := range apps {
		if a.app != nil {
			errs = append(errs, a.app.Stop(ctx))
		}
	}
	return errors.Join(errs...)
}

// reportSDKErrors prints the OpenTelemetry SDK's errors, such as failed exports, on the timeline
// while the returned flag is true.
func reportSDKErrors(tl *timeline) *atomic.Bool {
	on := &atomic.Bool{}
	on.Store(true)
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		if on.Load() {
			tl.event("app", "OpenTelemetry SDK: %v", err)
		}
	}))
	return on
}

// statusLines is one timeline event with every app's recent behaviour, an app a line.
func statusLines(apps []*demoApp) string {
	parts := make([]string, len(apps))
	for i, a := range apps {
		parts[i] = a.status()
	}
	return strings.Join(parts, "\n")
}
