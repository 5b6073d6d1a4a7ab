package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
)

// NewFactory returns the factory of the retrain processor.
func NewFactory() processor.Factory {
	f := &factory{instances: map[*Config]*retrainProcessor{}}
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithMetrics(f.createMetrics, metadata.MetricsStability),
		processor.WithLogs(f.createLogs, metadata.LogsStability),
	)
}

// factory keeps one processor per configuration, so the metrics and logs pipelines that list the
// same component ID share its windows; the collector passes the same *Config to each create call.
type factory struct {
	mu        sync.Mutex
	instances map[*Config]*retrainProcessor
}

func (f *factory) instance(set processor.Settings, cfg component.Config) (*retrainProcessor, error) {
	c := cfg.(*Config)
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.instances[c]; ok {
		return p, nil
	}
	p, err := newRetrainProcessor(set, c, func() { f.forget(c) })
	if err != nil {
		return nil, err
	}
	f.instances[c] = p
	return p, nil
}

func (f *factory) forget(c *Config) {
	f.mu.Lock()
	delete(f.instances, c)
	f.mu.Unlock()
}

var capabilities = processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: false})

func (f *factory) createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	p, err := f.instance(set, cfg)
	if err != nil {
		return nil, err
	}
	mp, err := processorhelper.NewMetrics(ctx, set, cfg, next,
		func(ctx context.Context, md pmetric.Metrics) (pmetric.Metrics, error) {
			p.ingest(ctx, md)
			return md, nil
		},
		capabilities, processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
	if err != nil {
		return nil, err
	}
	p.addMetricsConsumer(next)
	return &metricsProcessor{Metrics: mp, shared: p}, nil
}

func (f *factory) createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	p, err := f.instance(set, cfg)
	if err != nil {
		return nil, err
	}
	lp, err := processorhelper.NewLogs(ctx, set, cfg, next,
		func(_ context.Context, ld plog.Logs) (plog.Logs, error) { return ld, nil },
		capabilities, processorhelper.WithStart(p.start), processorhelper.WithShutdown(p.shutdown))
	if err != nil {
		return nil, err
	}
	p.addLogsConsumer(next)
	return &logsProcessor{Logs: lp, shared: p}, nil
}

// metricsProcessor observes and forwards one metrics pipeline's data.
type metricsProcessor struct {
	processor.Metrics
	shared *retrainProcessor
}

// logsProcessor forwards one logs pipeline's data; the shared processor injects jobs into it.
type logsProcessor struct {
	processor.Logs
	shared *retrainProcessor
}
