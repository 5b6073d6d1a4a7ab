package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/status"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/strategy"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// evaluator is the state of the evaluation ticks; only the goroutine holding evalMu touches it.
type evaluator struct {
	summary window.Summary
	// score and trailing are the window's score histogram and a trailing reference.
	score, trailing window.ScoreSum
	// building holds the pinned references under construction (references.go).
	building map[modelKey]*building
	stats    observer.Stats // here, not on the stack: observers take it through an interface
	models   []*model
	// findings are the observed findings of the model being judged; they become the job's
	// evidence only when it fires.
	findings []namedFinding
	reasons  []string

	// decisions is the durable state of every model that has some (decisions.go).
	decisions map[modelKey]*decision
	// dirty lists the decisions changed since the last flush; flushing is its spare buffer.
	dirty, flushing []modelKey
	// deletes are storage keys to delete at the next flush; rewriteIndex asks it to write the index.
	deletes      []string
	rewriteIndex bool
	// outbox holds, oldest first, the fired jobs some logs pipeline has not accepted (outbox.go).
	outbox []*outboxJob
	// maxOutbox is maxOutboxJobs; tests lower it.
	maxOutbox int
	// batchSize is, per logs pipeline, how many jobs the next hand-off offers in one call.
	batchSize []int
	// abstained counts this tick's abstentions by observer id and outcome.
	abstained [][observerOutcomes]int64
	// fired are this tick's jobs, for the log.
	fired []*outboxJob
	// verdict and st are the last stepped model's verdict and the strategy state it was left in;
	// job the job it fired (or would have, in a dry run); silencedUntil when its silence ends,
	// zero when it is not silenced.
	verdict       strategy.Verdict
	st            strategy.State
	job           *outboxJob
	silencedUntil time.Time
	// boardFindings are the stepped model's findings, observed or not, for the status board.
	boardFindings []status.Finding
	// health is this tick's health metrics (health.go).
	health pmetric.Metrics
}

func (e *evaluator) init() {
	e.decisions = map[modelKey]*decision{}
	e.building = map[modelKey]*building{}
	e.maxOutbox = maxOutboxJobs
}

// evaluate runs every observer and the strategy over each model's window ending at now, writes
// the changed decision state and the fired jobs to storage, then hands the jobs to the logs
// pipelines. Tests call it with their own clock.
func (p *retrainProcessor) evaluate(ctx context.Context, now time.Time) {
	p.evalMu.Lock()
	defer p.evalMu.Unlock()
	began := time.Now()
	e := &p.eval
	end := now.UnixNano()
	oldest := end - int64(p.cfg.Window)

	p.takeChanges(ctx)
	e.models = p.models.snapshot(e.models[:0])
	var evicted, suppressed int64
	healthOn := p.healthOn()
	if healthOn {
		e.health = pmetric.NewMetrics()
	}
	for _, m := range e.models {
		var res pmetric.ResourceMetrics
		m.mu.Lock()
		if healthOn {
			res = e.health.ResourceMetrics().AppendEmpty()
			m.resource.CopyTo(res.Resource().Attributes())
		}
		m.window.Summarize(end, &e.summary)
		m.streams.evict(oldest)
		m.refresh = true
		p.summarizeScores(m, now)
		if m.streams.len() == 0 && m.window.Empty(end) && m.scores.Empty(end) {
			m.removed = true
			p.models.remove(m)
			delete(e.building, m.key)
			evicted++
		}
		m.mu.Unlock()

		if p.shared != nil && !m.adopted {
			p.takeOver(ctx, m)
		}
		dec := p.step(ctx, m, now)
		if dec == strategy.Suppressed {
			suppressed++
		}
		if healthOn {
			p.appendHealth(res, dec, now)
		}
		if p.board != nil {
			p.board.update(m, dec, e.silencedUntil, e.job, now)
		}
	}
	if p.board != nil {
		p.board.prune(now)
	}
	clear(e.models) // drop references so evicted models can be collected
	for k, d := range e.decisions {
		if d.ref != nil && now.Sub(d.refSeen) > referenceRetention {
			d.ref = nil
			e.touch(k)
		}
		if !d.dirty && d.idle(now) {
			e.touch(k) // the next flush drops it
		}
	}

	tb := p.telemetry
	tb.ProcessorRetrainEvaluations.Add(ctx, 1, p.attrs.id...)
	if evicted > 0 {
		tb.ProcessorRetrainModels.Add(ctx, -evicted, p.attrs.id...)
	}
	if suppressed > 0 {
		tb.ProcessorRetrainJobsSuppressed.Add(ctx, suppressed, p.attrs.id...)
	}
	p.recordAbstentions(ctx)
	p.logFired(now)
	p.logTakeOvers()
	// The outbox, and so every fired job, is in storage before any pipeline sees a job.
	p.flush(ctx, now)
	p.handOff(ctx, now)
	if healthOn {
		p.sendHealth(ctx)
	}
	tb.ProcessorRetrainEvaluationDuration.Record(ctx, time.Since(began).Seconds(), p.attrs.idRecord...)
}

// step decides for one model and commits the decision: a fired job is built and encoded first,
// so a job that cannot be sent never starts a cooldown.
func (p *retrainProcessor) step(ctx context.Context, m *model, now time.Time) strategy.Decision {
	e := &p.eval
	v := p.verdict(m, now.UnixNano())
	e.verdict, e.st, e.job, e.silencedUntil = v, strategy.State{}, nil, time.Time{}
	if p.silences.any.Load() {
		e.silencedUntil, _ = p.silences.until(m.key, now)
	}
	d, tracked := e.decisions[m.key]
	if !tracked && v != strategy.Holds {
		return strategy.Quiet // nothing to remember
	}
	var st strategy.State
	if tracked {
		st = d.st
	}
	dec := p.strategy.Decide(&st, now, v)
	defer func() { e.st = st }() // the state the model is left in, for its health
	if dec == strategy.Fire && !e.silencedUntil.IsZero() {
		// Evaluated, shown and counted; no job, so no cooldown: it fires once the silence ends.
		p.telemetry.ProcessorRetrainJobsSilenced.Add(ctx, 1, p.attrs.id...)
		dec = strategy.Quiet
	}
	var j *outboxJob
	if dec == strategy.Fire {
		var err error
		if j, err = p.newJob(m, now); err != nil {
			p.telemetry.ProcessorRetrainJobsDropped.Add(ctx, 1, p.attrs.droppedInvalid...)
			p.logger.Error("Cannot build the RetrainJob of a model; no job fired and no cooldown started",
				zap.String("model", m.key.model), zap.String("version", m.key.version), zap.Error(err))
			return strategy.Quiet
		}
		p.strategy.Fired(&st, now, j.id)
	}
	if tracked && j == nil {
		if st == d.st {
			return dec
		}
		// While a streak holds, HeldAt moves at every evaluation; it is written only when it
		// moved by a good part of the gap, so a degraded model costs no write per tick.
		if heldOnly := st.HeldAt != d.st.HeldAt && withHeldAt(st, d.st.HeldAt) == d.st; heldOnly &&
			st.HeldAt.Sub(d.heldWritten) < p.strategy.Gap/4 {
			d.st = st
			return dec
		}
	}
	d = e.touch(m.key)
	d.st = st
	e.job = j
	switch {
	case j != nil && p.cfg.Strategy.DryRun: // decided, logged and counted; nothing leaves
		p.telemetry.ProcessorRetrainJobsDryRun.Add(ctx, 1, p.attrs.id...)
		e.fired = append(e.fired, j)
	case j != nil:
		p.enqueue(ctx, d, j)
		e.fired = append(e.fired, j)
	}
	return dec
}

func withHeldAt(st strategy.State, t time.Time) strategy.State {
	st.HeldAt = t
	return st
}

// verdict runs the observers on the summary of m. When the vote holds, the evaluator's findings
// and reasons hold the job's.
func (p *retrainProcessor) verdict(m *model, end int64) strategy.Verdict {
	e := &p.eval
	s := &e.summary
	e.findings, e.reasons, e.boardFindings = e.findings[:0], e.reasons[:0], e.boardFindings[:0]

	// Each observer applies its own gate (min_samples, a whole window watched). Every field is
	// set one by one: assigning a composite literal copies a temporary, a tenth of the tick.
	stats := &e.stats
	stats.Latency = s
	stats.Predictions = s.Predictions()
	stats.MinSamples = uint64(p.cfg.MinSamples)
	stats.Coverage = min(1, float64(end-m.since)/float64(p.cfg.Window))
	stats.ThroughputRate, stats.ThroughputSamples = s.Throughput(p.cfg.Throughput.Metric == "")
	stats.AccuracyMean, stats.AccuracySamples = s.Accuracy()
	observers := p.observers
	if o, ok := p.overrides[m.key.model]; ok {
		observers = o
	}
	flagged := 0
	for _, o := range observers {
		f, outcome := o.Observe(stats)
		if p.board != nil {
			e.observedForBoard(&o, &f, outcome)
		}
		if outcome != observer.Observed {
			if int(outcome) < observerOutcomes {
				e.abstained[o.id][outcome]++
			}
			if outcome == observer.Unresolved {
				p.unresolved(m, o.Name(), &f)
			}
			continue
		}
		e.findings = append(e.findings, namedFinding{name: o.Name(), gauge: o.gauge, Finding: f})
		if f.Flagged {
			flagged++
			e.reasons = append(e.reasons, o.Name())
		}
	}
	switch {
	case len(e.findings) == 0:
		return strategy.Abstains
	case p.strategy.Vote.Holds(flagged, len(observers)):
		return strategy.Holds
	}
	return strategy.Fails
}

// unresolved logs, once per model, that a bucket-based estimate (a latency percentile, an
// estimated accuracy) straddles its threshold and which bounds would settle it; the abstention
// itself is counted at every evaluation.
func (p *retrainProcessor) unresolved(m *model, name string, f *observer.Finding) {
	if m.unresolvedLogged {
		return
	}
	m.unresolvedLogged = true
	p.logger.Warn("An estimate from histogram buckets straddles its threshold, so the observer abstains; "+
		"set histogram bucket bounds around the threshold (an SDK View), or send exponential histograms",
		zap.String("model", m.key.model), zap.String("version", m.key.version), zap.String("observer", name),
		zap.String("statistic", f.Statistic), zap.Float64("estimate", f.Value), zap.Float64("bucket_lower", f.Lower),
		zap.Float64("bucket_upper", f.Upper), zap.Float64("threshold", f.Threshold), zap.String("unit", f.Unit))
}

// namedFinding is an observer's finding with the observer's name.
type namedFinding struct {
	name  string
	gauge *observer.Gauge
	observer.Finding
}

// evidence is the finding as a job carries it.
func (f *namedFinding) evidence() job.Evidence {
	ev := job.Evidence{
		Observer: f.name, Statistic: f.Statistic, Value: f.Value,
		Lower: f.Lower, Upper: f.Upper, Bounded: f.Bounded,
		Threshold: f.Threshold, Unit: f.Unit, Samples: f.Samples, Flagged: f.Flagged,
	}
	if f.ReferenceEnd != 0 {
		ev.ReferenceStart, ev.ReferenceEnd = time.Unix(0, f.ReferenceStart).UTC(), time.Unix(0, f.ReferenceEnd).UTC()
	}
	return ev
}

// recordAbstentions adds this tick's abstentions to the counter, once per observer and outcome.
func (p *retrainProcessor) recordAbstentions(ctx context.Context) {
	e := &p.eval
	for id := range e.abstained {
		for outcome, n := range e.abstained[id] {
			if n > 0 {
				p.telemetry.ProcessorRetrainAbstentions.Add(ctx, n, p.abstainAttrs[id][outcome]...)
				e.abstained[id][outcome] = 0
			}
		}
	}
}

// newJob builds the job m fires at now as the log record the pipelines get and the bytes the
// outbox stores.
func (p *retrainProcessor) newJob(m *model, now time.Time) (*outboxJob, error) {
	e := &p.eval
	m.mu.Lock()
	resource := m.resource.AsRaw()
	m.mu.Unlock()
	j := job.Job{
		ID:           job.NewID(m.key.model, m.key.version, now),
		ModelID:      m.key.model,
		ModelVersion: m.key.version,
		Reasons:      append([]string(nil), e.reasons...),
		Strategy:     p.strategy.Vote.String(),
		RequestedAt:  now.UTC(),
		WindowStart:  time.Unix(0, e.summary.Start).UTC(),
		WindowEnd:    now.UTC(),
		Evidence:     make([]job.Evidence, len(e.findings)),
		Resource:     resource,
	}
	for i := range e.findings {
		j.Evidence[i] = e.findings[i].evidence()
	}
	if err := j.Validate(); err != nil { // what the exporter would refuse to decode
		return nil, err
	}
	ld := plog.NewLogs()
	job.Append(ld, metadata.ScopeName, j)
	var enc plog.ProtoMarshaler
	raw, err := enc.MarshalLogs(ld)
	if err != nil {
		return nil, fmt.Errorf("encode job %q: %w", j.ID, err)
	}
	return &outboxJob{key: m.key, id: j.ID, logs: ld, raw: raw, firedAt: now, reasons: j.Reasons}, nil
}

// maxFiredLines bounds the log lines one tick writes about its jobs.
const maxFiredLines = 5

// dryRunPrefix starts the decision log lines of a dry run.
func (p *retrainProcessor) dryRunPrefix() string {
	if p.cfg.Strategy.DryRun {
		return "Dry run, not sent: "
	}
	return ""
}

// logFired logs this tick's jobs, each one named: a line per job when they are few, else the
// jobs listed in at most maxFiredLines lines. A decision is rare and must always be logged, but
// the collector's log sampling keeps only the first lines of a message in each period (10 per
// 10 s by default), counted by message text: so every line's message is its own, naming the job
// or the tick, and a prefix search still finds them all.
func (p *retrainProcessor) logFired(now time.Time) {
	e := &p.eval
	n := len(e.fired)
	if n <= maxFiredLines {
		for _, j := range e.fired {
			p.logger.Info(fmt.Sprintf("%sModel needs retraining: %s (job %s)", p.dryRunPrefix(), modelName(j.key), j.id),
				zap.String("job_id", j.id), zap.String("model", j.key.model),
				zap.String("version", j.key.version), zap.Strings("reasons", j.reasons))
		}
	} else {
		per := (n + maxFiredLines - 1) / maxFiredLines
		parts := (n + per - 1) / per
		for part, from := 1, 0; from < n; part, from = part+1, from+per {
			jobs := slices.Clone(e.fired[from:min(from+per, n)]) // the logger may encode it later
			p.logger.Info(fmt.Sprintf("%sModels need retraining: %d jobs at %s (part %d of %d)", p.dryRunPrefix(), n,
				now.UTC().Format(time.RFC3339Nano), part, parts),
				zap.Int("jobs", len(jobs)), zap.Array("retrain_jobs", firedJobs(jobs)))
		}
	}
	clear(e.fired)
	e.fired = e.fired[:0]
}

// modelName is how log messages name a model: its id, and its version when known.
func modelName(k modelKey) string {
	if k.version == "" {
		return k.model
	}
	return k.model + " version " + k.version
}

type firedJobs []*outboxJob

func (f firedJobs) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, j := range f {
		if err := enc.AppendObject(j); err != nil {
			return err
		}
	}
	return nil
}

func (j *outboxJob) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("job_id", j.id)
	enc.AddString("model", j.key.model)
	if j.key.version != "" {
		enc.AddString("version", j.key.version)
	}
	return enc.AddArray("reasons", zapcore.ArrayMarshalerFunc(func(a zapcore.ArrayEncoder) error {
		for _, r := range j.reasons {
			a.AppendString(r)
		}
		return nil
	}))
}
