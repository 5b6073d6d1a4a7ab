package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/strategy"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// maxPendingJobs bounds the jobs kept for a logs pipeline that refused them.
const maxPendingJobs = 10000

// evaluator is the state of the evaluation ticks; only the goroutine holding evalMu touches it.
type evaluator struct {
	summary  window.Summary
	stats    observer.Stats // here, not on the stack: observers take it through an interface
	models   []*model
	evidence []job.Evidence
	reasons  []string
	states   map[modelKey]*strategy.State
	// pending holds, per logs consumer, job batches it refused, retried at the next tick.
	pending [][]plog.Logs
}

func (e *evaluator) init() {
	e.states = map[modelKey]*strategy.State{}
}

// evaluate runs every observer and the strategy over each model's window ending at now, and
// hands the resulting RetrainJob records to the logs pipelines. Tests call it with their own clock.
func (p *retrainProcessor) evaluate(ctx context.Context, now time.Time) {
	p.evalMu.Lock()
	defer p.evalMu.Unlock()
	began := time.Now()
	e := &p.eval
	ld := plog.NewLogs()
	end := now.UnixNano()
	oldest := end - int64(p.cfg.Window)

	e.models = p.models.snapshot(e.models[:0])
	var evicted, suppressed int64
	for _, m := range e.models {
		m.mu.Lock()
		m.window.Summarize(end, &e.summary)
		m.streams.evict(oldest)
		m.refresh = true
		if m.streams.len() == 0 && m.window.Empty(end) {
			m.removed = true
			p.models.remove(m)
			evicted++
		}
		m.mu.Unlock()

		switch p.decide(m, now) {
		case strategy.Fire:
			p.appendJob(ld, m, now)
		case strategy.Suppressed:
			suppressed++
		}
	}
	clear(e.models) // drop references so evicted models can be collected
	for k, st := range e.states {
		if st.Idle(now) {
			delete(e.states, k)
		}
	}

	tb := p.telemetry
	tb.ProcessorRetrainEvaluations.Add(ctx, 1)
	if evicted > 0 {
		tb.ProcessorRetrainModels.Add(ctx, -evicted)
	}
	if suppressed > 0 {
		tb.ProcessorRetrainJobsSuppressed.Add(ctx, suppressed)
	}
	p.emit(ctx, ld)
	tb.ProcessorRetrainEvaluationDuration.Record(ctx, time.Since(began).Seconds())
}

// decide runs the observers on the summary of m and advances its strategy state. On Fire the
// evaluator's evidence and reasons hold the job's.
func (p *retrainProcessor) decide(m *model, now time.Time) strategy.Decision {
	e := &p.eval
	s := &e.summary
	e.evidence, e.reasons = e.evidence[:0], e.reasons[:0]

	// Each observer applies its own gate (min_samples, a whole window watched). Every field is
	// set one by one: assigning a composite literal copies a temporary, a tenth of the tick.
	stats := &e.stats
	stats.Latency = s
	stats.Predictions = s.Predictions()
	stats.MinSamples = uint64(p.cfg.MinSamples)
	stats.Coverage = 1 // TODO(owner): the part of the window since the model was first seen
	stats.ThroughputRate, stats.ThroughputSamples = s.Throughput(p.cfg.Throughput.Metric == "")
	stats.AccuracyMean, stats.AccuracySamples = s.Accuracy()
	observers := p.observers
	if o, ok := p.overrides[m.key.model]; ok {
		observers = o
	}
	flagged := 0
	for _, o := range observers {
		ev, outcome := o.Observe(stats)
		if outcome != observer.Observed {
			continue
		}
		e.evidence = append(e.evidence, ev)
		if ev.Flagged {
			flagged++
			e.reasons = append(e.reasons, ev.Observer)
		}
	}
	holds := p.strategy.Vote.Holds(flagged, len(observers))

	st, ok := e.states[m.key]
	if !ok {
		if !holds {
			return strategy.Quiet
		}
		st = &strategy.State{}
		e.states[m.key] = st
	}
	return p.strategy.Decide(st, now, holds)
}

func (p *retrainProcessor) appendJob(ld plog.Logs, m *model, now time.Time) {
	e := &p.eval
	m.mu.Lock()
	resource := m.resource.AsRaw()
	m.mu.Unlock()
	j := job.Job{
		ID:           job.NewID(m.key.model, m.key.version, now),
		ModelID:      m.key.model,
		ModelVersion: m.key.version,
		Reasons:      e.reasons,
		Strategy:     p.strategy.Vote.String(),
		RequestedAt:  now.UTC(),
		WindowStart:  time.Unix(0, e.summary.Start).UTC(),
		WindowEnd:    now.UTC(),
		Evidence:     e.evidence,
		Resource:     resource,
	}
	job.Append(ld, metadata.ScopeName, j)
	p.logger.Info("Model needs retraining",
		zap.String("job_id", j.ID), zap.String("model", j.ModelID), zap.String("version", j.ModelVersion),
		zap.Strings("reasons", j.Reasons))
}

// emit hands ld to every logs pipeline, first retrying what each refused before. A refused batch
// is kept (up to maxPendingJobs per pipeline) rather than lost.
func (p *retrainProcessor) emit(ctx context.Context, ld plog.Logs) {
	e := &p.eval
	if len(e.pending) < len(p.logs) {
		e.pending = append(e.pending, make([][]plog.Logs, len(p.logs)-len(e.pending))...)
	}
	for i, next := range p.logs {
		// Every pipeline but the last gets its own copy: a consumer may change what it receives.
		batch := ld
		if i < len(p.logs)-1 && ld.LogRecordCount() > 0 {
			batch = plog.NewLogs()
			ld.CopyTo(batch)
		}
		queue := e.pending[i]
		if batch.LogRecordCount() > 0 {
			queue = append(queue, batch)
		}
		sent := 0
		for _, b := range queue {
			n := int64(b.LogRecordCount())
			if err := next.ConsumeLogs(ctx, b); err != nil {
				p.telemetry.ProcessorRetrainJobsFailed.Add(ctx, n)
				p.logger.Warn("Logs pipeline refused RetrainJob records; retrying at the next evaluation",
					zap.Int64("jobs", n), zap.Error(err))
				break
			}
			p.telemetry.ProcessorRetrainJobsEmitted.Add(ctx, n)
			sent++
		}
		queue = queue[sent:]
		queue = p.trimPending(queue)
		e.pending[i] = queue
	}
}

// trimPending drops the oldest batches beyond maxPendingJobs, saying so loudly.
func (p *retrainProcessor) trimPending(queue []plog.Logs) []plog.Logs {
	total := 0
	for _, b := range queue {
		total += b.LogRecordCount()
	}
	drop := 0
	for total > maxPendingJobs && drop < len(queue) {
		total -= queue[drop].LogRecordCount()
		drop++
	}
	if drop > 0 {
		p.logger.Error("Dropping RetrainJob records the logs pipeline kept refusing",
			zap.Int("batches", drop), zap.Int("pending_limit", maxPendingJobs))
		queue = queue[drop:]
	}
	if len(queue) == 0 {
		return nil
	}
	return queue
}
