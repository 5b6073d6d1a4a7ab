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
	// Baseline: the point starts (or restarts) the stream; there is no increase to use.
	Baseline
	// Stale: the point is not newer than the last one (duplicate or out of order); it is skipped
	// and the baseline is kept.
	Stale
)

// clock is the part of a stream's state common to every point kind.
type clock struct {
	start, last int64
}

// advance classifies a point by its times and records them when the point is newer.
func (c *clock) advance(start, t int64) (prev int64, r Result) {
	switch {
	case c.last == 0:
		c.start, c.last = start, t
		return 0, Baseline
	case t <= c.last:
		return 0, Stale
	case start != 0 && c.start != 0 && start != c.start:
		c.start, c.last = start, t
		return 0, Baseline
	}
	prev = c.last
	c.last = t
	return prev, Delta
}

// Last is the time of the newest point seen, in unix nanoseconds.
func (c *clock) Last() int64 { return c.last }

// Sum is a monotonic counter stream.
type Sum struct {
	clock
	value float64
}

// Next returns the counter's increase since the previous point and that point's time.
func (s *Sum) Next(start, t int64, v float64) (inc float64, prev int64, r Result) {
	prev, r = s.advance(start, t)
	if r == Stale {
		return 0, 0, r
	}
	old := s.value
	s.value = v
	if r == Baseline || v < old {
		return 0, 0, Baseline
	}
	return v - old, prev, Delta
}

// Histogram is an explicit-bucket histogram stream.
type Histogram struct {
	clock
	count   uint64
	bounds  []float64
	buckets []uint64
}

// Next writes the per-bucket increase since the previous point into out (grown as needed) and
// returns it with the count increase. A change of bounds or a decrease in any bucket is a reset.
// Next keeps bounds by reference: the caller must never change it, and passing the same slice
// again spares comparing it.
func (h *Histogram) Next(start, t int64, count uint64, bounds []float64, buckets []uint64, out []uint64) (inc []uint64, n uint64, prev int64, r Result) {
	prev, r = h.advance(start, t)
	if r == Stale {
		return out, 0, 0, r
	}
	if r == Delta && count >= h.count && len(buckets) == len(h.buckets) && equalBounds(h.bounds, bounds) {
		// One pass: the increase, whether any bucket decreased, and the new baseline.
		out = grow(out, len(buckets))
		old := h.buckets[:len(buckets)]
		var decreased uint64 // a borrow from any bucket, without a branch per bucket
		for i, b := range buckets {
			d, borrow := bits.Sub64(b, old[i], 0)
			out[i] = d
			decreased |= borrow
			old[i] = b
		}
		n = count - h.count
		h.count = count
		h.bounds = bounds // equal; keeping the caller's slice makes the next check a pointer check
		if decreased == 0 {
			return out, n, prev, Delta
		}
		return out, 0, 0, Baseline // a decrease is a reset: the baseline is already stored
	}
	h.count = count
	h.bounds = bounds
	h.buckets = append(h.buckets[:0], buckets...)
	return out, 0, 0, Baseline
}

// Exponential is an exponential histogram stream's positive range and zero count.
type Exponential struct {
	clock
	count   uint64
	zero    uint64
	scale   int32
	offset  int32
	buckets []uint64
}

// Next writes the per-bucket increase at the point's scale into out (indices from offset) and
// returns it with the zero-count and count increases. The previous point is downscaled when the
// stream's scale dropped; a higher scale, or a bucket that shrank or vanished, is a reset.
func (e *Exponential) Next(start, t int64, count, zero uint64, scale, offset int32, buckets []uint64, out []uint64) (inc []uint64, zinc, n uint64, prev int64, r Result) {
	prev, r = e.advance(start, t)
	if r == Stale {
		return out, 0, 0, 0, r
	}
	if r == Baseline || count < e.count || zero < e.zero || scale > e.scale {
		e.store(count, zero, scale, offset, buckets)
		return out, 0, 0, 0, Baseline
	}
	out = grow(out, len(buckets))
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
		zinc, n = zero-e.zero, count-e.count
		e.store(count, zero, scale, offset, buckets) // the new baseline either way
		if decreased != 0 {
			return out, 0, 0, 0, Baseline
		}
		return out, zinc, n, prev, Delta
	}
	copy(out, buckets)
	shift := uint(e.scale - scale)
	for j, c := range e.buckets {
		if c == 0 {
			continue
		}
		i := (int64(e.offset)+int64(j))>>shift - int64(offset)
		if i < 0 || i >= int64(len(out)) || out[i] < c {
			e.store(count, zero, scale, offset, buckets)
			return out, 0, 0, 0, Baseline
		}
		out[i] -= c
	}
	zinc, n = zero-e.zero, count-e.count
	e.store(count, zero, scale, offset, buckets)
	return out, zinc, n, prev, Delta
}

func (e *Exponential) store(count, zero uint64, scale, offset int32, buckets []uint64) {
	e.count, e.zero, e.scale, e.offset = count, zero, scale, offset
	e.buckets = append(e.buckets[:0], buckets...)
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
