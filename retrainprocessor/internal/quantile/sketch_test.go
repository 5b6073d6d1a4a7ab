package quantile

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSketchQuantileIsWithinRelativeErrorOfExactNearestRank(t *testing.T) {
	for _, d := range distributions() {
		t.Run(d.name, func(t *testing.T) {
			var s Sketch
			for _, v := range d.samples {
				s.Add(v)
			}
			require.Equal(t, uint64(len(d.samples)), s.Count())
			for _, q := range testQuantiles {
				est, ok := s.Quantile(q)
				require.True(t, ok)
				exact := exactQuantile(d.samples, q)
				assertWithinRelativeError(t, exact, est.Value, SketchRelativeError, "q=%v", q)
				assertWithinBounds(t, exact, est, "q=%v", q)
			}
		})
	}
}

// wideRange returns log-uniform values over 1e-9..1e9, which need about 3800 buckets at scale 6.
func wideRange() []float64 {
	rng := rand.New(rand.NewPCG(3, 5))
	values := make([]float64, 50000)
	for i := range values {
		values[i] = math.Pow(10, -9+18*rng.Float64())
	}
	return values
}

func TestSketchFoldsLowestBucketsAndKeepsHighQuantiles(t *testing.T) {
	values := wideRange()
	require.Greater(t, width(values, SketchScale), SketchMaxBuckets)
	ascending := slices.Sorted(slices.Values(values))
	descending := slices.Clone(ascending)
	slices.Reverse(descending)
	tests := []struct {
		name  string
		order []float64
	}{
		{"shuffled", values},
		{"ascending", ascending},
		{"descending", descending},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sketch
			for _, v := range tt.order {
				s.Add(v)
			}
			assert.Equal(t, uint64(len(values)), s.Count())
			assert.LessOrEqual(t, len(s.counts), SketchMaxBuckets)
			for _, q := range []float64{0.9, 0.99, 0.999} {
				est, ok := s.Quantile(q)
				require.True(t, ok)
				exact := exactQuantile(values, q)
				assertWithinRelativeError(t, exact, est.Value, SketchRelativeError, "q=%v", q)
				assertWithinBounds(t, exact, est, "q=%v", q)
			}
			// A folded quantile can only move up, to the lowest kept bucket, whose lower bound
			// becomes 0.
			est, ok := s.Quantile(0.5)
			require.True(t, ok)
			exact := exactQuantile(values, 0.5)
			assert.GreaterOrEqual(t, est.Value, exact)
			assert.Zero(t, est.Lower)
			assertWithinBounds(t, exact, est, "q=0.5")
		})
	}
}

func TestSketchMergeEqualsAddingAllSamples(t *testing.T) {
	ds := distributions()
	tests := []struct {
		name    string
		a, b    []float64
		folding bool
	}{
		{"overlapping ranges", ds[0].samples, ds[1].samples, false},
		{"disjoint ranges with zeros", ds[3].samples, ds[4].samples, false},
		{"ranges that need folding", wideRange()[:25000], wideRange()[25000:], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b, all Sketch
			for _, v := range tt.a {
				a.Add(v)
				all.Add(v)
			}
			for _, v := range tt.b {
				b.Add(v)
				all.Add(v)
			}
			a.Merge(&b)

			assert.Equal(t, all.Count(), a.Count())
			assert.LessOrEqual(t, len(a.counts), SketchMaxBuckets)
			if !tt.folding {
				assert.Equal(t, all, a)
			}
			samples := append(slices.Clone(tt.a), tt.b...)
			for _, q := range []float64{0.99, 0.999} {
				est, ok := a.Quantile(q)
				require.True(t, ok)
				exact := exactQuantile(samples, q)
				assertWithinRelativeError(t, exact, est.Value, SketchRelativeError, "q=%v", q)
				assertWithinBounds(t, exact, est, "q=%v", q)
			}
		})
	}
}

func TestSketchLowestBoundIsZeroOnceFolded(t *testing.T) {
	low, high := 1.0, math.Ldexp(1, 20) // 2^20 apart: more than SketchMaxBuckets at scale 6
	folded := func() *Sketch {
		var s Sketch
		s.Add(low)
		s.Add(high)
		return &s
	}
	tests := []struct {
		name   string
		sketch func() *Sketch
		folded bool
	}{
		{"a range that fits keeps the lowest bucket's bound", func() *Sketch {
			var s Sketch
			s.Add(low)
			s.Add(low * 1000)
			return &s
		}, false},
		{"a high sample folds the lowest ones", folded, true},
		{"a low sample below a full range is folded", func() *Sketch {
			var s Sketch
			s.Add(high)
			s.Add(high / 1024)
			s.Add(low)
			return &s
		}, true},
		{"merging a folded sketch", func() *Sketch {
			var s Sketch
			s.Add(high)
			s.Merge(folded())
			return &s
		}, true},
		{"a merge that pushes the window up", func() *Sketch {
			var s, o Sketch
			s.Add(low)
			o.Add(high)
			s.Merge(&o)
			return &s
		}, true},
		{"a merge of a sketch below the window", func() *Sketch {
			var s, o Sketch
			s.Add(high)
			o.Add(low)
			s.Merge(&o)
			return &s
		}, true},
		{"reset forgets the folding", func() *Sketch {
			s := folded()
			s.Reset()
			s.Add(low)
			s.Add(low * 1000)
			return s
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.sketch()
			est, ok := s.Quantile(1e-9) // the lowest kept bucket
			require.True(t, ok)
			if tt.folded {
				assert.Zero(t, est.Lower)
			} else {
				assert.Equal(t, LowerBound(int64(s.offset), SketchScale), est.Lower)
				assert.Less(t, est.Lower, low)
				assert.Positive(t, est.Lower)
			}
			assert.GreaterOrEqual(t, est.Upper, est.Value)
		})
	}
}

func TestSketchMergeWithItselfDoublesCounts(t *testing.T) {
	var s Sketch
	for _, v := range []float64{0, 1, 2, 2} {
		s.Add(v)
	}
	s.Merge(&s)
	assert.Equal(t, uint64(8), s.Count())
	est, ok := s.Quantile(0.25)
	require.True(t, ok)
	assert.Equal(t, Estimate{}, est)
}

func TestSketchCountsTinyValuesAsZero(t *testing.T) {
	tests := []struct {
		name string
		v    float64
	}{
		{"zero", 0},
		{"subnormal", 1e-310},
		{"negative zero", math.Copysign(0, -1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sketch
			s.Add(tt.v)
			est, ok := s.Quantile(0.5)
			assert.True(t, ok)
			assert.Equal(t, Estimate{}, est)
			assert.Empty(t, s.counts)
		})
	}
}

func TestSketchQuantileRejectsEmptyAndBadQ(t *testing.T) {
	var empty, one Sketch
	one.Add(1)
	tests := []struct {
		name string
		s    *Sketch
		q    float64
	}{
		{"empty", &empty, 0.5},
		{"q of zero", &one, 0},
		{"q of one", &one, 1},
		{"NaN q", &one, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok := tt.s.Quantile(tt.q)
			assert.False(t, ok)
		})
	}
}

func TestSketchResetKeepsCapacityAndAddDoesNotAllocate(t *testing.T) {
	values := wideRange()[:5000]
	var s Sketch
	for _, v := range values {
		s.Add(v)
	}

	allocs := testing.AllocsPerRun(20, func() {
		s.Reset()
		for _, v := range values {
			s.Add(v)
		}
		s.Quantile(0.99)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, uint64(len(values)), s.Count())
}
