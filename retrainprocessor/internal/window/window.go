// Package window keeps one model's recent telemetry as a ring of time slots: each slot
// aggregates the latency distribution, prediction counts and accuracy observed in its span, so a
// window's memory is bounded by its slot count whatever the traffic. Summaries merge the slots of
// one evaluation window.
package window // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"

import (
	"time"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
)

// MaxSlots bounds the slots per window. When window and evaluation interval share no divisor
// that gives at most MaxSlots slots, the window's edges are approximate to one slot width.
const MaxSlots = 64

// Layout is the slot geometry shared by every window of a processor.
type Layout struct {
	// Width is the span of one slot in nanoseconds.
	Width int64
	// Span is the number of slots an evaluation window covers.
	Span int64
}

// NewLayout picks the widest slot that divides both the window and the evaluation interval, so an
// evaluation on an aligned tick covers exactly the window; it falls back to window/MaxSlots.
func NewLayout(window, interval time.Duration) Layout {
	w := gcd(int64(window), int64(interval))
	if w <= 0 || int64(window)/w > MaxSlots {
		w = (int64(window) + MaxSlots - 1) / MaxSlots
	}
	if w <= 0 {
		w = 1
	}
	return Layout{Width: w, Span: (int64(window) + w - 1) / w}
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Kind is how a window's latency distribution is held. A window holds one kind at a time.
type Kind uint8

const (
	KindNone Kind = iota
	// KindExplicit: explicit-bucket histograms with one set of bounds.
	KindExplicit
	// KindExponential: exponential histograms, merged with downscaling.
	KindExponential
	// KindSketch: raw samples (gauge points) in a bounded sketch.
	KindSketch
)

// Result says what happened to one observation.
type Result uint8

const (
	// Added: the observation is in the window.
	Added Result = iota
	// TooOld: the observation is older than every slot the ring can hold.
	TooOld
	// LayoutMismatch: the latency layout (kind, explicit bounds or unit) differs from the one the
	// window holds live data in.
	LayoutMismatch
)

type slot struct {
	// epoch+1 of the slot's span (time / width); 0 marks a slot never used.
	tag int64

	latCount         uint64
	latStart, latEnd int64
	explicit         []uint64
	exp              quantile.Exponential
	sketch           quantile.Sketch
	tpSum            float64
	tpN              uint64
	tpStart, tpEnd   int64
	tpGaugeSum       float64
	tpGaugeN         uint64
	accSum           float64
	accN             uint64
	latSeen          bool
}

func (s *slot) reset(tag int64) {
	explicit := s.explicit
	clear(explicit)
	s.exp.Reset()
	s.sketch.Reset()
	exp, sketch := s.exp, s.sketch
	*s = slot{tag: tag, explicit: explicit, exp: exp, sketch: sketch}
}

// Window is one model's ring of slots. It is not safe for concurrent use: the model's lock guards it.
type Window struct {
	layout *Layout
	slots  []slot
	head   int64 // newest epoch written

	// The newest slot and the times it covers, [curLo, curHi): consecutive points of a model
	// nearly always fall in it, so they find it without dividing.
	cur          *slot
	curLo, curHi int64

	kind   Kind
	bounds []float64 // explicit bounds, in ms
	factor float64   // exponential: ms per unit of the recorded values

	merged merged // explicit counts of the last summarized window
}

// New returns an empty window with layout.Span+1 slots: the span plus the slot being filled.
func New(layout *Layout) *Window {
	w := Make(layout)
	return &w
}

// Make is New for a window held by value, inside the object that owns it.
func Make(layout *Layout) Window {
	return Window{layout: layout, slots: make([]slot, layout.Span+1)}
}

// slotAt returns the slot for time t (ns), recycling an expired one, or nil when t is older than
// the ring holds.
func (w *Window) slotAt(t int64) *slot {
	if t >= w.curLo && t < w.curHi {
		return w.cur
	}
	e := t / w.layout.Width
	n := int64(len(w.slots))
	if e <= w.head-n {
		return nil
	}
	if e > w.head {
		w.head = e
	}
	s := &w.slots[e%n]
	if s.tag != e+1 {
		if s.tag > e+1 {
			return nil
		}
		w.noteRecycled(s)
		s.reset(e + 1)
	}
	if e == w.head && t >= 0 {
		// Only a newer epoch replaces the head slot, and that moves the head: until then the
		// slot is the one for every t in its span.
		w.cur, w.curLo, w.curHi = s, e*w.layout.Width, (e+1)*w.layout.Width
	}
	return s
}

// live reports whether s holds data that a summary at the newest epoch could still use.
func (w *Window) live(s *slot) bool {
	return s.tag != 0 && s.tag-1 > w.head-int64(len(w.slots))
}

// Bounds returns the explicit bounds (ms) the window holds latency in, or nil. The slice is the
// window's own: read it, do not keep it.
func (w *Window) Bounds() []float64 {
	if w.kind != KindExplicit {
		return nil
	}
	return w.bounds
}

// hasLiveLatency reports whether any live slot holds latency data.
func (w *Window) hasLiveLatency() bool {
	for i := range w.slots {
		if s := &w.slots[i]; s.latSeen && w.live(s) {
			return true
		}
	}
	return false
}

// adopt switches the window's latency layout when no live data holds the old one.
func (w *Window) adopt(kind Kind, bounds []float64, factor float64) bool {
	same := w.kind == kind
	if same && kind == KindExplicit {
		same = equal(w.bounds, bounds)
	}
	if same && kind == KindExponential {
		same = w.factor == factor
	}
	if same {
		return true
	}
	if w.kind != KindNone && w.hasLiveLatency() {
		return false
	}
	for i := range w.slots {
		s := &w.slots[i]
		s.latSeen, s.latCount = false, 0
		clear(s.explicit)
		s.exp.Reset()
		s.sketch.Reset()
	}
	w.kind, w.factor = kind, factor
	w.bounds = append(w.bounds[:0:0], bounds...) // never the caller's slice, nor one a caller reads
	w.merged.ok = false
	return true
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (s *slot) coverLatency(start, t int64) {
	if !s.latSeen {
		s.latSeen, s.latStart, s.latEnd = true, start, t
		return
	}
	s.latStart = min(s.latStart, start)
	s.latEnd = max(s.latEnd, t)
}

// AddExplicit adds the delta of an explicit-bucket histogram covering (start, t]: bounds in ms,
// counts with len(bounds)+1 entries, count their sum.
func (w *Window) AddExplicit(start, t int64, bounds []float64, counts []uint64, count uint64) Result {
	s := w.slotAt(t)
	if s == nil {
		return TooOld
	}
	if !w.adopt(KindExplicit, bounds, 1) {
		return LayoutMismatch
	}
	if len(s.explicit) != len(counts) {
		s.explicit = make([]uint64, len(counts))
	}
	addInto(s.explicit, counts)
	w.noteAdded(s, counts)
	s.latCount += count
	s.coverLatency(start, t)
	return Added
}

// AddExplicitFrom is AddExplicit for a caller that adds the counts itself, sparing a copy: when
// the window holds bounds and t has a slot, fill gets that slot's counts (len(bounds)+1) to add
// the point's into and returns the point's count, or false after taking back what it added. It
// reports whether the point was added; when not, nothing changed and the caller can still call
// AddExplicit to learn why.
func (w *Window) AddExplicitFrom(start, t int64, bounds []float64, fill func(dst []uint64) (uint64, bool)) bool {
	if w.kind != KindExplicit || !equal(w.bounds, bounds) {
		return false
	}
	s := w.slotAt(t)
	if s == nil || w.merged.holds(s.tag-1) { // a late point for a summarized slot: AddExplicit
		return false
	}
	if len(s.explicit) != len(bounds)+1 {
		s.explicit = make([]uint64, len(bounds)+1)
	}
	count, ok := fill(s.explicit)
	if !ok {
		return false
	}
	s.latCount += count
	s.coverLatency(start, t)
	return true
}

// AddExponential adds the delta of an exponential histogram's positive range covering (start, t];
// factor converts the recorded unit to ms.
func (w *Window) AddExponential(start, t int64, factor float64, scale, offset int32, counts []uint64, zero, count uint64) Result {
	s := w.slotAt(t)
	if s == nil {
		return TooOld
	}
	if !w.adopt(KindExponential, nil, factor) {
		return LayoutMismatch
	}
	s.exp.Add(scale, offset, counts, zero)
	s.latCount += count
	s.coverLatency(start, t)
	return Added
}

// AddSample adds one latency sample in ms, taken at t.
func (w *Window) AddSample(t int64, ms float64) Result {
	s := w.slotAt(t)
	if s == nil {
		return TooOld
	}
	if !w.adopt(KindSketch, nil, 1) {
		return LayoutMismatch
	}
	s.sketch.Add(ms)
	s.latCount++
	s.coverLatency(t, t)
	return Added
}

// AddCount adds n predictions counted over (start, t].
func (w *Window) AddCount(start, t int64, n float64) Result {
	s := w.slotAt(t)
	if s == nil {
		return TooOld
	}
	if s.tpN == 0 {
		s.tpStart, s.tpEnd = start, t
	} else {
		s.tpStart = min(s.tpStart, start)
		s.tpEnd = max(s.tpEnd, t)
	}
	s.tpSum += n
	s.tpN++
	return Added
}

// AddRate adds one throughput gauge reading, in predictions per second.
func (w *Window) AddRate(t int64, perSecond float64) Result {
	s := w.slotAt(t)
	if s == nil {
		return TooOld
	}
	s.tpGaugeSum += perSecond
	s.tpGaugeN++
	return Added
}

// AddAccuracy adds one accuracy reading in [0, 1].
func (w *Window) AddAccuracy(t int64, v float64) Result {
	s := w.slotAt(t)
	if s == nil {
		return TooOld
	}
	s.accSum += v
	s.accN++
	return Added
}

// Empty reports whether no slot holds data a summary ending at or after end could use.
func (w *Window) Empty(end int64) bool {
	first := end/w.layout.Width - w.layout.Span
	for i := range w.slots {
		if s := &w.slots[i]; s.tag != 0 && s.tag-1 >= first {
			return false
		}
	}
	return true
}

// Summarize merges the slots of the window that ends at end (ns, exclusive) into sum, which is
// reset first and keeps its buffers across calls. It updates the window's kept total of explicit
// counts (merged.go), so like the Add methods it needs the model's lock.
func (w *Window) Summarize(end int64, sum *Summary) {
	sum.reset()
	last := end / w.layout.Width // slots before this epoch
	first := last - w.layout.Span
	sum.Start = first * w.layout.Width
	sum.End = end
	sum.kind, sum.factor = w.kind, w.factor
	sum.bounds = append(sum.bounds[:0], w.bounds...)
	if w.kind == KindExplicit {
		sum.explicit = append(sum.explicit[:0], w.mergedExplicit(first, last)...)
	}
	for i := range w.slots {
		s := &w.slots[i]
		e := s.tag - 1
		if s.tag == 0 || e < first || e >= last {
			continue
		}
		sum.add(s)
	}
}
