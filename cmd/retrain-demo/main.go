// Command retrain-demo shows otelcol-retrain end to end on one machine: it starts the collector,
// plays four model-serving apps that report with the OpenTelemetry Go SDK, and serves a trainer
// webhook that verifies and prints the RetrainJobs the collector sends. One model stays healthy,
// one's latency regresses, one's accuracy decays and one's prediction scores lose confidence
// while its labelled accuracy still looks fine; the demo exits 0 once the three expected jobs
// arrived and none for the healthy model. `make run` builds the collector and runs it.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"
)

// Exit codes besides 0.
const (
	exitFailed      = 1
	exitInterrupted = 130
)

type options struct {
	collector string
	config    string
	timeout   time.Duration
	degradeAt time.Duration
	verbose   bool
}

func main() {
	var o options
	flag.StringVar(&o.collector, "collector", "_build/otelcol-retrain", "path of the otelcol-retrain binary (`make build`)")
	flag.StringVar(&o.config, "config", "testdata/demo.yaml", "collector config; its endpoints must read the env variables the demo sets")
	flag.DurationVar(&o.timeout, "timeout", 90*time.Second, "give up when the expected jobs have not all arrived by then")
	flag.DurationVar(&o.degradeAt, "degrade-after", 10*time.Second, "when the three bad models start to degrade")
	flag.BoolVar(&o.verbose, "v", false, "print the collector's own log as well")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, o, os.Stdout))
}

// demo holds the running parts, so one place stops them.
type demo struct {
	tl        *timeline
	trainer   *trainer
	collector *collector
	apps      []*demoApp
	logDir    string
	decided   map[string]bool // job ids of the decisions printed
	statusURL string          // the collector's status page
	sdkErrors *atomic.Bool    // whether the SDK's export errors are printed
}

func run(ctx context.Context, o options, out io.Writer) int {
	tl := newTimeline(out)
	d, err := start(ctx, o, tl)
	if err != nil {
		code := exitFailed
		if ctx.Err() != nil {
			tl.say("interrupted while starting: stopping")
			code = exitInterrupted
		} else {
			tl.say("✘ %v", err)
		}
		if d == nil {
			return code
		}
		if code == exitFailed {
			d.printCollectorProblems()
		}
		_ = d.stop()
		if d.collector != nil && code == exitFailed {
			tl.say("  collector log kept in %s", d.collector.logPath)
		} else {
			d.removeLogs(tl)
		}
		return code
	}
	code := d.watch(ctx, o)
	if err := d.stop(); err != nil {
		tl.say("✘ stopping: %v", err)
		if code == 0 {
			code = exitFailed
		}
	}
	if code == 0 || code == exitInterrupted {
		d.removeLogs(tl)
	} else {
		tl.say("  collector log kept in %s", d.collector.logPath)
	}
	return code
}

func start(ctx context.Context, o options, tl *timeline) (*demo, error) {
	secret, err := newSecret()
	if err != nil {
		return nil, err
	}
	grpcAddr, err1 := freeAddr()
	httpAddr, err2 := freeAddr()
	telemetryAddr, err3 := freeAddr()
	statusAddr, err4 := freeAddr()
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, fmt.Errorf("pick free ports: %w", err)
	}
	d := &demo{tl: tl, decided: map[string]bool{}, statusURL: statusURL(statusAddr)}
	if d.logDir, err = os.MkdirTemp("", "retrain-demo-"); err != nil {
		return nil, err
	}
	if d.trainer, err = startTrainer(secret, tl); err != nil {
		return d, err
	}
	var verbose io.Writer
	if o.verbose {
		verbose = os.Stderr
	}
	env := collectorEnv(grpcAddr, httpAddr, statusAddr, d.trainer.url, secret)
	telemetry, err := telemetryConfig(d.logDir, telemetryAddr)
	if err != nil {
		return d, err
	}
	configs := []string{o.config, telemetry}
	d.collector, err = startCollector(o.collector, configs, env, filepath.Join(d.logDir, "collector.log"), verbose)
	if err != nil {
		return d, err
	}
	tl.say("otelcol-retrain demo: %s --config %s", o.collector, o.config)
	tl.event("collector", "starting; OTLP on %s (gRPC) and %s (HTTP), own metrics on http://%s/metrics", grpcAddr, httpAddr, telemetryAddr)
	tl.event("trainer", "listening on %s; verifies every webhook signature (random secret for this run)", d.trainer.url)

	readyCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := d.collector.waitReady(readyCtx, grpcAddr, httpAddr, statusAddr); err != nil {
		return d, err
	}
	tl.event("collector", "ready; its log goes to %s (kept if the demo fails)", d.collector.logPath)
	tl.say("Status page: %s (every model's state, evidence and history; up until the demo ends)", d.statusURL)

	d.sdkErrors = reportSDKErrors(tl)
	d.apps = newDemoApps(grpcAddr, httpAddr, o.degradeAt)
	if err := startApps(ctx, d.apps); err != nil {
		return d, err
	}
	for _, a := range d.apps {
		tl.event("app", "%s: %.0f predictions/s, exports every %s; %s", a.label(), a.cfg.Rate, a.cfg.ExportInterval, a.story)
	}
	return d, nil
}

// collectorEnv is the environment testdata/demo.yaml reads its addresses and secret from.
func collectorEnv(grpcAddr, httpAddr, statusAddr, webhookURL, secret string) []string {
	return []string{
		"OTLP_GRPC_ENDPOINT=" + grpcAddr,
		"OTLP_HTTP_ENDPOINT=" + httpAddr,
		"STATUS_ENDPOINT=" + statusAddr,
		"RETRAIN_WEBHOOK_URL=" + webhookURL,
		"RETRAIN_WEBHOOK_SECRET=" + secret,
	}
}

// statusURL is the status page of a collector serving it on addr.
func statusURL(addr string) string { return "http://" + addr + "/" }

// stop stops the apps first (their last export still reaches the collector), then the collector
// and the trainer.
func (d *demo) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if d.sdkErrors != nil {
		d.sdkErrors.Store(false) // the exports cut short by stopping are expected
	}
	errs = append(errs, stopApps(ctx, d.apps))
	if d.collector != nil {
		if err := d.collector.stop(10 * time.Second); err != nil {
			errs = append(errs, fmt.Errorf("collector: %w", err))
		}
	}
	if d.trainer != nil {
		errs = append(errs, d.trainer.close(ctx))
	}
	return errors.Join(errs...)
}

// newSecret returns a random Standard Webhooks secret for this run.
func newSecret() (string, error) {
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("signing secret: %w", err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(key), nil
}

// removeLogs deletes the demo's log directory, saying so when it cannot.
func (d *demo) removeLogs(tl *timeline) {
	if err := os.RemoveAll(d.logDir); err != nil {
		tl.say("  could not remove %s: %v", d.logDir, err)
	}
}
