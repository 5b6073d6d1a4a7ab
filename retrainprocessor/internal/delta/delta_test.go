package delta

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The streams of each kind as the processor keeps them: a clock and the kind's state. Their next
// methods are Next for one point, with the increase zeroed unless the point produced one.

type sumStream struct {
	clock Clock
	sum   Sum
}

func (s *sumStream) next(start, t int64, v float64) (float64, int64, Result) {
	var d SumPoint
	prev, r := Next(&s.clock, &s.sum, start, t, &SumPoint{Value: v}, &d)
	if r != Delta {
		return 0, prev, r
	}
	return d.Value, prev, r
}

type histogramStream struct {
	clock Clock
	hist  Histogram
}

func (s *histogramStream) next(start, t int64, count uint64, bounds []float64, buckets, out []uint64) ([]uint64, uint64, int64, Result) {
	d := HistogramPoint{Buckets: out}
	prev, r := Next(&s.clock, &s.hist, start, t, &HistogramPoint{Count: count, Bounds: bounds, Buckets: buckets}, &d)
	if r != Delta {
		return d.Buckets, 0, prev, r
	}
	return d.Buckets, d.Count, prev, r
}

type exponentialStream struct {
	clock Clock
	exp   Exponential
}

func (s *exponentialStream) next(start, t int64, count, zero uint64, scale, offset int32, buckets, out []uint64) ([]uint64, uint64, uint64, int64, Result) {
	d := ExponentialPoint{Buckets: out}
	prev, r := Next(&s.clock, &s.exp, start, t, &ExponentialPoint{Count: count, Zero: zero, Scale: scale, Offset: offset, Buckets: buckets}, &d)
	if r != Delta {
		return d.Buckets, 0, 0, prev, r
	}
	return d.Buckets, d.Zero, d.Count, prev, r
}

func TestSumNext(t *testing.T) {
	type point struct {
		start, t int64
		v        float64
		inc      float64
		prev     int64
		r        Result
	}
	tests := []struct {
		name   string
		points []point
	}{
		{
			name: "first point only sets the baseline",
			points: []point{
				{start: 1, t: 10, v: 5, r: Baseline},
				{start: 1, t: 20, v: 8, inc: 3, prev: 10, r: Delta},
				{start: 1, t: 30, v: 8, inc: 0, prev: 20, r: Delta},
			},
		},
		{
			name: "a decrease starts a new baseline",
			points: []point{
				{start: 1, t: 10, v: 5, r: Baseline},
				{start: 1, t: 20, v: 2, r: Reset},
				{start: 1, t: 30, v: 7, inc: 5, prev: 20, r: Delta},
			},
		},
		{
			name: "a new start time starts a new baseline",
			points: []point{
				{start: 1, t: 10, v: 5, r: Baseline},
				{start: 15, t: 20, v: 9, r: Reset},
				{start: 15, t: 30, v: 10, inc: 1, prev: 20, r: Delta},
			},
		},
		{
			name: "duplicate and out of order points are stale and keep the baseline",
			points: []point{
				{start: 1, t: 10, v: 5, r: Baseline},
				{start: 1, t: 10, v: 6, r: Stale},
				{start: 1, t: 5, v: 1, r: Stale},
				{start: 1, t: 20, v: 7, inc: 2, prev: 10, r: Delta},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sumStream
			for i, p := range tt.points {
				inc, prev, r := s.next(p.start, p.t, p.v)
				assert.Equal(t, p.r, r, "point %d result", i)
				assert.Equal(t, p.inc, inc, "point %d increase", i)
				assert.Equal(t, p.prev, prev, "point %d previous time", i)
			}
		})
	}
}

func TestHistogramNext(t *testing.T) {
	bounds := []float64{10, 100}
	var h histogramStream
	var out []uint64

	out, n, _, r := h.next(1, 10, 3, bounds, []uint64{1, 1, 1}, out)
	assert.Equal(t, Baseline, r)
	assert.Zero(t, n)

	out, n, prev, r := h.next(1, 20, 10, bounds, []uint64{2, 5, 3}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, uint64(7), n)
	assert.Equal(t, int64(10), prev)
	assert.Equal(t, []uint64{1, 4, 2}, out)

	// Fewer observations in a bucket than before means the process restarted.
	_, _, _, r = h.next(1, 30, 11, bounds, []uint64{1, 6, 4}, out)
	assert.Equal(t, Reset, r, "decreasing bucket")
	// The point that reset the stream is the new baseline.
	out, n, prev, r = h.next(1, 35, 14, bounds, []uint64{2, 7, 5}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, uint64(3), n)
	assert.Equal(t, int64(30), prev)
	assert.Equal(t, []uint64{1, 1, 1}, out)

	// New bounds cannot be differenced against the old ones.
	_, _, _, r = h.next(1, 40, 20, []float64{5, 50}, []uint64{5, 5, 10}, out)
	assert.Equal(t, Reset, r, "bounds changed")

	out, n, _, r = h.next(1, 50, 21, []float64{5, 50}, []uint64{5, 5, 11}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, []uint64{0, 0, 1}, out)

	_, _, _, r = h.next(1, 50, 30, []float64{5, 50}, []uint64{5, 5, 20}, out)
	assert.Equal(t, Stale, r, "duplicate timestamp")

	_, _, _, r = h.next(1, 60, 20, []float64{5, 50}, []uint64{5, 5, 10}, out)
	assert.Equal(t, Reset, r, "decreasing count")
}

func TestExponentialNext(t *testing.T) {
	var e exponentialStream
	var out []uint64

	_, _, _, _, r := e.next(1, 10, 6, 1, 3, 4, []uint64{2, 3}, out)
	assert.Equal(t, Baseline, r)

	// Same scale: plain per-bucket difference, zero count too.
	out, zinc, n, prev, r := e.next(1, 20, 10, 2, 3, 4, []uint64{3, 4, 1}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, int64(10), prev)
	assert.Equal(t, uint64(1), zinc)
	assert.Equal(t, uint64(4), n)
	assert.Equal(t, []uint64{1, 1, 1}, out)

	// Same layout, a bucket decreased: a restart; that point is the new baseline.
	_, _, _, _, r = e.next(1, 22, 9, 2, 3, 4, []uint64{3, 3, 1}, out)
	assert.Equal(t, Reset, r, "decreasing bucket")
	out, zinc, n, _, r = e.next(1, 24, 10, 2, 3, 4, []uint64{3, 4, 1}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, []uint64{0, 1, 0}, out)
	assert.Zero(t, zinc)
	assert.Equal(t, uint64(1), n)

	// The SDK downscales as the range grows: buckets 4,5 | 6 at scale 3 become 2 | 3 at scale 2.
	out, zinc, n, _, r = e.next(1, 30, 14, 2, 2, 2, []uint64{9, 3}, out)
	assert.Equal(t, Delta, r)
	assert.Zero(t, zinc)
	assert.Equal(t, uint64(4), n)
	assert.Equal(t, []uint64{2, 2}, out)

	// A higher scale than before cannot come from the same cumulative stream.
	_, _, _, _, r = e.next(1, 40, 15, 2, 3, 4, []uint64{13}, out)
	assert.Equal(t, Reset, r, "scale went up")

	// A bucket that vanished is a reset.
	_, _, _, _, r = e.next(1, 50, 16, 2, 3, 5, []uint64{14}, out)
	assert.Equal(t, Reset, r, "bucket vanished")
}

// Once warm, Next allocates nothing for points kept in memory that lives on, as the processor's
// scratch keeps them (they escape through the generic dictionary).
func TestNextAllocatesNothingOnceWarm(t *testing.T) {
	s := new(struct {
		clock  Clock
		hist   Histogram
		p, inc HistogramPoint
	})
	bounds := []float64{1, 2, 4, 8}
	buckets := []uint64{1, 2, 3, 4, 5}
	ts := int64(1)
	s.p = HistogramPoint{Count: 15, Bounds: bounds, Buckets: buckets}
	Next(&s.clock, &s.hist, 1, ts, &s.p, &s.inc)
	allocs := testing.AllocsPerRun(100, func() {
		ts++
		buckets[2]++
		s.p.Count++
		if _, r := Next(&s.clock, &s.hist, 1, ts, &s.p, &s.inc); r != Delta {
			t.Fatalf("result %d", r)
		}
	})
	assert.Zero(t, allocs)
}

// Last is the stream's last-seen time: only a point that advanced the stream moves it.
func TestStalePointsDoNotMoveTheClock(t *testing.T) {
	var s sumStream
	s.next(1, 10, 5)
	s.next(1, 20, 7)
	assert.Equal(t, int64(20), s.clock.Last())
	_, _, r := s.next(1, 5, 8)
	assert.Equal(t, Stale, r)
	assert.Equal(t, int64(20), s.clock.Last(), "an out-of-order point")
	s.next(1, 30, 1) // a decrease: a new baseline, which advanced the stream
	assert.Equal(t, int64(30), s.clock.Last())
}
