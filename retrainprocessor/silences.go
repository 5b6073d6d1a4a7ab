package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/status"
)

// Silences stop models from firing for a while (an incident, a planned migration): a silenced
// model is still evaluated, shown and counted (jobs_silenced), and fires no job. They are set
// through the status API, kept in storage under one key, and expire by themselves.

// silencesKey is the storage key of the silences.
const silencesKey = "silences"

// maxSilences bounds the active silences.
const maxSilences = 10000

// errTooManySilences is returned when maxSilences are active.
var errTooManySilences = fmt.Errorf("there are %d active silences already; delete some first", maxSilences)

type silences struct {
	// writeMu serialises the changes, which write storage without holding mu: evaluations and
	// the page read the list meanwhile.
	writeMu sync.Mutex
	mu      sync.Mutex
	list    []status.Silence // active or expired since the last prune
	// unreadable is set when the stored silences could not be read at Start: a change would
	// write over them, so none is taken until the next start.
	unreadable bool
	// any is set while list is not empty, so evaluations skip the lock when there is none.
	any atomic.Bool
}

// storedSilences is the stored form: versioned JSON.
type storedSilences struct {
	Version  int              `json:"v"`
	Silences []status.Silence `json:"silences"`
}

// until returns when the longest silence on (model, version) ends, or false when none is
// active at now.
func (s *silences) until(k modelKey, now time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var end time.Time
	for i := range s.list {
		sl := &s.list[i]
		if sl.ModelID == k.model && (sl.ModelVersion == "" || sl.ModelVersion == k.version) && sl.Until.After(now) && sl.Until.After(end) {
			end = sl.Until
		}
	}
	return end, !end.IsZero()
}

// active returns the silences not expired at now, dropping the others.
func (s *silences) active(now time.Time) []status.Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = slices.DeleteFunc(s.list, func(sl status.Silence) bool { return !sl.Until.After(now) })
	s.any.Store(len(s.list) > 0)
	return slices.Clone(s.list)
}

// snapshot is a copy of the list.
func (s *silences) snapshot() []status.Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

// set replaces the list; the caller holds writeMu.
func (s *silences) set(list []status.Silence) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = list
	s.any.Store(len(list) > 0)
}

// errSilencesUnreadable refuses changes that would write over silences Start could not read.
var errSilencesUnreadable = errors.New("the stored silences could not be read at start (see the log); " +
	"changing them now would overwrite them, so no change is taken until the collector restarts")

func newSilenceID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// lockSilences takes writeMu for a change of the silences, which starts from what the other
// collectors wrote when the storage is shared; it refuses (and releases writeMu) while the stored
// silences could not be read.
func (p *retrainProcessor) lockSilences(ctx context.Context) error {
	s := &p.silences
	s.writeMu.Lock()
	if p.shared != nil {
		p.refreshSilences(ctx)
	}
	if s.unreadable {
		s.writeMu.Unlock()
		return errSilencesUnreadable
	}
	return nil
}

// addSilence stores a silence and keeps it; a storage error leaves it out.
func (p *retrainProcessor) addSilence(ctx context.Context, model, version string, d time.Duration, comment string) (status.Silence, error) {
	now := p.now().UTC()
	sl := status.Silence{ID: newSilenceID(), ModelID: model, ModelVersion: version, Comment: comment, CreatedAt: now, Until: now.Add(d)}
	s := &p.silences
	if err := p.lockSilences(ctx); err != nil {
		return status.Silence{}, err
	}
	defer s.writeMu.Unlock()
	next := slices.DeleteFunc(s.snapshot(), func(sl status.Silence) bool { return !sl.Until.After(now) })
	if len(next) >= maxSilences {
		return status.Silence{}, errTooManySilences
	}
	next = append(next, sl)
	if err := p.writeSilences(ctx, next); err != nil {
		return status.Silence{}, err
	}
	s.set(next)
	p.logger.Info("Silenced a model: it is evaluated and fires no job until the silence ends",
		zap.String("silence_id", sl.ID), zap.String("model", model), zap.String("version", version),
		zap.Time("until", sl.Until), zap.String("comment", comment))
	return sl, nil
}

// deleteSilence ends a silence now.
func (p *retrainProcessor) deleteSilence(ctx context.Context, id string) error {
	s := &p.silences
	if err := p.lockSilences(ctx); err != nil {
		return err
	}
	defer s.writeMu.Unlock()
	next := s.snapshot()
	i := slices.IndexFunc(next, func(sl status.Silence) bool { return sl.ID == id })
	if i < 0 || !next[i].Until.After(p.now()) {
		return status.ErrNotFound
	}
	gone := next[i]
	next = slices.Delete(next, i, i+1)
	if err := p.writeSilences(ctx, next); err != nil {
		return err
	}
	s.set(next)
	p.logger.Info("Ended a silence", zap.String("silence_id", id), zap.String("model", gone.ModelID),
		zap.String("version", gone.ModelVersion))
	return nil
}

// writeSilences stores list; without storage it is kept in memory only.
func (p *retrainProcessor) writeSilences(ctx context.Context, list []status.Silence) error {
	if p.cfg.Storage == nil || p.store.abandoned.Load() {
		return nil // kept in memory: without storage, or with one that did not answer at Start
	}
	b, err := json.Marshal(storedSilences{Version: 1, Silences: list})
	if err != nil {
		return err
	}
	if err := p.store.write(ctx, []*storage.Operation{storage.SetOperation(silencesKey, b)}); err != nil { // bounded by loadTimeout
		p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, p.attrs.stateWrite...)
		return fmt.Errorf("store the silences: %w", err)
	}
	return nil
}

// restoreSilences reads the stored silences at Start; what cannot be read is logged and counted.
func (p *retrainProcessor) restoreSilences(ctx context.Context) {
	if !p.store.enabled() {
		return
	}
	b, err := p.store.get(ctx, silencesKey)
	if err == nil && b == nil {
		return
	}
	var stored storedSilences
	readFailed := err != nil
	keep := readFailed // a read that failed may succeed next time: do not write over what is there
	if err == nil {
		stored, keep, err = decodeSilences(b)
	}
	if err != nil {
		op := p.attrs.stateDecode
		if readFailed {
			op = p.attrs.stateRead
		}
		p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, op...)
		if !keep { // corrupt: nothing to lose by writing a new list
			p.logger.Error("Cannot decode the stored silences; models are not silenced", zap.Error(err))
			return
		}
		p.logger.Error("Cannot read the stored silences; models are not silenced, and the API refuses to change "+
			"silences until the next start, so the stored ones are not overwritten", zap.Error(err))
		p.silences.writeMu.Lock()
		p.silences.unreadable = true
		p.silences.writeMu.Unlock()
		return
	}
	p.silences.writeMu.Lock()
	p.silences.set(stored.Silences)
	p.silences.writeMu.Unlock()
	if n := len(p.silences.active(p.now())); n > 0 {
		p.logger.Info("Restored the silences", zap.Int("silences", n))
	}
}

// decodeSilences decodes the stored silences; keep is set when they must not be written over
// (a newer collector's).
func decodeSilences(b []byte) (stored storedSilences, keep bool, err error) {
	err = json.Unmarshal(b, &stored)
	switch {
	case err == nil && stored.Version > 1: // a newer collector's: keep it for it
		return stored, true, fmt.Errorf("written by a newer version (%d)", stored.Version)
	case err == nil && stored.Version < 1:
		return stored, false, errors.New("no version")
	}
	return stored, false, err
}

// takeSilences follows another collector's change of the silences in a shared storage; changes
// through this collector's API wait for it, and it for them.
func (p *retrainProcessor) takeSilences(ctx context.Context) {
	p.silences.writeMu.Lock()
	defer p.silences.writeMu.Unlock()
	p.refreshSilences(ctx)
}

// refreshSilences reads the silences of a shared storage again; the caller holds writeMu. The
// storage's current value is read rather than the change that announced it: it is the topic's
// latest, this collector's own writes included, so every collector ends on the same list, and an
// API change starts from it. Silences a newer collector wrote are kept, and no change is taken
// until they can be read, as at Start.
func (p *retrainProcessor) refreshSilences(ctx context.Context) {
	s := &p.silences
	b, err := p.store.get(ctx, silencesKey)
	if err != nil {
		p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, p.attrs.stateRead...)
		p.logger.Error("Cannot read the shared silences; the current ones stay", zap.Error(err))
		return
	}
	var stored storedSilences
	if b != nil {
		var keep bool
		if stored, keep, err = decodeSilences(b); err != nil {
			p.telemetry.ProcessorRetrainStateErrors.Add(ctx, 1, p.attrs.stateDecode...)
			p.logger.Error("Cannot decode the silences another collector wrote; the current ones stay", zap.Error(err))
			s.unreadable = s.unreadable || keep
			return
		}
	}
	s.unreadable = false
	s.set(stored.Silences)
}
