package quantile

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExplicitFollowsHistogramQuantile(t *testing.T) {
	latency := []float64{0.005, 0.01, 0.025, 0.05, 0.1}
	latencyCounts := []uint64{10, 20, 30, 25, 10, 5} // cumulative 10 30 60 85 95 100
	inf := math.Inf(1)
	tests := []struct {
		name         string
		q            float64
		bounds       []float64
		counts       []uint64
		want         float64
		lower, upper float64 // the bucket the rank falls in
	}{
		{"rank in the first bucket interpolates from zero", 0.5, []float64{1, 2, 4, 8}, []uint64{10, 0, 0, 0, 0}, 0.5, 0, 1},
		{"rank in a middle bucket interpolates between its bounds", 0.5, latency, latencyCounts, 0.01 + 0.015*(20.0/30), 0.01, 0.025},
		{"rank near the top of a bucket", 0.9, latency, latencyCounts, 0.05 + 0.05*(5.0/10), 0.05, 0.1},
		{"rank in the +Inf bucket returns the highest finite bound", 0.99, latency, latencyCounts, 0.1, 0.1, inf},
		{"bucket whose lower bound is zero", 0.75, []float64{0, 10}, []uint64{2, 2, 0}, 5, 0, 10},
		{"first bucket with a non-positive upper bound returns that bound", 0.25, []float64{-1, 0, 5}, []uint64{4, 2, 2, 0}, -1, -1, -1},
		{"all observations in one bucket", 0.9, []float64{1, 2, 4, 8}, []uint64{0, 0, 10, 0, 0}, 2 + 2*(9.0/10), 2, 4},
		{"rank equal to a cumulative count stays in the lower bucket", 0.5, []float64{1, 2, 3}, []uint64{5, 0, 5, 0}, 1, 0, 1},
		{"empty buckets are skipped", 0.6, []float64{1, 2, 3}, []uint64{5, 0, 5, 0}, 2 + 1*(1.0/5), 2, 3},
		{"only the +Inf bucket holds observations", 0.5, []float64{1, 2}, []uint64{0, 0, 3}, 2, 2, inf},
		// The JavaScript SDK's default bounds are made for ms; latency in seconds all lands in (0, 5].
		{"a bucket much wider than the values", 0.99, []float64{0, 5, 10, 25}, []uint64{0, 100, 0, 0, 0}, 4.95, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Explicit(tt.q, tt.bounds, tt.counts)
			assert.True(t, ok)
			assert.InDelta(t, tt.want, got.Value, 1e-12)
			assert.Equal(t, tt.lower, got.Lower, "lower")
			assert.Equal(t, tt.upper, got.Upper, "upper")
			assert.True(t, got.Lower <= got.Value && got.Value <= got.Upper, "%+v", got)
		})
	}
}

func TestExplicitWithInfiniteBoundsIsNotFinite(t *testing.T) {
	// Bounds 1, 1e305, 1e306 in minutes overflow to +Inf once converted to ms.
	const msPerMinute = 60000.0
	bounds := []float64{1, 1e305, 1e306}
	for i := range bounds {
		bounds[i] *= msPerMinute
	}
	require.True(t, math.IsInf(bounds[1], 1))
	tests := []struct {
		name   string
		counts []uint64
		nan    bool
	}{
		{"rank in a bucket up to +Inf interpolates to +Inf", []uint64{0, 10, 0, 0}, false},
		{"rank in a bucket from +Inf to +Inf is NaN", []uint64{0, 0, 10, 0}, true},
		{"rank in the overflow bucket returns the +Inf bound", []uint64{0, 0, 0, 10}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Explicit(0.99, bounds, tt.counts)
			require.True(t, ok)
			if tt.nan {
				assert.True(t, math.IsNaN(got.Value), "%v", got.Value)
			} else {
				assert.True(t, math.IsInf(got.Value, 1), "%v", got.Value)
			}
		})
	}
}

func TestExplicitRejectsUnanswerableInput(t *testing.T) {
	bounds := []float64{1, 2}
	counts := []uint64{1, 1, 1}
	tests := []struct {
		name   string
		q      float64
		bounds []float64
		counts []uint64
	}{
		{"empty histogram", 0.5, bounds, []uint64{0, 0, 0}},
		{"q of zero", 0, bounds, counts},
		{"q of one", 1, bounds, counts},
		{"negative q", -0.1, bounds, counts},
		{"q above one", 1.5, bounds, counts},
		{"NaN q", math.NaN(), bounds, counts},
		{"one count too few", 0.5, bounds, []uint64{1, 1}},
		{"one count too many", 0.5, bounds, []uint64{1, 1, 1, 1}},
		{"no finite bound", 0.5, nil, []uint64{3}},
		{"nothing at all", 0.5, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok := Explicit(tt.q, tt.bounds, tt.counts)
			assert.False(t, ok)
		})
	}
}
