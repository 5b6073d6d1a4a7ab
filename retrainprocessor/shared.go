package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"slices"
	"sync"

	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/state"
)

// Shared storage. On tier 2 of a Kafka deployment several collectors decide, each for the models
// of the partitions it consumes, and all of them use one storage that each reads whole
// (kafka_storage). What another collector writes reaches this one through the storage's
// subscription and is kept aside, raw, until this collector holds the model. At the first
// evaluation that sees the model here, its state is taken over: the cooldown, the last job, a
// pending `for` streak, the pinned reference and the outbox, whose jobs are handed on again with
// their ids (the trainer drops a duplicate by id). While this collector holds a model, another's
// writes to it (a collector that held it before a rebalance and still evaluates what it kept)
// only move the cooldown and the last job forward, so neither fires inside the other's cooldown.
// Without the index (each collector would write its own over the others'), the subscription is
// how a starting collector learns what is stored.

// subscriber is a storage client that other collectors write to as well. Subscribe calls fn at
// once for every key stored, then for each change another writer makes (a nil value for a
// delete), until cancel returns; fn must not block.
type subscriber interface {
	Subscribe(fn func(key string, value []byte)) (cancel func())
}

type shared struct {
	cancel func()

	mu sync.Mutex
	// changes are the changes not yet taken, by key: the latest value of each (nil: deleted).
	changes map[string][]byte

	// remote is, under evalMu, the last record other collectors wrote of each model this one
	// has not taken over, still encoded.
	remote map[modelKey][]byte
	// tookOver and tookJobs count what this evaluation took over, for one log line.
	tookOver, tookJobs int
}

func (s *shared) queue(key string, value []byte) {
	s.mu.Lock()
	s.changes[key] = value
	s.mu.Unlock()
}

// subscribe starts following the writes of other collectors when the storage is shared, and
// takes in what is stored already. It reports whether the storage is shared.
func (p *retrainProcessor) subscribe(ctx context.Context) bool {
	sub, ok := p.store.client.(subscriber)
	if !ok {
		return false
	}
	s := &shared{changes: map[string][]byte{}, remote: map[modelKey][]byte{}}
	p.shared = s
	s.cancel = sub.Subscribe(s.queue)
	p.evalMu.Lock()
	defer p.evalMu.Unlock()
	p.takeChanges(ctx)
	p.logger.Info("The storage is shared with other collectors: a model's decision state is taken over "+
		"when its data first reaches this one", zap.Int("models_stored", len(s.remote)))
	return true
}

func (p *retrainProcessor) unsubscribe() {
	if p.shared != nil {
		p.shared.cancel()
	}
}

// takeChanges applies what other collectors wrote since the last call; under evalMu.
func (p *retrainProcessor) takeChanges(ctx context.Context) {
	s := p.shared
	if s == nil {
		return
	}
	s.mu.Lock()
	changes := s.changes
	if len(changes) == 0 {
		s.mu.Unlock()
		return
	}
	s.changes = make(map[string][]byte, len(changes))
	s.mu.Unlock()
	for key, value := range changes {
		if key == silencesKey {
			p.takeSilences(ctx)
			continue
		}
		model, version, ok := state.ParseKey(key)
		if !ok {
			continue // the index of a single collector, or a key of a newer version
		}
		p.takeRecord(ctx, modelKey{model: model, version: version}, value)
	}
}

// takeRecord applies another collector's write of k's record (nil: deleted); under evalMu.
func (p *retrainProcessor) takeRecord(ctx context.Context, k modelKey, value []byte) {
	s, e := p.shared, &p.eval
	var r state.Record
	ok := value != nil
	if ok {
		r, ok = p.decodeRecord(ctx, k, value)
	}
	d, tracked := e.decisions[k]
	switch m := p.models.lookup(k); {
	case m != nil && m.adopted:
		// This collector holds the model; another (a former holder still evaluating its
		// window) wrote over what this one stored. Fold in what it knows, and write the union
		// back when its record lacks something of this one's.
		if ok {
			p.merge(ctx, k, r, false)
			d, tracked = e.decisions[k]
		}
		if tracked && (!ok || !covers(r, d)) {
			e.touch(k)
		}
		return // taken: nothing to keep aside
	case tracked && len(d.jobs) == 0:
		// A model this collector no longer holds: its state is the other collectors' now.
		// Dropping the decision keeps this one from deleting or overwriting what they write.
		delete(e.decisions, k)
	case tracked && ok:
		// Not held, with jobs still to hand on: keep them, with the union of the rest.
		p.merge(ctx, k, r, false)
		if !covers(r, d) {
			e.touch(k)
		}
	}
	if value == nil {
		delete(s.remote, k)
	} else {
		s.remote[k] = value
	}
}

// covers reports whether record r holds everything d would write: the cooldown, the last job,
// the outbox jobs and the reference. A pending streak is each holder's own.
func covers(r state.Record, d *decision) bool {
	if r.CooldownUntil.Before(d.st.CooldownUntil) || r.LastJobAt.Before(d.st.LastJobAt) ||
		(d.ref != nil && r.Reference == nil) {
		return false
	}
	for _, j := range d.jobs {
		if !slices.ContainsFunc(r.Outbox, func(rj state.Job) bool { return rj.ID == j.id }) {
			return false
		}
	}
	return true
}

// takeOver gives m the state other collectors left for it, the first time this collector
// evaluates it; under evalMu.
func (p *retrainProcessor) takeOver(ctx context.Context, m *model) {
	m.adopted = true
	s := p.shared
	b, ok := s.remote[m.key]
	if !ok {
		return
	}
	delete(s.remote, m.key)
	if r, ok := p.decodeRecord(ctx, m.key, b); ok {
		p.merge(ctx, m.key, r, true)
		s.tookOver++
	}
}

// decodeRecord decodes another collector's record of k; what cannot be decoded is counted,
// logged and ignored.
func (p *retrainProcessor) decodeRecord(ctx context.Context, k modelKey, b []byte) (state.Record, bool) {
	r, err := state.Decode(b)
	if err == nil && (r.Model != k.model || r.ModelVersion != k.version) {
		err = state.ErrCorrupt
	}
	if err != nil {
		p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, p.attrs.stateDecode...)
		p.logger.Error("Cannot decode the decision state another collector wrote for a model; it is ignored",
			zap.String("model", k.model), zap.String("version", k.version), zap.Error(err))
		return state.Record{}, false
	}
	return r, true
}

// merge folds a record another collector wrote into k's decision: the cooldown and the last job
// move forward only; its outbox jobs that this collector does not hold are taken, to be handed
// on again with their ids (a holder that died with them must not lose them), and its reference
// where this collector has none. Taken over whole, it also brings its pending streak where this
// collector has none.
func (p *retrainProcessor) merge(ctx context.Context, k modelKey, r state.Record, whole bool) {
	e := &p.eval
	d, ok := e.decisions[k]
	if !ok {
		d = &decision{}
		e.decisions[k] = d
	}
	d.stored = true
	if r.CooldownUntil.After(d.st.CooldownUntil) {
		d.st.CooldownUntil = r.CooldownUntil
	}
	if r.LastJobAt.After(d.st.LastJobAt) {
		d.st.LastJobID, d.st.LastJobAt = r.LastJobID, r.LastJobAt
	}
	if whole && d.st.PendingSince.IsZero() {
		d.st.PendingSince, d.st.HeldAt = r.PendingSince, r.HeldAt
		d.heldWritten = r.HeldAt
	}
	if d.ref == nil {
		d.restoreReference(r.Reference, p.now())
	}
	for _, rj := range r.Outbox {
		if slices.ContainsFunc(d.jobs, func(j *outboxJob) bool { return j.id == rj.ID }) || slices.Contains(d.handed, rj.ID) {
			continue // held already, or handed on by this collector: a former holder's record is older
		}
		j, err := p.restoreJob(k, rj)
		if err != nil {
			p.dropUndecodable(ctx, k, rj, err, "Dropping a RetrainJob another collector left in the outbox that cannot be decoded")
			continue
		}
		d.jobs = append(d.jobs, j)
		e.outbox = append(e.outbox, j)
		p.shared.tookJobs++
		p.telemetry.ProcessorRetrainOutboxJobs.Add(ctx, 1, p.attrs.id...)
	}
}

// logTakeOvers says, once per evaluation, what it took over.
func (p *retrainProcessor) logTakeOvers() {
	s := p.shared
	switch {
	case s == nil:
		return
	case s.tookOver > 0:
		msg := "Took over the decision state other collectors wrote for models whose data now comes here"
		if s.tookJobs > 0 {
			msg += "; their outbox jobs are handed on again with their ids"
		}
		p.logger.Info(msg, zap.Int("models", s.tookOver), zap.Int("outbox_jobs", s.tookJobs))
	case s.tookJobs > 0:
		p.logger.Info("Took RetrainJobs other collectors left in the outbox; they are handed on again with their ids",
			zap.Int("outbox_jobs", s.tookJobs))
	}
	s.tookOver, s.tookJobs = 0, 0
}
