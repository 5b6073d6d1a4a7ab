package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/state"
)

// maxOutboxJobs bounds the jobs waiting in the outbox for a logs pipeline that refuses them; past
// it the oldest are dropped, counted and logged.
const maxOutboxJobs = 10000

// handOffBatch is how many jobs go to a logs pipeline in one ConsumeLogs call, so a pipeline
// with a small queue can take some while refusing the rest.
const handOffBatch = 100

// outboxJob is a fired job until every logs pipeline accepted it. It is in storage (in its
// model's record) before any pipeline sees it.
type outboxJob struct {
	key     modelKey
	id      string
	logs    plog.Logs // one ResourceLogs holding the job's record; copied for each hand-off
	raw     []byte    // logs as OTLP protobuf, as stored
	firedAt time.Time
	pending []bool // per logs pipeline: not accepted yet
	refused bool   // a pipeline refused it once: counted in jobs_failed
	reasons []string
}

func (j *outboxJob) record() state.Job {
	r := state.Job{ID: j.id, Logs: j.raw, FiredAt: j.firedAt, Pipelines: len(j.pending), Refused: j.refused}
	for i, p := range j.pending {
		if p {
			r.Pending = append(r.Pending, i)
		}
	}
	return r
}

func (j *outboxJob) done() bool { return !slices.Contains(j.pending, true) }

// enqueue puts a fired job in the outbox; the next flush writes it with its model's state.
func (p *retrainProcessor) enqueue(ctx context.Context, d *decision, j *outboxJob) {
	e := &p.eval
	j.pending = make([]bool, len(p.logs))
	for i := range j.pending {
		j.pending[i] = true
	}
	d.jobs = append(d.jobs, j)
	e.outbox = append(e.outbox, j)
	p.telemetry.ProcessorRetrainOutboxJobs.Add(ctx, 1, p.attrs.id...)
}

// replay hands on the jobs restored into the outbox at Start, before the first evaluation.
func (p *retrainProcessor) replay(ctx context.Context) {
	p.evalMu.Lock()
	defer p.evalMu.Unlock()
	if n := len(p.eval.outbox); n > 0 {
		p.logger.Info("Handing on RetrainJobs left in the outbox by the last run, with their original ids",
			zap.Int("jobs", n))
	}
	now := p.now()
	p.flush(ctx, now)
	p.handOff(ctx, now)
}

// handOff gives each logs pipeline, oldest first, the outbox jobs it has not accepted, and drops
// from the outbox (and storage) what every pipeline accepted. A pipeline that refuses keeps its
// jobs for the next evaluation, and is offered smaller batches until it accepts one (a queue
// sized in items may never fit a large one); each acceptance doubles the batch again.
func (p *retrainProcessor) handOff(ctx context.Context, now time.Time) {
	e := &p.eval
	if len(e.outbox) == 0 {
		return
	}
	for len(e.batchSize) < len(p.logs) {
		e.batchSize = append(e.batchSize, handOffBatch)
	}
	var batch []*outboxJob
	for i, next := range p.logs {
		for from := 0; ctx.Err() == nil && from < len(e.outbox); {
			batch = batch[:0]
			for ; from < len(e.outbox) && len(batch) < e.batchSize[i]; from++ {
				if j := e.outbox[from]; j.pending[i] {
					batch = append(batch, j)
				}
			}
			if len(batch) == 0 {
				break
			}
			ld := plog.NewLogs()
			for _, j := range batch {
				j.logs.ResourceLogs().At(0).CopyTo(ld.ResourceLogs().AppendEmpty())
			}
			if err := next.ConsumeLogs(ctx, ld); err != nil {
				p.refused(ctx, i, len(batch), err)
				e.batchSize[i] = max(1, len(batch)/2)
				break
			}
			for _, j := range batch {
				j.pending[i] = false
			}
			e.batchSize[i] = min(handOffBatch, 2*e.batchSize[i])
			p.telemetry.ProcessorRetrainJobsEmitted.Add(ctx, int64(len(batch)), p.attrs.id...)
		}
	}
	kept := e.outbox[:0]
	for _, j := range e.outbox {
		if !j.done() {
			kept = append(kept, j)
			continue
		}
		p.remove(ctx, j)
	}
	clear(e.outbox[len(kept):])
	e.outbox = kept
	p.trim(ctx)
	p.flush(ctx, now)
}

// refused counts the jobs pipeline i has not accepted once it refused a batch of n: each job
// once, however often it is retried.
func (p *retrainProcessor) refused(ctx context.Context, i, n int, err error) {
	var first int64
	for _, j := range p.eval.outbox {
		if j.pending[i] && !j.refused {
			j.refused = true
			first++
			p.eval.touch(j.key)
		}
	}
	if first > 0 {
		p.telemetry.ProcessorRetrainJobsFailed.Add(ctx, first, p.attrs.id...)
	}
	if ctx.Err() == nil {
		p.logger.Warn("Logs pipeline refused RetrainJob records; they stay in the outbox and are retried at the next evaluation",
			zap.Int("jobs", n), zap.Int("outbox_jobs", len(p.eval.outbox)), zap.Error(err))
	}
}

// remove takes j out of its model's outbox; the caller takes it out of the evaluator's.
func (p *retrainProcessor) remove(ctx context.Context, j *outboxJob) {
	d := p.eval.touch(j.key)
	if i := slices.Index(d.jobs, j); i >= 0 {
		d.jobs = slices.Delete(d.jobs, i, i+1)
	}
	d.handedOn(j.id)
	p.telemetry.ProcessorRetrainOutboxJobs.Add(ctx, -1, p.attrs.id...)
}

// trim drops the oldest jobs beyond maxOutboxJobs: each is counted and named in the log.
func (p *retrainProcessor) trim(ctx context.Context) {
	e := &p.eval
	over := len(e.outbox) - e.maxOutbox
	if over <= 0 {
		return
	}
	ids := make([]string, 0, over)
	for _, j := range e.outbox[:over] {
		ids = append(ids, j.id)
		p.remove(ctx, j)
	}
	e.outbox = slices.Delete(e.outbox, 0, over)
	p.telemetry.ProcessorRetrainJobsDropped.Add(ctx, int64(over), p.attrs.droppedOutboxFull...)
	p.logger.Error("Dropping the oldest RetrainJobs: the logs pipeline kept refusing them and the outbox is full",
		zap.Int("jobs", over), zap.Int("outbox_limit", e.maxOutbox), zap.Strings("job_ids", ids))
}

// reportOutboxAtStop says what the outbox still holds at Shutdown: kept in storage for the next
// start, or lost without one (counted and logged, job by job).
func (p *retrainProcessor) reportOutboxAtStop(ctx context.Context) {
	e := &p.eval
	if len(e.outbox) == 0 {
		return
	}
	ids := make([]string, 0, len(e.outbox))
	for _, j := range e.outbox {
		ids = append(ids, j.id)
	}
	if p.store.enabled() {
		p.flush(ctx, p.now())
		p.logger.Info("RetrainJobs the logs pipeline has not accepted stay in the outbox; they are handed on at the next start",
			zap.Int("jobs", len(ids)), zap.Strings("job_ids", ids))
		return
	}
	p.telemetry.ProcessorRetrainJobsDropped.Add(ctx, int64(len(ids)), p.attrs.droppedShutdown...)
	p.logger.Error("RetrainJobs the logs pipeline has not accepted are lost at shutdown: without `storage` the outbox is in memory",
		zap.Int("jobs", len(ids)), zap.Strings("job_ids", ids))
	p.telemetry.ProcessorRetrainOutboxJobs.Add(ctx, -int64(len(ids)), p.attrs.id...)
	e.outbox = nil
}
