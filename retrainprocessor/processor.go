package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
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
	set       processor.Settings
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	attrs     *telemetryAttrs // of the telemetry, with the component ID
	forget    func()
	now       func() time.Time
	// wait returns a channel that fires after d; tests replace it to drive ticks by hand.
	wait func(d time.Duration) <-chan time.Time

	layout    window.Layout
	models    *models
	scratches scratches                 // the requests' reusable buffers (ingest.go)
	observers []evalObserver            // the top-level observers
	overrides map[string][]evalObserver // observers of models with overrides
	// reference is the score reference the top-level observers compare with (nil: none);
	// overrideRefs the same per model with overrides.
	reference    *observer.Reference
	overrideRefs map[string]*observer.Reference
	// scoreLayout is the geometry of the models' score rings: the window, and the longest
	// trailing reference before it.
	scoreLayout window.Layout
	// abstainAttrs are the attribute sets of the abstentions counter, by observer id and outcome.
	abstainAttrs [][observerOutcomes][]metric.AddOption
	strategy     strategy.Strategy
	store        store

	// logs are the next consumers of every logs pipeline the processor is in; set before Start.
	logs []consumer.Logs
	// metrics are the next consumers of every metrics pipeline, which get the health metrics.
	metrics []consumer.Metrics
	// silences stop models from firing (silences.go); board is what the status server shows,
	// nil when it is off (board.go); server serves it.
	silences silences
	// counted are the totals of the per-request counters (skip.go).
	counted counted
	board   *board
	server  *statusServer
	// shared is set when other collectors use the storage too (shared.go).
	shared *shared

	// evalMu serialises evaluations; eval is only touched under it.
	evalMu sync.Mutex
	eval   evaluator

	// Start and Shutdown are called once per pipeline; the first Start starts the instance and
	// the last Shutdown stops it (refs counts the started pipelines).
	lifeMu sync.Mutex
	refs   int
	cancel context.CancelFunc
	done   chan struct{} // closed when the evaluation loop returned
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
		set:       set,
		cfg:       cfg,
		logger:    set.Logger,
		telemetry: tb,
		attrs:     newTelemetryAttrs(set.ID),
		forget:    forget,
		now:       time.Now,
		wait:      time.After,
		layout:    window.NewLayout(cfg.Window, cfg.EvaluationInterval),
		models:    newModels(cfg.MaxModels),
		scratches: newScratches(),
		overrides: make(map[string][]evalObserver, len(cfg.Overrides)),
		strategy: strategy.Strategy{
			Vote: vote, For: cfg.Strategy.For, Cooldown: cfg.Strategy.Cooldown,
			// A restarted collector needs a window to refill; its abstentions keep a streak.
			Gap: cfg.Window,
		},
	}
	ids := map[string]int{}
	p.observers = p.withIDs(cfg.Observers.build(), ids)
	p.reference = cfg.Observers.reference()
	p.overrideRefs = make(map[string]*observer.Reference, len(cfg.Overrides))
	var trailing time.Duration
	for _, o := range cfg.Overrides {
		obs, err := cfg.observersFor(o)
		if err != nil { // Validate decoded the same keys
			return nil, fmt.Errorf("overrides: model %q: %w", o.Model, err)
		}
		p.overrides[o.Model] = p.withIDs(obs.build(), ids)
		p.overrideRefs[o.Model] = obs.reference()
		if r := p.overrideRefs[o.Model]; r != nil && r.Trailing {
			trailing = max(trailing, r.Window)
		}
	}
	if p.reference != nil && p.reference.Trailing {
		trailing = max(trailing, p.reference.Window)
	}
	p.scoreLayout = window.ScoreLayout(p.layout, cfg.Window, trailing)
	p.eval.init()
	if cfg.Status.NetAddr.Endpoint != "" {
		p.board = newBoard(p)
	}
	p.eval.abstained = make([][observerOutcomes]int64, len(ids))
	if err := p.registerCounted(); err != nil {
		return nil, fmt.Errorf("create telemetry: %w", err)
	}
	return p, nil
}

// observerOutcomes is the number of observer.Outcome values the abstentions counter knows.
const observerOutcomes = int(observer.Outcomes)

// evalObserver is an observer with a small id, the same for every model's instance of it, that
// indexes the tick's abstention counts.
type evalObserver struct {
	observer.Observer
	id int
	// gauge is the observer's health metric.
	gauge *observer.Gauge
}

func (p *retrainProcessor) withIDs(obs []observer.Observer, ids map[string]int) []evalObserver {
	out := make([]evalObserver, len(obs))
	for i, o := range obs {
		id, ok := ids[o.Name()]
		if !ok {
			id = len(ids)
			ids[o.Name()] = id
			var sets [observerOutcomes][]metric.AddOption
			for outcome := range sets {
				sets[outcome] = p.attrs.with(
					attribute.String("observer", o.Name()), attribute.String("outcome", observer.Outcome(outcome).String()))
			}
			p.abstainAttrs = append(p.abstainAttrs, sets)
		}
		k, _ := observer.Lookup(o.Name())
		out[i] = evalObserver{Observer: o, id: id, gauge: &k.Gauge}
	}
	return out
}

func (p *retrainProcessor) addMetricsConsumer(next consumer.Metrics) {
	p.lifeMu.Lock()
	p.metrics = append(p.metrics, next)
	p.lifeMu.Unlock()
}

func (p *retrainProcessor) addLogsConsumer(next consumer.Logs) {
	p.lifeMu.Lock()
	p.logs = append(p.logs, next)
	p.lifeMu.Unlock()
}

// errNoLogsPipeline is returned by Start when jobs would have nowhere to go.
var errNoLogsPipeline = errors.New("is in no logs pipeline, so its RetrainJob records would be lost")

// start starts the instance at the first pipeline's Start: it opens the storage, restores the
// decision state and launches the evaluation loop, which first hands on the jobs left in the
// outbox.
func (p *retrainProcessor) start(ctx context.Context, host component.Host) error {
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	if p.refs++; p.refs > 1 {
		return nil
	}
	if err := p.startOnce(ctx, host); err != nil {
		p.refs--
		return err
	}
	return nil
}

func (p *retrainProcessor) startOnce(ctx context.Context, host component.Host) error {
	if len(p.logs) == 0 {
		return fmt.Errorf("processor %q %w: add it to a logs pipeline as well, e.g. "+
			"service::pipelines::logs/retrain: {receivers: [nop], processors: [%s], exporters: [retrain]}",
			p.id, errNoLogsPipeline, p.id)
	}
	if p.cfg.Strategy.DryRun {
		p.logger.Warn("strategy::dry_run is on: models are evaluated, decisions logged and counted " +
			"(jobs_dry_run) and cooldowns started, and no RetrainJob leaves this processor")
	}
	if p.cfg.Storage == nil {
		p.logger.Warn("No storage configured: decision state is kept in memory only, so a restart " +
			"forgets cooldowns and pending `for` streaks (a degraded model gets a second job) and loses " +
			"RetrainJobs the logs pipeline has not accepted yet. Set `storage` to a storage extension such as file_storage.")
	} else {
		if err := p.store.open(ctx, host, p.id, *p.cfg.Storage); err != nil {
			return err
		}
		if !p.subscribe(ctx) {
			p.restore(ctx)
			p.restoreSilences(ctx)
		}
	}
	if err := p.startStatus(ctx, host); err != nil {
		_ = p.store.close(ctx)
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan struct{})
	go p.run(runCtx)
	return nil
}

// shutdown stops the instance at the last pipeline's Shutdown. It returns within ctx's deadline
// whatever the logs pipeline does: an evaluation still handing jobs on is cancelled, and what it
// could not hand on stays in the outbox (and so in storage, when there is one).
func (p *retrainProcessor) shutdown(ctx context.Context) error {
	p.lifeMu.Lock()
	defer p.lifeMu.Unlock()
	if p.refs == 0 { // never started, or already stopped
		p.forget()
		return nil
	}
	if p.refs--; p.refs > 0 {
		return nil
	}
	// The status server first: its silences write to the storage closed below.
	if err := p.stopStatus(ctx); err != nil {
		p.logger.Warn("Stopping the status server failed", zap.Error(err))
	}
	p.cancel()
	select {
	case <-p.done:
		p.stopped(ctx)
	case <-ctx.Done():
		p.logger.Warn("Shutdown's deadline passed while an evaluation was still handing RetrainJobs to the logs pipeline; " +
			"they stay in the outbox")
		go func() { // release the storage once the evaluation gave up
			<-p.done
			p.stopped(context.Background())
		}()
	}
	p.telemetry.Shutdown()
	p.forget()
	return nil
}

// stopped reports what the outbox still holds and closes the storage; the loop has returned.
func (p *retrainProcessor) stopped(ctx context.Context) {
	p.evalMu.Lock()
	defer p.evalMu.Unlock()
	p.reportOutboxAtStop(ctx)
	p.unsubscribe()
	if err := p.store.close(ctx); err != nil {
		p.logger.Warn("Closing the decision storage failed", zap.Error(err))
	}
}

// run hands on the jobs restored into the outbox, then evaluates on ticks aligned to wall-clock
// multiples of the interval, so collectors with the same settings evaluate the same windows and
// derive the same job ids.
func (p *retrainProcessor) run(ctx context.Context) {
	defer close(p.done)
	p.replay(ctx)
	interval := p.cfg.EvaluationInterval
	for {
		now := p.now()
		tick := now.Truncate(interval).Add(interval)
		select {
		case <-ctx.Done():
			return
		case <-p.wait(tick.Sub(now)):
			p.evaluate(ctx, tick)
		}
	}
}
