// Command loadgen sends OTLP/gRPC metrics at a fixed rate: cumulative explicit-bucket latency
// histograms of serving models, as an OpenTelemetry SDK would export them. `loadgen send` loads a
// running collector; `loadgen e2e` is the end-to-end benchmark of issue 5: it starts the built
// collector once per config, measures its CPU seconds and peak RSS at a fixed rate (one app of 100
// models), its CPU per point at a high fixed rate, then ramps the rate up to the highest one it
// sustains (8 apps of 100 models each, so that 8 requests can be in flight while every model's
// points still arrive in order).
//
//	go run ./cmd/loadgen send -endpoint 127.0.0.1:4317 -rate 10000 -models 100 -duration 30s
//	go run ./cmd/loadgen e2e -collector _build/otelcol-retrain \
//	    -baseline testdata/bench/without-retrain.yaml -config testdata/bench/with-retrain.yaml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "send":
		err = runSend(ctx, os.Args[2:])
	case "e2e":
		err = runE2E(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: loadgen send|e2e [flags]; loadgen send -h, loadgen e2e -h")
	os.Exit(2)
}

func runSend(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	endpoint := fs.String("endpoint", "127.0.0.1:4317", "collector OTLP/gRPC endpoint")
	load := loadFlags(fs)
	_ = fs.Parse(args)
	s, err := newSender(*endpoint, load.models, load.workers)
	if err != nil {
		return err
	}
	defer s.close()
	r := s.run(ctx, load.rate, load.duration)
	fmt.Println(r)
	if r.errors > 0 {
		return fmt.Errorf("%d requests failed, first: %v", r.errors, r.firstErr)
	}
	return nil
}

type load struct {
	rate     float64
	models   int
	workers  int
	duration time.Duration
}

func loadFlags(fs *flag.FlagSet) *load {
	l := &load{}
	fs.Float64Var(&l.rate, "rate", 10000, "data points per second (one point per model per request)")
	fs.IntVar(&l.models, "models", 100, "models per worker, one resource and one histogram point each per request")
	fs.IntVar(&l.workers, "workers", 1, "workers, each an app with its own -models models and one request in flight")
	fs.DurationVar(&l.duration, "duration", 30*time.Second, "how long to send at -rate")
	return l
}
