package drift

import (
	"math"
	"testing"
)

// equalBounds returns the k−1 inner bounds i/k of k equal buckets over [0, 1]. i/k is the
// float64 nearest the decimal (0.3 == 30.0/100), so thresholds written as literals match.
func equalBounds(k int) []float64 {
	b := make([]float64, k-1)
	for i := range b {
		b[i] = float64(i+1) / float64(k)
	}
	return b
}

// betaCounts returns n·(Beta(a, b) mass) per explicit bucket, rounded.
func betaCounts(a, b float64, bounds []float64, n float64) []uint64 {
	counts := make([]uint64, len(bounds)+1)
	lo := 0.0
	for i := range counts {
		hi := 1.0
		if i < len(bounds) {
			hi = bounds[i]
		}
		counts[i] = uint64(math.Round(n * betaMass(a, b, lo, hi)))
		lo = hi
	}
	return counts
}

// betaExponential returns n·(Beta(a, b) mass) per bucket of an exponential histogram at scale,
// from base^lowest to 1; the mass below base^lowest goes to the zero count.
func betaExponential(a, b float64, scale int32, lowest int32, n float64) Exponential {
	h := Exponential{Scale: scale, Offset: lowest, Counts: make([]uint64, -lowest)}
	h.Zero = uint64(math.Round(n * betaMass(a, b, 0, boundary(int64(lowest), scale))))
	for k := range h.Counts {
		i := int64(lowest) + int64(k)
		h.Counts[k] = uint64(math.Round(n * betaMass(a, b, boundary(i, scale), boundary(i+1, scale))))
	}
	return h
}

func TestExplicitAccuracyOfUniformScores(t *testing.T) {
	// Uniform scores: E[max(p, 1−p)] = 3/4 at t = 0.5, and f is linear inside every bucket, so the
	// midpoint estimate is exact. Each bucket of width w is off by at most w/2 at its edges.
	for _, k := range []int{10, 20} {
		bounds := equalBounds(k)
		counts := make([]uint64, k)
		for i := range counts {
			counts[i] = 1000
		}
		est, lower, upper, ok := ExplicitAccuracy(bounds, counts, 0.5)
		w := 1 / float64(k)
		if !ok || math.Abs(est-0.75) > 1e-12 {
			t.Errorf("%d buckets: est = %.15f, %v; want 0.75", k, est, ok)
		}
		if !(lower < 0.75 && 0.75 < upper) || math.Abs(lower-(0.75-w/2)) > 1e-12 || math.Abs(upper-(0.75+w/2)) > 1e-12 {
			t.Errorf("%d buckets: [%v, %v], want [%v, %v]", k, lower, upper, 0.75-w/2, 0.75+w/2)
		}
	}
}

func TestExplicitAccuracyOfBetaScores(t *testing.T) {
	bounds := equalBounds(100)
	const n = 1e9
	tests := []struct{ a, b, t float64 }{
		{2, 5, 0.5},
		{2, 5, 0.3},
		{5, 2, 0.5},
		{2, 2, 0.5},
		{3, 7, 0.5},
		{4.5, 5.5, 0.4},
		{1, 1, 0.7},
	}
	for _, tt := range tests {
		exact := betaAccuracy(tt.a, tt.b, tt.t)
		est, lower, upper, ok := ExplicitAccuracy(bounds, betaCounts(tt.a, tt.b, bounds, n), tt.t)
		if !ok || math.Abs(est-exact) > 1e-3 || !(lower <= exact && exact <= upper) {
			t.Errorf("Beta(%v,%v) t=%v: est %.6f in [%.6f, %.6f], %v; exact %.6f",
				tt.a, tt.b, tt.t, est, lower, upper, ok, exact)
		}
	}
}

func TestExponentialAccuracyOfBetaScores(t *testing.T) {
	const n = 1e9
	// The estimate is off where the density bends inside a bucket, most in the widest buckets,
	// near 1: (2^(−2^−scale), 1] is .083 wide at scale 3 and .021 at scale 5. Beta(5, 2) keeps its
	// mass there and needs scale 4 for 1e-3 (scale 3 is off by 1.04e-3). At scales 0 and 1 only
	// the bounds are tight claims; tol is then about a tenth of the bounds' width.
	tests := []struct {
		a, b, t float64
		scale   int32
		tol     float64
	}{
		{2, 5, 0.5, 3, 1e-3},
		{2, 2, 0.5, 3, 1e-3},
		{3, 7, 0.5, 3, 1e-3},
		{4.5, 5.5, 0.5, 3, 1e-3},
		{5, 2, 0.5, 4, 1e-3},
		{5, 2, 0.5, 5, 2e-4},
		{2, 5, 0.5, 0, 0.02},
		{2, 5, 0.25, 1, 0.01},
	}
	for _, tt := range tests {
		// Buckets from 2^-20 to 1: base^lowest = 2^-20.
		lowest := int32(-20 << tt.scale)
		h := betaExponential(tt.a, tt.b, tt.scale, lowest, n)
		exact := betaAccuracy(tt.a, tt.b, tt.t)
		est, lower, upper, ok := ExponentialAccuracy(h, tt.t)
		tol := tt.tol
		if !ok || math.Abs(est-exact) > tol || !(lower <= exact && exact <= upper) {
			t.Errorf("Beta(%v,%v) t=%v scale %d: est %.6f in [%.6f, %.6f], %v; exact %.6f",
				tt.a, tt.b, tt.t, tt.scale, est, lower, upper, ok, exact)
		}
		t.Logf("Beta(%v,%v) t=%v scale %d: est %.6f (exact %.6f, off %.1e) in [%.4f, %.4f]",
			tt.a, tt.b, tt.t, tt.scale, est, exact, est-exact, lower, upper)
	}
}

func TestExponentialAccuracyBuckets(t *testing.T) {
	// Scale 0, t = 0.5: zero count 10 (f = 1); index -2 = (.25, .5], negative, f in [.5, .75];
	// index -1 = (.5, 1], positive, f in [.5, 1]; index 0 = (1, 2] clamps to [1, 1].
	// est = (10·1 + 20·.625 + 30·.75 + 40·1)/100 = (10 + 12.5 + 22.5 + 40)/100 = .85
	// lower = (10 + 20·.5 + 30·.5 + 40)/100 = .75, upper = (10 + 20·.75 + 30 + 40)/100 = .95
	h := Exponential{Scale: 0, Offset: -2, Counts: []uint64{20, 30, 40}, Zero: 10}
	est, lower, upper, ok := ExponentialAccuracy(h, 0.5)
	if !ok || math.Abs(est-0.85) > 1e-15 || math.Abs(lower-0.75) > 1e-15 || math.Abs(upper-0.95) > 1e-15 {
		t.Errorf("got %v [%v, %v] %v; want .85 [.75, .95]", est, lower, upper, ok)
	}
	// Scale -1 (base 4), t = 0.25 = 4^-1: index -1 = (.25, 1] positive, index -2 = (1/16, .25].
	// est = (20·(1 − (1/16 + 1/4)/2) + 30·.625)/50 = (20·.84375 + 18.75)/50 = .7125
	h = Exponential{Scale: -1, Offset: -2, Counts: []uint64{20, 30}}
	if est, _, _, ok := ExponentialAccuracy(h, 0.25); !ok || math.Abs(est-0.7125) > 1e-15 {
		t.Errorf("scale -1, t = .25: est %v, %v; want .7125", est, ok)
	}
	// A bucket far below 1 at a fine scale: the edges restart at powers of two, so the bucket
	// just below 1 still ends at exactly 1, and the one just below 0.5 at exactly 0.5.
	h = Exponential{Scale: 4, Offset: -3000, Counts: make([]uint64, 3000)}
	h.Counts[len(h.Counts)-1] = 1  // (2^(-1/16), 1]
	h.Counts[len(h.Counts)-17] = 1 // (2^(-17/16), 2^-1]
	lo1, lo2 := math.Exp2(-1.0/16), math.Exp2(-17.0/16)
	want := ((lo1+1)/2 + 1 - (lo2+0.5)/2) / 2
	if est, _, _, ok := ExponentialAccuracy(h, 0.5); !ok || math.Abs(est-want) > 1e-14 {
		t.Errorf("3000 buckets: est %v, %v; want %v", est, ok, want)
	}
}

func TestExplicitAccuracyEdges(t *testing.T) {
	// Bounds beyond [0, 1] clamp: (−inf, −1] holds scores of 0 (f = 1), (2, +inf) scores of 1.
	// Buckets: (−inf,−1]→[0,0] 10, (−1,.5]→[0,.5] 10, (.5,2]→[.5,1] 10, (2,inf)→[1,1] 10.
	// est = (10 + 10·.75 + 10·.75 + 10)/40 = .875
	est, lower, upper, ok := ExplicitAccuracy([]float64{-1, 0.5, 2}, []uint64{10, 10, 10, 10}, 0.5)
	if !ok || math.Abs(est-0.875) > 1e-15 || math.Abs(lower-0.75) > 1e-15 || upper != 1 {
		t.Errorf("got %v [%v, %v] %v; want .875 [.75, 1]", est, lower, upper, ok)
	}
}

func TestAccuracyRejects(t *testing.T) {
	bounds := equalBounds(10)
	counts := make([]uint64, 10)
	counts[3] = 5
	explicit := []struct {
		name   string
		bounds []float64
		counts []uint64
		t      float64
	}{
		{"t between bounds", bounds, counts, 0.55},
		{"t at 0", bounds, counts, 0},
		{"t at 1", append(bounds, 1), append(counts, 0), 1},
		{"t NaN", bounds, counts, math.NaN()},
		{"no scores", bounds, make([]uint64, 10), 0.5},
		{"lengths differ", bounds, counts[:9], 0.5},
		{"bounds descend", []float64{0.5, 0.2}, []uint64{1, 1, 1}, 0.5},
		{"a repeated bound", []float64{0.2, 0.5, 0.5}, []uint64{1, 1, 1, 1}, 0.5},
		{"a NaN bound", []float64{0.5, math.NaN()}, []uint64{1, 1, 1}, 0.5},
	}
	for _, tt := range explicit {
		if est, lo, hi, ok := ExplicitAccuracy(tt.bounds, tt.counts, tt.t); ok || est != 0 || lo != 0 || hi != 0 {
			t.Errorf("explicit, %s: %v [%v, %v] %v", tt.name, est, lo, hi, ok)
		}
	}
	h := Exponential{Scale: 3, Offset: -10, Counts: []uint64{1, 2, 3}}
	exponential := []struct {
		name  string
		scale int32
		t     float64
	}{
		{"0.5 at a negative scale", -1, 0.5},
		{"0.3 is no boundary at scale 3", 3, 0.3},
		{"0.5 off by 1e-6", 3, 0.5 + 1e-6},
		{"t at 0", 3, 0},
		{"t at 1", 3, 1},
		{"t NaN", 3, math.NaN()},
		{"scale above 20", 21, 0.5},
		{"scale below -10", -11, 0.5},
	}
	for _, tt := range exponential {
		h.Scale = tt.scale
		if est, lo, hi, ok := ExponentialAccuracy(h, tt.t); ok || est != 0 || lo != 0 || hi != 0 {
			t.Errorf("exponential, %s: %v [%v, %v] %v", tt.name, est, lo, hi, ok)
		}
	}
	if _, _, _, ok := ExponentialAccuracy(Exponential{Scale: 3}, 0.5); ok {
		t.Error("an empty exponential histogram is ok")
	}
	// Within the relative 1e-9, a threshold is accepted; 0.5 is a boundary at every scale >= 0.
	h.Scale = 3
	if _, _, _, ok := ExponentialAccuracy(h, 0.5*(1+1e-12)); !ok {
		t.Error("0.5·(1+1e-12) is not taken for 0.5")
	}
	for s := int32(0); s <= 20; s++ {
		h.Scale = s
		if _, _, _, ok := ExponentialAccuracy(h, 0.5); !ok {
			t.Errorf("0.5 is no boundary at scale %d", s)
		}
	}
}
