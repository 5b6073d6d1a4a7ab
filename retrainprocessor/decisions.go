package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/state"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/strategy"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// decision is the durable state of one (model, version): its strategy state and the jobs it
// has in the outbox. It lives while it carries something (strategy.State.Idle, no jobs).
type decision struct {
	st     strategy.State
	jobs   []*outboxJob
	dirty  bool // changed since it was last written
	stored bool // a record of it is in storage
	// heldWritten is st.HeldAt as last written.
	heldWritten time.Time
	// ref is the pinned score reference (references.go), refSeen when its model last had one
	// compared, kept with it (written at most once a day, so retention survives restarts).
	ref     *window.ScoreSum
	refSeen time.Time
	// refSeenWritten is refSeen as last written.
	refSeenWritten time.Time
	// handed are the ids of the last jobs this collector is done with (every pipeline accepted
	// them, or the full outbox dropped them), so another collector's older record that still
	// lists one does not bring it back (shared.go).
	handed []string
}

// maxHanded bounds decision.handed: a model fires at most once per cooldown.
const maxHanded = 4

func (d *decision) handedOn(id string) {
	if len(d.handed) == maxHanded {
		d.handed = append(d.handed[:0], d.handed[1:]...)
	}
	d.handed = append(d.handed, id)
}

func (d *decision) idle(now time.Time) bool {
	return len(d.jobs) == 0 && d.st.Idle(now) && d.ref == nil
}

func (d *decision) record(k modelKey) state.Record {
	r := state.Record{
		Model: k.model, ModelVersion: k.version,
		PendingSince: d.st.PendingSince, HeldAt: d.st.HeldAt, CooldownUntil: d.st.CooldownUntil,
		LastJobID: d.st.LastJobID, LastJobAt: d.st.LastJobAt,
		Reference: referenceRecord(d.ref, d.refSeen),
	}
	for _, j := range d.jobs {
		r.Outbox = append(r.Outbox, j.record())
	}
	return r
}

// restoreReference gives d the stored pinned reference r, if it decodes, with when its model was
// last seen.
func (d *decision) restoreReference(r *state.Reference, now time.Time) {
	if d.ref = restoreReference(r); d.ref == nil {
		return
	}
	d.refSeen = r.Seen
	if d.refSeen.IsZero() { // written before the field existed
		d.refSeen = now
	}
	d.refSeenWritten = d.refSeen
}

// touch returns the decision of k for changing it, creating it if needed; it is written at the
// next flush.
func (e *evaluator) touch(k modelKey) *decision {
	d, ok := e.decisions[k]
	if !ok {
		d = &decision{}
		e.decisions[k] = d
	}
	if !d.dirty {
		d.dirty = true
		e.dirty = append(e.dirty, k)
	}
	return d
}

// flush writes every decision changed since the last flush in one batch, and the index when the
// set of stored records changed; idle decisions are dropped from memory and storage. A failed
// write is counted, logged and tried again at the next flush; the state stays in memory.
func (p *retrainProcessor) flush(ctx context.Context, now time.Time) {
	e := &p.eval
	if len(e.dirty) == 0 && len(e.deletes) == 0 && !e.rewriteIndex {
		return
	}
	keys := e.dirty
	e.dirty, e.flushing = e.flushing[:0], keys
	var ops []*storage.Operation
	var added []*decision
	indexChanged := e.rewriteIndex
	for _, k := range keys {
		d, ok := e.decisions[k]
		if !ok {
			continue // dropped since it changed: another collector's now (shared.go)
		}
		d.dirty = false
		key := state.Key(k.model, k.version)
		if d.idle(now) {
			delete(e.decisions, k)
			if d.stored {
				e.deletes = append(e.deletes, key)
				indexChanged = true
			}
			continue
		}
		if !p.store.enabled() {
			continue
		}
		b, err := state.Encode(d.record(k))
		if err != nil { // only plain values go in; keep the state in memory and say so
			p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, p.attrs.stateWrite...)
			p.logger.Error("Cannot encode a model's decision state", zap.String("model", k.model),
				zap.String("version", k.version), zap.Error(err))
			continue
		}
		ops = append(ops, storage.SetOperation(key, b))
		d.heldWritten, d.refSeenWritten = d.st.HeldAt, d.refSeen
		if !d.stored {
			d.stored, indexChanged = true, true
			added = append(added, d)
		}
	}
	if !p.store.enabled() {
		e.deletes, e.rewriteIndex = e.deletes[:0], false
		return
	}
	for _, key := range e.deletes {
		ops = append(ops, storage.DeleteOperation(key))
	}
	if indexChanged && p.shared == nil { // a shared storage has no index (shared.go)
		ops = append(ops, storage.SetOperation(state.IndexKey, p.index()))
	}
	if err := p.store.write(ctx, ops); err != nil {
		p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, p.attrs.stateWrite...)
		p.logger.Error("Writing the decision state failed; it is kept in memory and written at the next evaluation",
			zap.Int("operations", len(ops)), zap.Error(err))
		for _, d := range added {
			d.stored = false
		}
		for _, k := range keys {
			if _, ok := e.decisions[k]; ok {
				e.touch(k)
			}
		}
		e.rewriteIndex = indexChanged
		return
	}
	e.deletes, e.rewriteIndex = e.deletes[:0], false
}

// index encodes the keys of every stored record.
func (p *retrainProcessor) index() []byte {
	keys := make([]string, 0, len(p.eval.decisions))
	for k, d := range p.eval.decisions {
		if d.stored {
			keys = append(keys, state.Key(k.model, k.version))
		}
	}
	sort.Strings(keys)
	b, _ := state.EncodeIndex(keys) // a list of strings always encodes
	return b
}

// restore reads the decision state at Start. What cannot be read is logged and counted, and its
// model starts clean; nothing here fails Start.
func (p *retrainProcessor) restore(ctx context.Context) {
	l := p.store.load(ctx)
	e := &p.eval
	if l.failed != nil {
		op := p.attrs.stateRead
		if errors.Is(l.failed, context.DeadlineExceeded) {
			op = p.attrs.stateTimeout
		}
		p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, op...)
		msg := "Cannot read the stored decision state; every model starts clean"
		if p.store.abandoned.Load() {
			msg += ", and the storage is not used until the next start"
		}
		p.logger.Error(msg, zap.Error(l.failed))
	}
	for _, pr := range l.problems {
		op := p.attrs.stateRead
		if errors.Is(pr.err, state.ErrCorrupt) || errors.Is(pr.err, state.ErrNewerVersion) {
			op = p.attrs.stateDecode
		}
		p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, op...)
		p.logger.Error("Cannot read a model's stored decision state; the model starts clean",
			zap.String("key", pr.key), zap.Error(pr.err))
		e.deletes = append(e.deletes, pr.key)
	}
	var jobs []*outboxJob
	for _, r := range l.records {
		k := modelKey{model: r.Model, version: r.ModelVersion}
		d := &decision{stored: true, st: strategy.State{
			PendingSince: r.PendingSince, HeldAt: r.HeldAt, CooldownUntil: r.CooldownUntil,
			LastJobID: r.LastJobID, LastJobAt: r.LastJobAt,
		}}
		d.restoreReference(r.Reference, p.now())
		for _, rj := range r.Outbox {
			j, err := p.restoreJob(k, rj)
			if err != nil {
				p.dropUndecodable(ctx, k, rj, err, "Dropping a RetrainJob from the outbox that cannot be decoded")
				d.dirty = true
				continue
			}
			d.jobs = append(d.jobs, j)
			jobs = append(jobs, j)
		}
		e.decisions[k] = d
		if d.dirty || d.idle(p.now()) { // changed, or nothing left to keep: the next flush writes or drops it
			d.dirty = false
			e.touch(k)
		}
	}
	if len(l.problems) > 0 { // the next flush rewrites the index without what could not be read
		e.rewriteIndex = true
	}
	slices.SortStableFunc(jobs, func(a, b *outboxJob) int { return a.firedAt.Compare(b.firedAt) })
	e.outbox = append(e.outbox, jobs...)
	p.telemetry.ProcessorRetrainOutboxJobs.Add(ctx, int64(len(jobs)), p.attrs.id...)
	if len(l.records) > 0 || len(jobs) > 0 {
		p.logger.Info("Restored the decision state", zap.Int("models", len(l.records)),
			zap.Int("outbox_jobs", len(jobs)))
	}
}

// dropUndecodable counts and logs a stored outbox job that cannot be decoded, which is dropped.
func (p *retrainProcessor) dropUndecodable(ctx context.Context, k modelKey, rj state.Job, err error, msg string) {
	p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, p.attrs.stateDecode...)
	p.telemetry.ProcessorRetrainJobsDropped.Add(ctx, 1, p.attrs.droppedUndecodable...)
	p.logger.Error(msg, zap.String("job_id", rj.ID), zap.String("model", k.model), zap.Error(err))
}

func (p *retrainProcessor) restoreJob(k modelKey, rj state.Job) (*outboxJob, error) {
	var u plog.ProtoUnmarshaler
	ld, err := u.UnmarshalLogs(rj.Logs)
	if err != nil {
		return nil, err
	}
	if ld.LogRecordCount() != 1 {
		return nil, errors.New("the stored record holds no single job")
	}
	j := &outboxJob{key: k, id: rj.ID, logs: ld, raw: rj.Logs, firedAt: rj.FiredAt, refused: rj.Refused}
	j.pending = make([]bool, len(p.logs))
	if rj.Pipelines == len(p.logs) {
		for _, i := range rj.Pending {
			if i >= 0 && i < len(j.pending) {
				j.pending[i] = true
			}
		}
	} else { // the pipelines changed across the restart: each one gets the job again
		for i := range j.pending {
			j.pending[i] = true
		}
	}
	return j, nil
}
