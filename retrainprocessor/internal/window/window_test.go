package window

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
)

const sec = int64(time.Second)

func TestNewLayout(t *testing.T) {
	tests := []struct {
		window, interval time.Duration
		width            time.Duration
		span             int64
	}{
		{5 * time.Minute, time.Minute, time.Minute, 5},
		{5 * time.Minute, 45 * time.Second, 15 * time.Second, 20},
		{30 * time.Second, 5 * time.Second, 5 * time.Second, 6},
		{time.Minute, time.Minute, time.Minute, 1},
		// No common divisor gives at most MaxSlots slots: fall back to window/MaxSlots.
		{10 * time.Minute, 7 * time.Second, 10 * time.Minute / MaxSlots, MaxSlots},
	}
	for _, tt := range tests {
		l := NewLayout(tt.window, tt.interval)
		assert.Equal(t, int64(tt.width), l.Width, "%s/%s width", tt.window, tt.interval)
		assert.Equal(t, tt.span, l.Span, "%s/%s span", tt.window, tt.interval)
	}
}

func newTestWindow(width time.Duration, span int64) *Window {
	return New(&Layout{Width: int64(width), Span: span})
}

func TestSummaryHoldsOnlyTheWindow(t *testing.T) {
	w := newTestWindow(10*time.Second, 3) // a 30 s window
	base := 1000 * sec
	for i := range int64(6) { // one accuracy reading per 10 s slot: 1000 s .. 1050 s
		require.Equal(t, Added, w.AddAccuracy(base+i*10*sec, float64(i)/10))
	}
	var s Summary
	// The window ending at 1060 s holds the slots of 1030, 1040 and 1050 s.
	w.Summarize(base+60*sec, &s)
	mean, n := s.Accuracy()
	assert.Equal(t, uint64(3), n)
	assert.InDelta(t, 0.4, mean, 1e-12)
	assert.Equal(t, base+30*sec, s.Start)

	// The current, unfinished slot is not part of an evaluation ending inside it.
	w.Summarize(base+55*sec, &s)
	mean, n = s.Accuracy()
	assert.Equal(t, uint64(3), n)
	assert.InDelta(t, 0.3, mean, 1e-12)
}

func TestSlotsExpireAndAreReused(t *testing.T) {
	w := newTestWindow(10*time.Second, 3)
	base := 1000 * sec
	w.AddAccuracy(base, 0.5)
	assert.False(t, w.Empty(base+10*sec))
	// Forty seconds later the ring has moved past the first slot: it is recycled, not merged.
	w.AddAccuracy(base+40*sec, 0.9)
	var s Summary
	w.Summarize(base+50*sec, &s)
	mean, n := s.Accuracy()
	assert.Equal(t, uint64(1), n)
	assert.InDelta(t, 0.9, mean, 1e-12)
	assert.True(t, w.Empty(base+100*sec), "everything expired")
}

func TestTooOldObservationsAreRefused(t *testing.T) {
	w := newTestWindow(10*time.Second, 3)
	base := 1000 * sec
	require.Equal(t, Added, w.AddAccuracy(base+100*sec, 0.5))
	assert.Equal(t, TooOld, w.AddAccuracy(base, 0.5))
	// Late but still inside the ring: accepted into its own slot.
	assert.Equal(t, Added, w.AddAccuracy(base+75*sec, 0.5))
}

func TestLatencyLayoutIsFixedWhileDataIsLive(t *testing.T) {
	w := newTestWindow(10*time.Second, 3)
	base := 1000 * sec
	require.Equal(t, Added, w.AddExplicit(base, base, []float64{10, 100}, []uint64{1, 2, 3}, 6))
	assert.Equal(t, LayoutMismatch, w.AddExplicit(base, base, []float64{5, 50}, []uint64{1, 2, 3}, 6))
	assert.Equal(t, LayoutMismatch, w.AddSample(base, 12))
	// Once the old data expired, a new layout is adopted.
	assert.Equal(t, Added, w.AddSample(base+100*sec, 12))
	var s Summary
	w.Summarize(base+110*sec, &s)
	assert.Equal(t, uint64(1), s.Count())
	v, ok := s.Quantile(0.5)
	require.True(t, ok)
	assert.InEpsilon(t, 12, v.Value, 0.01)
}

func TestExplicitQuantileOverSlots(t *testing.T) {
	w := newTestWindow(10*time.Second, 3)
	base := 1000 * sec
	bounds := []float64{100, 200}
	// 90 fast predictions in one slot, 10 slow ones in the next.
	w.AddExplicit(base, base+1*sec, bounds, []uint64{90, 0, 0}, 90)
	w.AddExplicit(base+1*sec, base+11*sec, bounds, []uint64{0, 10, 0}, 10)
	var s Summary
	w.Summarize(base+30*sec, &s)
	assert.Equal(t, uint64(100), s.Count())
	assert.Equal(t, uint64(100), s.Predictions())
	// histogram_quantile: rank 99 lies 9/10 into the (100, 200] bucket.
	v, ok := s.Quantile(0.99)
	require.True(t, ok)
	assert.InDelta(t, 190, v.Value, 1e-9)
	assert.Equal(t, 100.0, v.Lower)
	assert.Equal(t, 200.0, v.Upper)
}

func TestExponentialQuantileIsScaledToMilliseconds(t *testing.T) {
	w := newTestWindow(10*time.Second, 3)
	base := 1000 * sec
	// Scale 0: bucket index 0 is (1, 2] seconds.
	require.Equal(t, Added, w.AddExponential(base, base, 1000, 0, 0, []uint64{10}, 0, 10))
	var s Summary
	w.Summarize(base+10*sec, &s)
	v, ok := s.Quantile(0.5)
	require.True(t, ok)
	assert.Greater(t, v.Value, 1000.0)
	assert.LessOrEqual(t, v.Value, 2000.0)
	assert.Equal(t, quantile.Estimate{Value: v.Value, Lower: 1000, Upper: 2000}, v, "the bucket's bounds in ms")
	// A stream in another unit cannot share the window.
	assert.Equal(t, LayoutMismatch, w.AddExponential(base, base, 1, 0, 0, []uint64{10}, 0, 10))
}

func TestThroughput(t *testing.T) {
	base := 1000 * sec
	var s Summary

	counter := newTestWindow(10*time.Second, 6)
	counter.AddCount(base, base+10*sec, 500)
	counter.AddCount(base+10*sec, base+20*sec, 1500)
	counter.Summarize(base+60*sec, &s)
	rate, n := s.Throughput(false)
	assert.InDelta(t, 100, rate, 1e-9, "2000 predictions over 20 s")
	assert.Equal(t, uint64(2), n, "two counter points")
	assert.Equal(t, uint64(2000), s.Predictions(), "counter total stands in for missing latency")

	gauge := newTestWindow(10*time.Second, 6)
	gauge.AddRate(base, 40)
	gauge.AddRate(base+10*sec, 60)
	gauge.Summarize(base+60*sec, &s)
	rate, n = s.Throughput(false)
	assert.InDelta(t, 50, rate, 1e-9)
	assert.Equal(t, uint64(2), n)

	derived := newTestWindow(10*time.Second, 6)
	derived.AddExplicit(base, base+10*sec, []float64{1}, []uint64{300, 0}, 300)
	derived.AddExplicit(base+10*sec, base+20*sec, []float64{1}, []uint64{300, 0}, 300)
	derived.Summarize(base+60*sec, &s)
	rate, n = s.Throughput(true)
	assert.InDelta(t, 30, rate, 1e-9, "600 latency observations over 20 s")
	assert.Equal(t, uint64(600), n)
	_, n = s.Throughput(false)
	assert.Zero(t, n, "without derive a missing throughput metric abstains")
}

func TestEmptySummaryAbstains(t *testing.T) {
	w := newTestWindow(10*time.Second, 3)
	var s Summary
	w.Summarize(100*sec, &s)
	_, ok := s.Quantile(0.99)
	assert.False(t, ok)
	_, n := s.Accuracy()
	assert.Zero(t, n)
	_, n = s.Throughput(true)
	assert.Zero(t, n)
	assert.Zero(t, s.Predictions())
}

func TestAddAllocatesNothingOnceWarm(t *testing.T) {
	w := newTestWindow(10*time.Second, 3)
	bounds := []float64{1, 2, 4, 8}
	counts := []uint64{1, 2, 3, 4, 5}
	ts := 1000 * sec
	for range 10 { // warm every slot of the ring
		w.AddExplicit(ts, ts, bounds, counts, 15)
		ts += 10 * sec
	}
	allocs := testing.AllocsPerRun(200, func() {
		ts += sec
		w.AddExplicit(ts, ts, bounds, counts, 15)
		w.AddAccuracy(ts, 0.5)
		w.AddCount(ts, ts, 3)
	})
	assert.Zero(t, allocs)
}

// The window remembers the newest slot so consecutive points skip the epoch arithmetic; every
// point must still land in the slot of its own time, whatever order they come in.
func TestPointsLandInTheSlotOfTheirTime(t *testing.T) {
	w := newTestWindow(10*time.Second, 3)
	base := 1000 * sec
	adds := []struct {
		at int64
		v  float64
	}{
		{base + 20*sec, 0.2},         // head slot 1020 s
		{base + 29*sec, 0.2},         // same slot
		{base + 10*sec, 0.1},         // an older slot, the head stays
		{base + 25*sec, 0.2},         // back to the head
		{base + 30*sec, 0.3},         // the first ns of the next slot moves the head
		{base + 30*sec - 1, 0.2},     // the last ns of the previous one is not the head any more
		{base + 39*sec + 999e6, 0.3}, // still the head
		{base + 40*sec, 0.4},         // next head
	}
	for _, a := range adds {
		require.Equal(t, Added, w.AddAccuracy(a.at, a.v), "at %d", a.at)
	}
	var s Summary
	for _, tt := range []struct {
		end  int64
		n    uint64
		mean float64
	}{
		{base + 40*sec, 1 + 4 + 2, (0.1 + 4*0.2 + 2*0.3) / 7}, // 1010, 1020, 1030
		{base + 50*sec, 4 + 2 + 1, (4*0.2 + 2*0.3 + 0.4) / 7}, // 1020, 1030, 1040
	} {
		w.Summarize(tt.end, &s)
		mean, n := s.Accuracy()
		assert.Equal(t, tt.n, n, "window ending %d", tt.end)
		assert.InDelta(t, tt.mean, mean, 1e-12, "window ending %d", tt.end)
	}
	// The 1010 s slot expires when the ring moves to 1050 s: a point for it is then too old.
	require.Equal(t, Added, w.AddAccuracy(base+50*sec, 0.5))
	assert.Equal(t, TooOld, w.AddAccuracy(base+15*sec, 0.1))
}

func TestAddExplicitFrom(t *testing.T) {
	bounds := []float64{10, 100}
	fill := func(counts []uint64, count uint64, ok bool) func([]uint64) (uint64, bool) {
		return func(dst []uint64) (uint64, bool) {
			if !ok {
				return 0, false
			}
			for i, c := range counts {
				dst[i] += c
			}
			return count, true
		}
	}
	base := 1000 * sec
	tests := []struct {
		name  string
		setup func(w *Window)
		at    int64
		bnds  []float64
		ok    bool
		added bool
		count uint64
	}{
		{"no layout yet", func(*Window) {}, base, bounds, true, false, 0},
		{"other kind", func(w *Window) { w.AddSample(base, 5) }, base, bounds, true, false, 1},
		{"other bounds", func(w *Window) { w.AddExplicit(base, base, []float64{1, 2}, []uint64{1, 0, 0}, 1) }, base, bounds, true, false, 1},
		{"too old", func(w *Window) { w.AddExplicit(base+100*sec, base+100*sec, bounds, []uint64{1, 0, 0}, 1) }, base, bounds, true, false, 1},
		{"fill declines", func(w *Window) { w.AddExplicit(base, base, bounds, []uint64{1, 0, 0}, 1) }, base, bounds, false, false, 1},
		{"added", func(w *Window) { w.AddExplicit(base, base, bounds, []uint64{1, 0, 0}, 1) }, base + sec, bounds, true, true, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWindow(10*time.Second, 3)
			tt.setup(w)
			assert.Equal(t, tt.added, w.AddExplicitFrom(tt.at-sec, tt.at, tt.bnds, fill([]uint64{0, 1, 2}, 3, tt.ok)))
			var s Summary
			w.Summarize(w.head*w.layout.Width+10*sec, &s) // the window that ends after the newest slot
			assert.Equal(t, tt.count, s.Count())
		})
	}
}
