package window

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"
)

func TestScoreLayoutCoversTheWindowAndTheReference(t *testing.T) {
	tests := []struct {
		name              string
		window, interval  time.Duration
		reference         time.Duration
		wantWidth, wantSp int64
	}{
		{"no reference: the window's slots", 5 * time.Minute, time.Minute, 0, int64(time.Minute), 5},
		{"a trailing hour", 5 * time.Minute, time.Minute, time.Hour, int64(time.Minute), 65},
		{"too many slots get wider", time.Minute, time.Second, time.Hour, int64(15 * time.Second), 244},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ScoreLayout(NewLayout(tt.window, tt.interval), tt.window, tt.reference)
			assert.Equal(t, tt.wantWidth, l.Width)
			assert.Equal(t, tt.wantSp, l.Span)
			assert.LessOrEqual(t, l.Span, int64(MaxScoreSlots))
		})
	}
}

func TestScoresSumTheSlotsOfASpan(t *testing.T) {
	l := ScoreLayout(NewLayout(5*time.Minute, time.Minute), 5*time.Minute, 10*time.Minute)
	s := MakeScores(&l, 5*time.Minute)
	bounds := []float64{0.5}
	min := int64(time.Minute)
	for i := int64(0); i < 15; i++ { // one point a minute: i in the low bucket, 1 in the high one
		require.Equal(t, Added, s.AddExplicit(i*min+1, bounds, []uint64{uint64(i), 1}, uint64(i)+1))
	}
	var sum ScoreSum
	s.Sum(10*min, 15*min, &sum)
	h := sum.Histogram()
	assert.Equal(t, []uint64{10 + 11 + 12 + 13 + 14, 5}, h.Counts)
	assert.Equal(t, uint64(65), h.Count)
	assert.Equal(t, []float64{0.5}, h.Bounds)
	assert.Equal(t, [2]int64{10 * min, 15 * min}, [2]int64{h.Start, h.End})

	s.Sum(0, 10*min, &sum)
	assert.Equal(t, []uint64{45, 10}, sum.Histogram().Counts, "the ten minutes before")

	// AddTo grows a sum slot by slot and spans only the slots added.
	var ref ScoreSum
	require.True(t, s.AddTo(2*min, 4*min, &ref))
	require.True(t, s.AddTo(4*min, 5*min, &ref))
	h = ref.Histogram()
	assert.Equal(t, []uint64{2 + 3 + 4, 3}, h.Counts)
	assert.Equal(t, [2]int64{2 * min, 5 * min}, [2]int64{h.Start, h.End})

	require.Equal(t, Added, s.AddExplicit(30*min, bounds, []uint64{1, 1}, 2))
	assert.Equal(t, TooOld, s.AddExplicit(5*min, bounds, []uint64{1, 1}, 2), "older than the ring")
}

func TestScoresAdoptNewBoundsOnceTheWindowHoldsNoneOfTheOld(t *testing.T) {
	l := ScoreLayout(NewLayout(5*time.Minute, time.Minute), 5*time.Minute, 10*time.Minute)
	s := MakeScores(&l, 5*time.Minute)
	min := int64(time.Minute)
	require.Equal(t, Added, s.AddExplicit(20*min, []float64{0.5}, []uint64{1, 1}, 2))
	assert.Equal(t, LayoutMismatch, s.AddExplicit(21*min, []float64{0.25, 0.75}, []uint64{1, 1, 1}, 3),
		"the window holds the old bounds")
	// Six minutes on, the old bounds are only in the reference part of the ring: they give way.
	require.Equal(t, Added, s.AddExplicit(26*min+1, []float64{0.25, 0.75}, []uint64{1, 1, 1}, 3))
	var sum ScoreSum
	s.Sum(10*min, 30*min, &sum)
	assert.Equal(t, []uint64{1, 1, 1}, sum.Histogram().Counts, "the old data is gone with its bounds")

	var old ScoreSum
	old.Restore(&drift.Histogram{Bounds: []float64{0.5}, Counts: []uint64{1, 1}, Count: 2, Start: 1, End: 2})
	assert.False(t, s.AddTo(0, 30*min, &old), "a sum of other bounds cannot take the ring's")
}

func TestScoresMergeExponentialHistograms(t *testing.T) {
	l := ScoreLayout(NewLayout(5*time.Minute, time.Minute), 5*time.Minute, 0)
	s := MakeScores(&l, 5*time.Minute)
	min := int64(time.Minute)
	require.Equal(t, Added, s.AddExponential(min, 2, -4, []uint64{1, 2}, 1, 4))
	require.Equal(t, Added, s.AddExponential(2*min, 1, -2, []uint64{3}, 0, 3))
	var sum ScoreSum
	s.Sum(0, 5*min, &sum)
	h := sum.Histogram()
	assert.True(t, h.Exponential)
	assert.Equal(t, int32(1), h.Scale, "downscaled to the coarser scale")
	assert.Equal(t, uint64(7), h.Count)
	assert.Equal(t, uint64(1), h.Zero)
	assert.True(t, s.Empty(12*min))
	assert.False(t, s.Empty(5*min))
}
