package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/strategy"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

var (
	_ processor.Metrics = (*metricsProcessor)(nil)
	_ processor.Logs    = (*logsProcessor)(nil)
)

// retrainProcessor is the state one component ID shares across every pipeline it is listed in.
type retrainProcessor struct {
	id        component.ID
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	forget    func()
	now       func() time.Time
	// wait returns a channel that fires after d; tests replace it to drive ticks by hand.
	wait func(d time.Duration) <-chan time.Time

	layout    window.Layout
	models    *models
	observers []observer.Observer            // the top-level observers
	overrides map[string][]observer.Observer // observers of models with overrides
	strategy  strategy.Strategy

	// logs are the next consumers of every logs pipeline the processor is in; set before Start.
	logs []consumer.Logs

	// evalMu serialises evaluations; eval is only touched under it.
	evalMu sync.Mutex
	eval   evaluator

	lifeMu  sync.Mutex
	started bool
	stopped bool
	done    chan struct{}
	wg      sync.WaitGroup
}

func newRetrainProcessor(set processor.Settings, cfg *Config, forget func()) (*retrainProcessor, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create telemetry: %w", err)
	}
	vote, err := strategy.ParseVote(cfg.Strategy.Vote)
	if err != nil {
		return nil, fmt.Errorf("strategy::vote: %w", err)
	}
	p := &retrainProcessor{
		id:        set.ID,
		cfg:       cfg,
		logger:    set.Logger,
		telemetry: tb,
		forget:    forget,
		now:       time.Now,
		wait:      time.After,
		layout:    window.NewLayout(cfg.Window, cfg.EvaluationInterval),
		models:    newModels(cfg.MaxModels),
		observers: cfg.Observers.build(),
		overrides: make(map[string][]observer.Observer, len(cfg.Overrides)),
		strategy:  strategy.Strategy{Vote: vote, For: cfg.Strategy.For, Cooldown: cfg.Strategy.Cooldown},
		done:      make(chan struct{}),
	}
	for _, o := range cfg.Overrides {
		p.overrides[o.Model] = cfg.observersFor(o).build()
	}
	p.eval.init()
	return p, nil
}

func (p *retrainProcessor) addLogsConsumer(next consumer.Logs) {
	p.lifeMu.Lock()
	p.logs = append(p.logs, next)
	p.lifeMu.Unlock()
}

// errNoLogsPipeline is returned by Start when jobs would have nowhere to go.
var errNoLogsPipeline = errors.New("is in no logs pipeline, so its RetrainJob records would be lost")

func (p *retrainProcessor) start(_ context.Context, _ component.Host) error {
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	if p.started {
		return nil
	}
	if len(p.logs) == 0 {
		return fmt.Errorf("processor %q %w: add it to a logs pipeline as well, e.g. "+
			"service::pipelines::logs/retrain: {receivers: [nop], processors: [%s], exporters: [retrain]}",
			p.id, errNoLogsPipeline, p.id)
	}
	p.started = true
	p.wg.Add(1)
	go p.run()
	return nil
}

func (p *retrainProcessor) shutdown(context.Context) error {
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	if p.stopped {
		return nil
	}
	p.stopped = true
	close(p.done)
	p.wg.Wait()
	p.telemetry.Shutdown()
	p.forget()
	return nil
}

// run evaluates on ticks aligned to wall-clock multiples of the interval, so collectors with the
// same settings evaluate the same windows and derive the same job ids.
func (p *retrainProcessor) run() {
	defer p.wg.Done()
	interval := p.cfg.EvaluationInterval
	for {
		now := p.now()
		tick := now.Truncate(interval).Add(interval)
		select {
		case <-p.done:
			return
		case <-p.wait(tick.Sub(now)):
			p.evaluate(context.Background(), tick)
		}
	}
}

// metricsProcessor observes and forwards one metrics pipeline's data.
type metricsProcessor struct {
	shared *retrainProcessor
	next   consumer.Metrics
}

func (m *metricsProcessor) Start(ctx context.Context, host component.Host) error {
	return m.shared.start(ctx, host)
}

func (m *metricsProcessor) Shutdown(ctx context.Context) error { return m.shared.shutdown(ctx) }

func (*metricsProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (m *metricsProcessor) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	m.shared.ingest(ctx, md)
	return m.next.ConsumeMetrics(ctx, md)
}

// logsProcessor forwards one logs pipeline's data; the shared processor injects jobs into it.
type logsProcessor struct {
	shared *retrainProcessor
	next   consumer.Logs
}

func (l *logsProcessor) Start(ctx context.Context, host component.Host) error {
	return l.shared.start(ctx, host)
}

func (l *logsProcessor) Shutdown(ctx context.Context) error { return l.shared.shutdown(ctx) }

func (*logsProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (l *logsProcessor) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	return l.next.ConsumeLogs(ctx, ld)
}
