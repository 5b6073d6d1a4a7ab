package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/state"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// Score references for the observers that compare (prediction_drift). A trailing reference is
// read from the model's score ring at every evaluation. A pinned one is built from the first
// reference_window of each (model, version)'s scores, slot by slot as evaluations pass (building),
// frozen once it spans reference_window and holds min_samples, and then kept with the model's
// decision, so storage keeps it across restarts. A building reference is not stored: a restart
// starts it again.

// referenceRetention is how long a pinned reference outlives its (model, version)'s last score:
// a version retired this long ago will not come back to be compared.
const referenceRetention = 7 * 24 * time.Hour

// referenceSeenEvery is how often the time a reference was last seen is written: its retention
// is measured from it, within a day.
const referenceSeenEvery = 24 * time.Hour

// building is a pinned reference under construction.
type building struct {
	sum window.ScoreSum
	// through is the end (unix ns) of the slots added so far.
	through int64
}

// referenceOf is the score reference m's observers compare with, or nil.
func (p *retrainProcessor) referenceOf(m *model) *observer.Reference {
	if r, ok := p.overrideRefs[m.key.model]; ok {
		return r
	}
	return p.reference
}

// summarizeScores fills the evaluator's Stats.Score and Stats.Reference for m's window ending at
// now; the caller holds m's lock.
func (p *retrainProcessor) summarizeScores(m *model, now time.Time) {
	e := &p.eval
	e.stats.Score, e.stats.Reference = nil, nil
	if m.scores.Kind() == window.KindNone { // no score yet, or no score signal
		return
	}
	end := now.UnixNano()
	start := end - int64(p.cfg.Window)
	m.scores.Sum(start, end, &e.score)
	e.stats.Score = e.score.Histogram()
	ref := p.referenceOf(m)
	switch {
	case ref == nil:
	case ref.Trailing:
		m.scores.Sum(start-int64(ref.Window), start, &e.trailing)
		e.stats.Reference = e.trailing.Histogram()
	default:
		if sum := p.pinned(m, ref, start, end, now); sum != nil {
			e.stats.Reference = sum.Histogram()
		}
	}
}

// pinned returns m's frozen pinned reference, building it from the slots that entered the window
// since the last evaluation until it is; nil while it builds.
func (p *retrainProcessor) pinned(m *model, ref *observer.Reference, start, end int64, now time.Time) *window.ScoreSum {
	e := &p.eval
	if d := e.decisions[m.key]; d != nil && d.ref != nil {
		h := d.ref.Histogram()
		kind := m.scores.Kind()
		switch {
		case h.Count < ref.MinSamples || h.End-h.Start < int64(ref.Window):
			// Stored under other settings (min_samples or reference_window raised since).
			p.logger.Info("The stored drift reference holds fewer scores or a shorter span than the config asks; pinning a new one",
				zap.String("model", m.key.model), zap.String("version", m.key.version),
				zap.Uint64("samples", h.Count), zap.Duration("span", time.Duration(h.End-h.Start)))
		case kind == window.KindNone || sameLayout(d.ref, kind, m.scores.Bounds()):
			d.refSeen = now
			if now.Sub(d.refSeenWritten) >= referenceSeenEvery { // so a restart keeps the retention
				e.touch(m.key)
			}
			return d.ref
		default:
			p.logger.Info("The score histogram's buckets changed; pinning a new drift reference",
				zap.String("model", m.key.model), zap.String("version", m.key.version),
				zap.Float64s("reference_bounds", h.Bounds), zap.Float64s("bounds", m.scores.Bounds()))
		}
		d.ref = nil
		e.touch(m.key)
	}
	b := e.building[m.key]
	if b == nil && m.scores.Kind() == window.KindNone {
		return nil // no scores yet: nothing to build from
	}
	if b == nil {
		b = &building{through: start}
		e.building[m.key] = b
	}
	if !m.scores.AddTo(b.through, end, &b.sum) { // the buckets changed while it built: start over
		b.sum.Reset()
		m.scores.AddTo(start, end, &b.sum)
	}
	b.through = m.scores.Edge(end) // the slot holding end is not complete yet: it comes next time
	h := b.sum.Histogram()
	if h.Count < ref.MinSamples || h.End-h.Start < int64(ref.Window) {
		return nil
	}
	delete(e.building, m.key)
	d := e.touch(m.key)
	d.ref, d.refSeen, d.refSeenWritten = &b.sum, now, now
	p.logger.Info("Pinned the drift reference of a model", zap.String("model", m.key.model),
		zap.String("version", m.key.version), zap.Uint64("samples", h.Count),
		zap.Time("start", time.Unix(0, h.Start).UTC()), zap.Time("end", time.Unix(0, h.End).UTC()))
	return d.ref
}

// sameLayout reports whether a reference and a score ring of kind with bounds can be compared.
func sameLayout(ref *window.ScoreSum, kind window.Kind, bounds []float64) bool {
	h := ref.Histogram()
	if h.Exponential {
		return kind == window.KindExponential
	}
	return kind == window.KindExplicit && slices.Equal(h.Bounds, bounds)
}

// referenceRecord is a pinned reference as storage keeps it, last seen at seen.
func referenceRecord(ref *window.ScoreSum, seen time.Time) *state.Reference {
	if ref == nil {
		return nil
	}
	h := ref.Histogram()
	return &state.Reference{
		Start: time.Unix(0, h.Start).UTC(), End: time.Unix(0, h.End).UTC(), Count: h.Count, Seen: seen.UTC(),
		Bounds: h.Bounds, Exponential: h.Exponential, Scale: h.Scale, Offset: h.Offset, Zero: h.Zero,
		Counts: h.Counts,
	}
}

// restoreReference is the pinned reference a record keeps, or nil.
func restoreReference(r *state.Reference) *window.ScoreSum {
	if r == nil {
		return nil
	}
	var sum window.ScoreSum
	sum.Restore(&drift.Histogram{
		Count: r.Count, Start: r.Start.UnixNano(), End: r.End.UnixNano(),
		Bounds: r.Bounds, Exponential: r.Exponential, Scale: r.Scale, Offset: r.Offset, Zero: r.Zero,
		Counts: r.Counts,
	})
	return &sum
}
