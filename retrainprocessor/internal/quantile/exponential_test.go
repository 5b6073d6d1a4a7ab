package quantile

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feed adds samples in batches, alternating dense batches bucketed at scale 8 with single
// samples at scale 20, so that both finer input and downscaling of held buckets are exercised.
func feed(e *Exponential, samples []float64) {
	const batch = 500
	one := []uint64{1}
	for start := 0; start < len(samples); start += batch {
		part := samples[start:min(start+batch, len(samples))]
		if start/batch%2 == 0 {
			offset, counts, zero := bucketize(part, 8)
			e.Add(8, offset, counts, zero)
			continue
		}
		for _, v := range part {
			if v == 0 {
				e.Add(20, 0, nil, 1)
				continue
			}
			e.Add(20, int32(indexOf(v, 20)), one, 0)
		}
	}
}

// width returns how many buckets samples span at scale.
func width(samples []float64, scale int32) int {
	_, counts, _ := bucketize(samples, scale)
	return len(counts)
}

func TestExponentialQuantileIsWithinRelativeErrorOfExactNearestRank(t *testing.T) {
	for _, d := range distributions() {
		t.Run(d.name, func(t *testing.T) {
			e := Exponential{MaxBuckets: 160}
			feed(&e, d.samples)

			require.Equal(t, uint64(len(d.samples)), e.Count())
			assert.LessOrEqual(t, len(e.Counts), 160)
			b := math.Exp2(math.Exp2(-float64(e.Scale)))
			assert.InDelta(t, (b-1)/(b+1), e.RelativeError(), 1e-12, "scale %d", e.Scale)
			if d.name == "constant" {
				assert.Equal(t, int32(8), e.Scale)
			} else {
				assert.Less(t, e.Scale, int32(8), "160 buckets cannot hold this range at scale 8")
				assert.Greater(t, width(d.samples, e.Scale+1), 160, "scale %d is coarser than needed", e.Scale)
			}
			for _, q := range testQuantiles {
				est, ok := e.Quantile(q)
				require.True(t, ok)
				exact := exactQuantile(d.samples, q)
				assertWithinRelativeError(t, exact, est.Value, e.RelativeError(), "q=%v scale %d", q, e.Scale)
				assertWithinBounds(t, exact, est, "q=%v scale %d", q, e.Scale)
			}
		})
	}
}

func TestExponentialAddPlacesBuckets(t *testing.T) {
	type add struct {
		scale  int32
		offset int32
		counts []uint64
		zero   uint64
	}
	tests := []struct {
		name       string
		maxBuckets int
		adds       []add
		wantScale  int32
		wantOffset int32
		wantCounts []uint64
		wantZero   uint64
	}{
		{
			name:     "empty counts only add the zero count",
			adds:     []add{{3, 5, nil, 4}},
			wantZero: 4,
		},
		{
			name:       "empty buckets at both ends are trimmed",
			adds:       []add{{0, -2, []uint64{0, 0, 3, 1, 0}, 0}},
			wantOffset: 0, wantCounts: []uint64{3, 1},
		},
		{
			name:      "a scale above MaxScale is downscaled to MaxScale",
			adds:      []add{{22, 8, []uint64{1, 1, 1, 1, 1}, 0}},
			wantScale: 20, wantOffset: 2, wantCounts: []uint64{4, 1},
		},
		{
			name: "a scale below MinScale is ignored",
			adds: []add{{-11, 0, []uint64{5}, 3}},
		},
		{
			name:      "finer input is downscaled to the held scale",
			adds:      []add{{2, 0, []uint64{1}, 0}, {4, 4, []uint64{1, 1, 1, 1}, 0}},
			wantScale: 2, wantOffset: 0, wantCounts: []uint64{1, 4},
		},
		{
			name:      "coarser input downscales the held buckets",
			adds:      []add{{4, 4, []uint64{1, 1, 1, 1}, 0}, {2, 0, []uint64{1}, 0}},
			wantScale: 2, wantOffset: 0, wantCounts: []uint64{1, 4},
		},
		{
			name:       "a range wider than MaxBuckets downscales by the smallest step",
			maxBuckets: 4,
			adds:       []add{{3, 0, []uint64{1, 0, 0, 0, 0, 0, 0, 1}, 0}},
			wantScale:  2, wantOffset: 0, wantCounts: []uint64{1, 0, 0, 1},
		},
		{
			name:       "negative indices downscale by arithmetic shift",
			maxBuckets: 2,
			adds:       []add{{1, -3, []uint64{1, 1, 1}, 0}},
			wantScale:  0, wantOffset: -2, wantCounts: []uint64{1, 2},
		},
		{
			name:      "growing downwards keeps the held buckets in place",
			adds:      []add{{5, 10, []uint64{1, 2}, 0}, {5, 7, []uint64{3}, 0}},
			wantScale: 5, wantOffset: 7, wantCounts: []uint64{3, 0, 0, 1, 2},
		},
		{
			name:      "indices past MaxInt32 downscale instead of overflowing",
			adds:      []add{{20, math.MaxInt32 - 1, []uint64{1, 1, 1}, 0}},
			wantScale: 19, wantOffset: 1<<30 - 1, wantCounts: []uint64{2, 1},
		},
		{
			name:       "at MinScale the lowest buckets fold into the lowest kept one",
			maxBuckets: 4,
			adds:       []add{{-10, 0, []uint64{1}, 0}, {-10, 10, []uint64{1}, 0}},
			wantScale:  -10, wantOffset: 7, wantCounts: []uint64{1, 0, 0, 1},
		},
		{
			name:      "at MinScale indices past MaxInt32 fold into bucket MaxInt32",
			adds:      []add{{-10, math.MaxInt32, []uint64{1, 1}, 0}},
			wantScale: -10, wantOffset: math.MaxInt32, wantCounts: []uint64{2},
		},
		{
			name:      "at MinScale a run starting past MaxInt32 folds into bucket MaxInt32",
			adds:      []add{{-10, math.MaxInt32, []uint64{0, 1}, 0}},
			wantScale: -10, wantOffset: math.MaxInt32, wantCounts: []uint64{1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Exponential{MaxBuckets: tt.maxBuckets}
			var want uint64
			for _, a := range tt.adds {
				e.Add(a.scale, a.offset, a.counts, a.zero)
			}
			for _, c := range tt.wantCounts {
				want += c
			}
			assert.Equal(t, tt.wantZero, e.ZeroCount)
			assert.Equal(t, want+tt.wantZero, e.Count())
			assert.Len(t, e.Counts, len(tt.wantCounts))
			if len(tt.wantCounts) > 0 {
				assert.Equal(t, tt.wantScale, e.Scale)
				assert.Equal(t, tt.wantOffset, e.Offset)
				assert.Equal(t, tt.wantCounts, e.Counts)
			}
		})
	}
}

func TestExponentialAddSurvivesInt32ExtremesWithinMaxBuckets(t *testing.T) {
	e := Exponential{}
	e.Add(20, math.MaxInt32, []uint64{1}, 0)
	e.Add(20, math.MinInt32, []uint64{1}, 0)

	assert.Equal(t, uint64(2), e.Count())
	// Scale 20-25 is the first at which indices -2^31 and 2^31-1 lie within 160 buckets.
	assert.Equal(t, int32(-5), e.Scale)
	assert.Equal(t, int32(-64), e.Offset)
	assert.Len(t, e.Counts, 128)
	_, ok := e.Quantile(0.99)
	assert.True(t, ok)
}

func TestExponentialMergeOfDifferentScalesEqualsAddingEverythingAtTheCoarserScale(t *testing.T) {
	ds := distributions()
	fine, coarse := ds[1].samples, ds[0].samples // log-normal at scale 8, uniform at scale 5
	all := append(append([]float64(nil), fine...), coarse...)
	wantOffset, wantCounts, _ := bucketize(all, 5)

	newPair := func() (*Exponential, *Exponential) {
		a := &Exponential{MaxBuckets: 1 << 14}
		offset, counts, zero := bucketize(fine, 8)
		a.Add(8, offset, counts, zero)
		b := &Exponential{MaxBuckets: 1 << 14}
		offset, counts, zero = bucketize(coarse, 5)
		b.Add(5, offset, counts, zero)
		return a, b
	}
	tests := []struct {
		name  string
		merge func(a, b *Exponential) *Exponential
	}{
		{"coarse merged into fine", func(a, b *Exponential) *Exponential { a.Merge(b); return a }},
		{"fine merged into coarse", func(a, b *Exponential) *Exponential { b.Merge(a); return b }},
		{"both merged into an empty one", func(a, b *Exponential) *Exponential {
			e := &Exponential{MaxBuckets: 1 << 14}
			e.Merge(a)
			e.Merge(b)
			return e
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.merge(newPair())
			assert.Equal(t, int32(5), got.Scale)
			assert.Equal(t, wantOffset, got.Offset)
			assert.Equal(t, wantCounts, got.Counts)
		})
	}
}

func TestExponentialMergeDownscalesToFitAndPreservesCount(t *testing.T) {
	ds := distributions()
	a, b := Exponential{MaxBuckets: 160}, Exponential{MaxBuckets: 160}
	feed(&a, ds[1].samples)
	feed(&b, ds[4].samples)
	aScale, bScale := a.Scale, b.Scale

	a.Merge(&b)

	all := append(append([]float64(nil), ds[1].samples...), ds[4].samples...)
	assert.Equal(t, uint64(len(all)), a.Count())
	assert.LessOrEqual(t, a.Scale, min(aScale, bScale))
	assert.LessOrEqual(t, len(a.Counts), 160)
	wantOffset, wantCounts, wantZero := bucketize(all, a.Scale)
	assert.Equal(t, wantOffset, a.Offset)
	assert.Equal(t, wantCounts, a.Counts)
	assert.Equal(t, wantZero, a.ZeroCount)
}

func TestExponentialMergeWithItselfDoublesCounts(t *testing.T) {
	e := Exponential{}
	e.Add(3, -1, []uint64{1, 2, 3}, 4)
	e.Merge(&e)
	assert.Equal(t, []uint64{2, 4, 6}, e.Counts)
	assert.Equal(t, uint64(8), e.ZeroCount)
}

func TestExponentialResetUnsetsScale(t *testing.T) {
	e := Exponential{}
	e.Add(2, 0, []uint64{1}, 1)
	e.Reset()
	assert.Zero(t, e.Count())
	e.Add(7, 3, []uint64{1}, 0)
	assert.Equal(t, int32(7), e.Scale, "the next Add picks its scale")
	assert.Equal(t, int32(3), e.Offset)
}

func TestExponentialQuantileEdgeCases(t *testing.T) {
	zeroOnly := Exponential{ZeroCount: 3}
	mostlyZero := Exponential{}
	mostlyZero.Add(0, 4, []uint64{1}, 9)
	top := Exponential{}
	top.Add(0, 1023, []uint64{1}, 0)
	past := Exponential{}
	past.Add(0, 1024, []uint64{1}, 0)
	inf := math.Inf(1)
	tests := []struct {
		name   string
		e      *Exponential
		q      float64
		want   Estimate
		wantOK bool
	}{
		{"empty has no quantile", &Exponential{}, 0.5, Estimate{}, false},
		{"q of zero is rejected", &mostlyZero, 0, Estimate{}, false},
		{"q of one is rejected", &mostlyZero, 1, Estimate{}, false},
		{"NaN q is rejected", &mostlyZero, math.NaN(), Estimate{}, false},
		{"only zeros give zero", &zeroOnly, 0.99, Estimate{}, true},
		{"rank within the zero count gives zero", &mostlyZero, 0.9, Estimate{}, true},
		{"rank past the zero count gives the bucket midpoint and bounds", &mostlyZero, 0.95, Estimate{2 * 32 / 3.0, 16, 32}, true},
		{"a tiny q still picks the first observation", &mostlyZero, 1e-300, Estimate{}, true},
		{"the top float bucket has a finite midpoint and no upper bound", &top, 0.5, Estimate{math.Ldexp(4.0/3, 1023), math.Ldexp(1, 1023), inf}, true},
		{"a bucket past the largest float is infinite", &past, 0.5, Estimate{inf, inf, inf}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.e.Quantile(tt.q)
			assert.Equal(t, tt.wantOK, ok)
			if math.IsInf(tt.want.Value, 0) || tt.want.Value == 0 {
				assert.Equal(t, tt.want.Value, got.Value, "value")
			} else {
				assert.InEpsilon(t, tt.want.Value, got.Value, 1e-12, "value")
			}
			assert.Equal(t, tt.want.Lower, got.Lower, "lower")
			assert.Equal(t, tt.want.Upper, got.Upper, "upper")
		})
	}
}

func TestExponentialAddDoesNotAllocateAfterWarmUp(t *testing.T) {
	samples := distributions()[1].samples
	e := Exponential{MaxBuckets: 160}
	feed(&e, samples)
	// Prebuilt batches keep the measured function free of test allocations.
	type batch struct {
		offset int32
		counts []uint64
	}
	var batches []batch
	for start := 0; start < len(samples); start += 1000 {
		offset, counts, _ := bucketize(samples[start:start+1000], 8)
		batches = append(batches, batch{offset, counts})
	}
	one := []uint64{1}

	allocs := testing.AllocsPerRun(20, func() {
		e.Reset()
		for _, b := range batches {
			e.Add(8, b.offset, b.counts, 0)
			e.Add(20, b.offset<<12, one, 1)
		}
		e.Quantile(0.99)
	})
	assert.Zero(t, allocs)
}
