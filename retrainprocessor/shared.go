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
			p.takeSilences(ctx, value)
			continue
		}
		model, version, ok := state.ParseKey(key)
		if !ok {
			continue // the index of a single collector, or a key of a newer version
		}
		k := modelKey{model: model, version: version}
		m := p.models.lookup(k)
		switch {
		case m != nil && m.adopted:
			// Another collector wrote over what this one stored: fold in what it knows, and
			// write back the union at the next flush.
			if value != nil {
				p.merge(ctx, k, value, false)
			}
			if _, ok := p.eval.decisions[k]; ok {
				p.eval.touch(k)
			}
		case value == nil:
			delete(s.remote, k)
		default:
			s.remote[k] = value
		}
	}
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
	if p.merge(ctx, m.key, b, true) {
		s.tookOver++
	}
}

// merge folds a record another collector wrote into k's decision. The cooldown and the last job
// move forward only; whole, a taken-over record also brings its pending streak and reference
// (where this collector has none) and its outbox jobs (those it does not hold already).
func (p *retrainProcessor) merge(ctx context.Context, k modelKey, b []byte, whole bool) bool {
	e := &p.eval
	r, err := state.Decode(b)
	if err == nil && (r.Model != k.model || r.ModelVersion != k.version) {
		err = state.ErrCorrupt
	}
	if err != nil {
		p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, p.attrs.stateDecode...)
		p.logger.Error("Cannot decode the decision state another collector wrote for a model; it is ignored",
			zap.String("model", k.model), zap.String("version", k.version), zap.Error(err))
		return false
	}
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
	if !whole {
		return true
	}
	if d.st.PendingSince.IsZero() {
		d.st.PendingSince, d.st.HeldAt = r.PendingSince, r.HeldAt
		d.heldWritten = r.HeldAt
	}
	if d.ref == nil {
		d.restoreReference(r.Reference, p.now())
	}
	for _, rj := range r.Outbox {
		if slices.ContainsFunc(d.jobs, func(j *outboxJob) bool { return j.id == rj.ID }) {
			continue
		}
		j, err := p.restoreJob(k, rj)
		if err != nil {
			p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, p.attrs.stateDecode...)
			p.telemetry.ProcessorRetrainJobsDropped.Add(ctx, 1, p.attrs.droppedUndecodable...)
			p.logger.Error("Dropping a RetrainJob another collector left in the outbox that cannot be decoded",
				zap.String("job_id", rj.ID), zap.String("model", k.model), zap.Error(err))
			continue
		}
		d.jobs = append(d.jobs, j)
		e.outbox = append(e.outbox, j)
		p.shared.tookJobs++
		p.telemetry.ProcessorRetrainOutboxJobs.Add(ctx, 1, p.attrs.id...)
	}
	return true
}

// logTakeOvers says, once per evaluation, what it took over.
func (p *retrainProcessor) logTakeOvers() {
	s := p.shared
	if s == nil || s.tookOver == 0 {
		return
	}
	msg := "Took over the decision state other collectors wrote for models whose data now comes here"
	if s.tookJobs > 0 {
		msg += "; their outbox jobs are handed on again with their ids"
	}
	p.logger.Info(msg, zap.Int("models", s.tookOver), zap.Int("outbox_jobs", s.tookJobs))
	s.tookOver, s.tookJobs = 0, 0
}
