package window // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"

import (
	"time"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
)

// MaxScoreSlots bounds the slots of a score ring. A ring covering a window and a trailing
// reference with more slots than this gets wider slots, never wider than the window, and its
// edges are approximate to one of them. A trailing reference of more than MaxScoreSlots-1
// windows would need more: config validation refuses it.
const MaxScoreSlots = 256

// ScoreLayout is the geometry of the score rings: the window's slots and, for a trailing drift
// reference, those of the reference before it.
func ScoreLayout(l Layout, window, reference time.Duration) Layout {
	total := int64(window + reference)
	width := l.Width
	if n := (total + width - 1) / width; n > MaxScoreSlots {
		k := (n + MaxScoreSlots - 1) / MaxScoreSlots
		k = max(1, min(k, int64(window)/width)) // a slot wider than the window would never fit in it
		width *= k
	}
	return Layout{Width: width, Span: (total + width - 1) / width}
}

// Edge is t rounded down to the edge of its slot.
func (s *Scores) Edge(t int64) int64 { return t - t%s.layout.Width }

// Scores is one model's ring of score histograms, one per slot. It holds one kind of histogram
// (explicit with one set of bounds, or exponential) at a time. It is not safe for concurrent use:
// the model's lock guards it.
type Scores struct {
	layout *Layout
	// window is the span, in ns, whose live data keeps the ring from adopting another layout.
	window int64
	slots  []scoreSlot
	head   int64

	kind   Kind
	bounds []float64
}

type scoreSlot struct {
	tag      int64 // epoch+1; 0 marks a slot never used
	count    uint64
	explicit []uint64
	exp      quantile.Exponential
}

// MakeScores returns an empty ring of layout.Span+1 slots, allocated with the first score, so a
// model that sends none costs nothing; window is the evaluation window.
func MakeScores(layout *Layout, window time.Duration) Scores {
	return Scores{layout: layout, window: int64(window)}
}

func (s *Scores) slotAt(t int64) *scoreSlot {
	if s.slots == nil {
		s.slots = make([]scoreSlot, s.layout.Span+1)
	}
	e := t / s.layout.Width
	n := int64(len(s.slots))
	if t < 0 || e <= s.head-n {
		return nil
	}
	s.head = max(s.head, e)
	sl := &s.slots[e%n]
	if sl.tag != e+1 {
		if sl.tag > e+1 {
			return nil
		}
		sl.reset(e + 1)
	}
	return sl
}

func (sl *scoreSlot) reset(tag int64) {
	clear(sl.explicit)
	sl.exp.Reset()
	sl.tag, sl.count = tag, 0
}

// Kind is the kind of histogram the ring holds.
func (s *Scores) Kind() Kind { return s.kind }

// Bounds returns the explicit bounds the ring holds, or nil. Read it, do not keep it.
func (s *Scores) Bounds() []float64 {
	if s.kind != KindExplicit {
		return nil
	}
	return s.bounds
}

// adopt switches the ring's layout when no data of the current window holds the old one; data
// older than that, kept for a trailing reference, is dropped with it.
func (s *Scores) adopt(kind Kind, bounds []float64) bool {
	if s.kind == kind && (kind != KindExplicit || equal(s.bounds, bounds)) {
		return true
	}
	if s.kind != KindNone {
		oldest := (s.head*s.layout.Width - s.window) / s.layout.Width
		for i := range s.slots {
			if sl := &s.slots[i]; sl.tag != 0 && sl.count > 0 && sl.tag-1 >= oldest {
				return false
			}
		}
	}
	for i := range s.slots {
		s.slots[i].reset(s.slots[i].tag)
	}
	s.kind = kind
	s.bounds = append(s.bounds[:0:0], bounds...)
	return true
}

// AddExplicit adds an explicit-bucket histogram's counts taken at t: counts has len(bounds)+1
// entries summing to count.
func (s *Scores) AddExplicit(t int64, bounds []float64, counts []uint64, count uint64) Result {
	sl := s.slotAt(t)
	if sl == nil {
		return TooOld
	}
	if !s.adopt(KindExplicit, bounds) {
		return LayoutMismatch
	}
	if len(sl.explicit) != len(counts) {
		sl.explicit = make([]uint64, len(counts))
	}
	addInto(sl.explicit, counts)
	sl.count += count
	return Added
}

// AddExponential adds an exponential histogram's positive buckets and zero count taken at t.
func (s *Scores) AddExponential(t int64, scale, offset int32, counts []uint64, zero, count uint64) Result {
	sl := s.slotAt(t)
	if sl == nil {
		return TooOld
	}
	if !s.adopt(KindExponential, nil) {
		return LayoutMismatch
	}
	sl.exp.Add(scale, offset, counts, zero)
	sl.count += count
	return Added
}

// Empty reports whether no slot holds scores a window ending at or after end could use.
func (s *Scores) Empty(end int64) bool {
	if len(s.slots) == 0 {
		return true
	}
	first := (end - s.window) / s.layout.Width
	for i := range s.slots {
		if sl := &s.slots[i]; sl.tag != 0 && sl.count > 0 && sl.tag-1 >= first {
			return false
		}
	}
	return true
}

// ScoreSum is score slots merged into one histogram. Keep one per use and reuse it: its buffers
// survive Reset.
type ScoreSum struct {
	h      drift.Histogram
	counts []uint64
	exp    quantile.Exponential
	kind   Kind
	bounds []float64
}

// Reset empties the sum.
func (a *ScoreSum) Reset() {
	clear(a.counts)
	a.counts = a.counts[:0]
	a.exp.Reset()
	a.kind = KindNone
	a.bounds = a.bounds[:0]
	a.h = drift.Histogram{}
}

// Count is the number of scores summed.
func (a *ScoreSum) Count() uint64 { return a.h.Count }

// Histogram is the sum as the drift statistics read it; it shares the sum's buffers and is valid
// until the sum changes.
func (a *ScoreSum) Histogram() *drift.Histogram {
	h := &a.h
	h.Exponential = a.kind == KindExponential
	if h.Exponential {
		h.Bounds, h.Scale, h.Offset, h.Zero, h.Counts = nil, a.exp.Scale, a.exp.Offset, a.exp.ZeroCount, a.exp.Counts
	} else {
		h.Bounds, h.Counts, h.Scale, h.Offset, h.Zero = a.bounds, a.counts, 0, 0, 0
	}
	return h
}

// Restore sets the sum to h, copying its buffers.
func (a *ScoreSum) Restore(h *drift.Histogram) {
	a.Reset()
	a.h.Count, a.h.Start, a.h.End = h.Count, h.Start, h.End
	if h.Exponential {
		a.kind = KindExponential
		a.exp.Add(h.Scale, h.Offset, h.Counts, h.Zero)
		return
	}
	a.kind = KindExplicit
	a.bounds = append(a.bounds[:0], h.Bounds...)
	a.counts = append(a.counts[:0], h.Counts...)
}

// Sum merges the slots of [start, end) (unix ns; a slot belongs when its span starts in it)
// into a, which is reset first; the span is a's.
func (s *Scores) Sum(start, end int64, a *ScoreSum) {
	a.Reset()
	s.AddTo(start, end, a)
	a.h.Start, a.h.End = start, end
}

// AddTo adds the slots of [start, end) to a. It reports false, adding nothing, when a holds
// another layout than the ring (explicit bounds changed, or the kind); a is then the caller's to
// start over. The span a covers grows to take in the slots added.
func (s *Scores) AddTo(start, end int64, a *ScoreSum) bool {
	if s.kind == KindNone || len(s.slots) == 0 {
		return true
	}
	if a.kind == KindNone {
		a.kind = s.kind
		a.bounds = append(a.bounds[:0], s.bounds...)
	}
	if a.kind != s.kind || (a.kind == KindExplicit && !equal(a.bounds, s.bounds)) {
		return false
	}
	width := s.layout.Width
	// The slots of the epochs [start/width, end/width), as Window.Summarize takes them: when the
	// times are not on slot edges the span's edges are approximate to a slot, and consecutive
	// spans [a, b), [b, c) take every slot once.
	first, last := start/width, end/width
	for i := range s.slots {
		sl := &s.slots[i]
		e := sl.tag - 1
		if sl.tag == 0 || sl.count == 0 || e < first || e >= last {
			continue
		}
		switch a.kind {
		case KindExplicit:
			if len(a.counts) < len(sl.explicit) {
				a.counts = append(a.counts, make([]uint64, len(sl.explicit)-len(a.counts))...)
			}
			addInto(a.counts, sl.explicit)
		case KindExponential:
			a.exp.Merge(&sl.exp)
		}
		if a.h.Count == 0 || e*width < a.h.Start {
			a.h.Start = e * width
		}
		a.h.End = max(a.h.End, (e+1)*width)
		a.h.Count += sl.count
	}
	return true
}
