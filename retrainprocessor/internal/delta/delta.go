// Package delta turns cumulative data points into the increase since the previous point of the
// same stream. The first point of a stream, a new start time, or any decrease sets a new baseline
// and yields nothing, so a window holds what happened inside it and not since process start.
package delta // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/delta"

import "math/bits"

// Result says what a cumulative point produced.
type Result uint8

const (
	// Delta: the point produced an increase over (Prev, t].
	Delta Result = iota
	// Baseline: the stream's first point; there is no increase to use.
	Baseline
	// Reset: the point restarts the stream (a new start time, a total or bucket below the
	// previous point's, another layout); it is the new baseline and yields no increase.
	Reset
	// Stale: the point is not newer than the last one (duplicate or out of order); it is skipped
	// and the baseline is kept.
	Stale
)

// Clock is the part of a stream's state common to every point kind: the start time of its
// points and the time of the newest one.
type Clock struct {
	start, last int64
}

// Last is the time of the newest point seen, in unix nanoseconds.
func (c *Clock) Last() int64 { return c.last }

// Kind is the state a stream of points of type P keeps besides its clock: the previous point.
// Sum, Histogram and Exponential are the kinds.
type Kind[P any] interface {
	// store makes *p the baseline.
	store(p *P)
	// diff writes *p's increase over the baseline into *inc (its buckets grown as needed) and
	// makes *p the baseline; false when *p cannot follow the baseline (a decrease, another
	// layout), and then *inc means nothing.
	diff(p, inc *P) bool
}

// Next is the step every cumulative point takes, whatever its kind: it classifies the point *p
// by its times against the stream's clock c and, when it follows the previous point, writes the
// increase into *inc and returns the previous point's time.
//
// The kind's methods are called through the generic dictionary, so p and inc escape: keep them
// in memory that lives on (the processor keeps them in its per-request scratch), or each call
// allocates them. Passing the points by value instead costs more than differencing them.
func Next[P any, K Kind[P]](c *Clock, k K, start, t int64, p, inc *P) (prev int64, r Result) {
	switch {
	case c.last == 0:
		c.start, c.last = start, t
		k.store(p)
		return 0, Baseline
	case t <= c.last:
		return 0, Stale
	case start != 0 && c.start != 0 && start != c.start:
		c.start, c.last = start, t
		k.store(p)
		return 0, Reset
	}
	prev, c.last = c.last, t
	if !k.diff(p, inc) {
		return 0, Reset
	}
	return prev, Delta
}

// SumPoint is a monotonic counter's point: its value since the start time.
type SumPoint struct {
	Value float64
}

// Sum is a monotonic counter stream.
type Sum struct {
	value float64
}

func (s *Sum) store(p *SumPoint) { s.value = p.Value }

func (s *Sum) diff(p, inc *SumPoint) bool {
	old, v := s.value, p.Value
	s.value = v
	inc.Value = v - old
	return v >= old
}

// HistogramPoint is an explicit-bucket histogram's point.
type HistogramPoint struct {
	Count uint64
	// Bounds is kept by reference: the caller must never change it, and passing the same slice
	// again spares comparing it.
	Bounds  []float64
	Buckets []uint64
}

// Histogram is an explicit-bucket histogram stream. A change of bounds or a decrease in any
// bucket is a reset.
type Histogram struct {
	count   uint64
	bounds  []float64
	buckets []uint64
}

func (h *Histogram) store(p *HistogramPoint) {
	h.count = p.Count
	h.bounds = p.Bounds
	h.buckets = append(h.buckets[:0], p.Buckets...)
}

func (h *Histogram) diff(p, inc *HistogramPoint) bool {
	count, bounds, buckets := p.Count, p.Bounds, p.Buckets
	if count < h.count || len(buckets) != len(h.buckets) || !equalBounds(h.bounds, bounds) {
		h.store(p)
		return false
	}
	// One pass: the increase, whether any bucket decreased, and the new baseline.
	out := grow(inc.Buckets, len(buckets))
	old := h.buckets[:len(buckets)]
	var decreased uint64 // a borrow from any bucket, without a branch per bucket
	for i, b := range buckets {
		d, borrow := bits.Sub64(b, old[i], 0)
		out[i] = d
		decreased |= borrow
		old[i] = b
	}
	inc.Count, inc.Bounds, inc.Buckets = count-h.count, bounds, out
	h.count = count
	h.bounds = bounds     // equal; keeping the caller's slice makes the next check a pointer check
	return decreased == 0 // a decrease is a reset: the baseline is already stored
}

// ExponentialPoint is an exponential histogram's point: its positive range (bucket i counts the
// index Offset+i at Scale) and zero count.
type ExponentialPoint struct {
	Count, Zero   uint64
	Scale, Offset int32
	Buckets       []uint64
}

// Exponential is an exponential histogram stream's positive range and zero count. The increase
// is at the point's scale and offset; the previous point is downscaled when the stream's scale
// dropped; a higher scale, or a bucket that shrank or vanished, is a reset.
type Exponential struct {
	count   uint64
	zero    uint64
	scale   int32
	offset  int32
	buckets []uint64
}

func (e *Exponential) store(p *ExponentialPoint) {
	e.count, e.zero, e.scale, e.offset = p.Count, p.Zero, p.Scale, p.Offset
	e.buckets = append(e.buckets[:0], p.Buckets...)
}

func (e *Exponential) diff(p, inc *ExponentialPoint) bool {
	count, zero, scale, offset, buckets := p.Count, p.Zero, p.Scale, p.Offset, p.Buckets
	if count < e.count || zero < e.zero || scale > e.scale {
		e.store(p)
		return false
	}
	out := grow(inc.Buckets, len(buckets))
	inc.Buckets = out
	ok := true
	if scale == e.scale && offset == e.offset && len(buckets) >= len(e.buckets) {
		// The common case: same layout, so bucket i is bucket i. One pass as for Histogram.
		old := e.buckets
		var decreased uint64
		for i, b := range buckets[:len(old)] {
			d, borrow := bits.Sub64(b, old[i], 0)
			out[i] = d
			decreased |= borrow
		}
		copy(out[len(old):], buckets[len(old):])
		ok = decreased == 0
	} else {
		copy(out, buckets)
		shift := uint(e.scale - scale)
		for j, c := range e.buckets {
			if c == 0 {
				continue
			}
			i := (int64(e.offset)+int64(j))>>shift - int64(offset)
			if i < 0 || i >= int64(len(out)) || out[i] < c {
				ok = false
				break
			}
			out[i] -= c
		}
	}
	inc.Count, inc.Zero, inc.Scale, inc.Offset = count-e.count, zero-e.zero, scale, offset
	e.store(p) // the new baseline either way
	return ok
}

func grow(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n)
	}
	return s[:n]
}

func equalBounds(a, b []float64) bool {
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
