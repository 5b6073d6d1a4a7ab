package delta

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

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
				{start: 1, t: 20, v: 2, r: Baseline},
				{start: 1, t: 30, v: 7, inc: 5, prev: 20, r: Delta},
			},
		},
		{
			name: "a new start time starts a new baseline",
			points: []point{
				{start: 1, t: 10, v: 5, r: Baseline},
				{start: 15, t: 20, v: 9, r: Baseline},
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
			var s Sum
			for i, p := range tt.points {
				inc, prev, r := s.Next(p.start, p.t, p.v)
				assert.Equal(t, p.r, r, "point %d result", i)
				assert.Equal(t, p.inc, inc, "point %d increase", i)
				assert.Equal(t, p.prev, prev, "point %d previous time", i)
			}
		})
	}
}

func TestHistogramNext(t *testing.T) {
	bounds := []float64{10, 100}
	var h Histogram
	var out []uint64

	out, n, _, r := h.Next(1, 10, 3, bounds, []uint64{1, 1, 1}, out)
	assert.Equal(t, Baseline, r)
	assert.Zero(t, n)

	out, n, prev, r := h.Next(1, 20, 10, bounds, []uint64{2, 5, 3}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, uint64(7), n)
	assert.Equal(t, int64(10), prev)
	assert.Equal(t, []uint64{1, 4, 2}, out)

	// Fewer observations in a bucket than before means the process restarted.
	_, _, _, r = h.Next(1, 30, 11, bounds, []uint64{1, 6, 4}, out)
	assert.Equal(t, Baseline, r, "decreasing bucket")
	// The point that reset the stream is the new baseline.
	out, n, prev, r = h.Next(1, 35, 14, bounds, []uint64{2, 7, 5}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, uint64(3), n)
	assert.Equal(t, int64(30), prev)
	assert.Equal(t, []uint64{1, 1, 1}, out)

	// New bounds cannot be differenced against the old ones.
	_, _, _, r = h.Next(1, 40, 20, []float64{5, 50}, []uint64{5, 5, 10}, out)
	assert.Equal(t, Baseline, r, "bounds changed")

	out, n, _, r = h.Next(1, 50, 21, []float64{5, 50}, []uint64{5, 5, 11}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, []uint64{0, 0, 1}, out)

	_, _, _, r = h.Next(1, 50, 30, []float64{5, 50}, []uint64{5, 5, 20}, out)
	assert.Equal(t, Stale, r, "duplicate timestamp")

	_, _, _, r = h.Next(1, 60, 20, []float64{5, 50}, []uint64{5, 5, 10}, out)
	assert.Equal(t, Baseline, r, "decreasing count")
}

func TestExponentialNext(t *testing.T) {
	var e Exponential
	var out []uint64

	_, _, _, _, r := e.Next(1, 10, 6, 1, 3, 4, []uint64{2, 3}, out)
	assert.Equal(t, Baseline, r)

	// Same scale: plain per-bucket difference, zero count too.
	out, zinc, n, prev, r := e.Next(1, 20, 10, 2, 3, 4, []uint64{3, 4, 1}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, int64(10), prev)
	assert.Equal(t, uint64(1), zinc)
	assert.Equal(t, uint64(4), n)
	assert.Equal(t, []uint64{1, 1, 1}, out)

	// Same layout, a bucket decreased: a restart; that point is the new baseline.
	_, _, _, _, r = e.Next(1, 22, 9, 2, 3, 4, []uint64{3, 3, 1}, out)
	assert.Equal(t, Baseline, r, "decreasing bucket")
	out, zinc, n, _, r = e.Next(1, 24, 10, 2, 3, 4, []uint64{3, 4, 1}, out)
	assert.Equal(t, Delta, r)
	assert.Equal(t, []uint64{0, 1, 0}, out)
	assert.Zero(t, zinc)
	assert.Equal(t, uint64(1), n)

	// The SDK downscales as the range grows: buckets 4,5 | 6 at scale 3 become 2 | 3 at scale 2.
	out, zinc, n, _, r = e.Next(1, 30, 14, 2, 2, 2, []uint64{9, 3}, out)
	assert.Equal(t, Delta, r)
	assert.Zero(t, zinc)
	assert.Equal(t, uint64(4), n)
	assert.Equal(t, []uint64{2, 2}, out)

	// A higher scale than before cannot come from the same cumulative stream.
	_, _, _, _, r = e.Next(1, 40, 15, 2, 3, 4, []uint64{13}, out)
	assert.Equal(t, Baseline, r, "scale went up")

	// A bucket that vanished is a reset.
	_, _, _, _, r = e.Next(1, 50, 16, 2, 3, 5, []uint64{14}, out)
	assert.Equal(t, Baseline, r, "bucket vanished")
}

func TestNextAllocatesNothingOnceWarm(t *testing.T) {
	var h Histogram
	bounds := []float64{1, 2, 4, 8}
	buckets := []uint64{1, 2, 3, 4, 5}
	out := make([]uint64, 0, 8)
	ts := int64(1)
	h.Next(1, ts, 15, bounds, buckets, out)
	allocs := testing.AllocsPerRun(100, func() {
		ts++
		buckets[2]++
		out, _, _, _ = h.Next(1, ts, 15+uint64(ts), bounds, buckets, out)
	})
	assert.Zero(t, allocs)
}
