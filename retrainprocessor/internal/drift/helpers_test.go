package drift

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gammaSample draws from Gamma(a, 1), a >= 1, by Marsaglia and Tsang's method (2000).
func gammaSample(rng *rand.Rand, a float64) float64 {
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		x2 := x * x
		if u < 1-0.0331*x2*x2 || math.Log(u) < x2/2+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// betaSample draws from Beta(a, b), a, b >= 1, as X/(X+Y) of two gamma variates.
func betaSample(rng *rand.Rand, a, b float64) float64 {
	x := gammaSample(rng, a)
	return x / (x + gammaSample(rng, b))
}

// betaDensity returns Beta(a, b)'s density at x in [0, 1], shapes >= 1 (at the ends, its limit).
func betaDensity(a, b, x float64) float64 {
	x = min(max(x, 0x1p-1000), 1-0x1p-53)
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return math.Exp((a-1)*math.Log(x) + (b-1)*math.Log1p(-x) + lab - la - lb)
}

// simpson integrates f over [lo, hi] with the composite Simpson rule on n (even) intervals.
func simpson(f func(float64) float64, lo, hi float64, n int) float64 {
	if hi <= lo {
		return 0
	}
	h := (hi - lo) / float64(n)
	sum := f(lo) + f(hi)
	for i := 1; i < n; i++ {
		w := 2.0
		if i%2 == 1 {
			w = 4
		}
		sum += w * f(lo+float64(i)*h)
	}
	return sum * h / 3
}

// betaMass integrates Beta(a, b)'s density over [lo, hi] ⊆ [0, 1].
func betaMass(a, b, lo, hi float64) float64 {
	return simpson(func(x float64) float64 { return betaDensity(a, b, x) }, lo, hi, 64)
}

// betaAccuracy returns the exact expected accuracy at threshold t of calibrated Beta(a, b)
// scores, ∫₀ᵗ (1−p)ρ(p) dp + ∫ₜ¹ p ρ(p) dp, by numerical integration.
func betaAccuracy(a, b, t float64) float64 {
	neg := simpson(func(p float64) float64 { return (1 - p) * betaDensity(a, b, p) }, 0, t, 20000)
	pos := simpson(func(p float64) float64 { return p * betaDensity(a, b, p) }, t, 1, 20000)
	return neg + pos
}

// chiSquareSurvival returns P(X >= x) for X ~ χ²(df): 1 − P(df/2, x/2), the regularized lower
// incomplete gamma function summed as its power series.
func chiSquareSurvival(df int, x float64) float64 {
	a, z := float64(df)/2, x/2
	if z <= 0 {
		return 1
	}
	lg, _ := math.Lgamma(a + 1)
	term := math.Exp(a*math.Log(z) - z - lg) // z^a e^-z / Γ(a+1)
	sum := term
	for n := 1; n < 1000 && term > 1e-17*sum; n++ {
		term *= z / (a + float64(n))
		sum += term
	}
	return max(1-sum, 0)
}

func TestBetaHelpers(t *testing.T) {
	// Beta(2, 5): the CDF at 0.3 is Σ_{j=2}^{6} C(6,j)·.3^j·.7^(6−j) = 0.579825; the mean is 2/7.
	if got := betaMass(2, 5, 0, 0.3); math.Abs(got-0.579825) > 1e-6 {
		t.Errorf("Beta(2,5) mass below 0.3 = %v, want 0.579825", got)
	}
	for _, s := range [][2]float64{{2, 5}, {3, 7}, {4.5, 5.5}, {1, 1}} {
		var total float64
		for i := range 100 {
			total += betaMass(s[0], s[1], float64(i)/100, float64(i+1)/100)
		}
		if math.Abs(total-1) > 1e-9 {
			t.Errorf("Beta%v integrates to %v", s, total)
		}
	}
	// Uniform scores: E[max(p, 1−p)] = 3/4 at t = 0.5.
	if got := betaAccuracy(1, 1, 0.5); math.Abs(got-0.75) > 1e-12 {
		t.Errorf("uniform accuracy = %v, want 0.75", got)
	}
	// χ²(2) survival is e^(−x/2); χ²(9) at its 0.99 quantile 21.666 leaves 0.01.
	if got := chiSquareSurvival(2, 3); math.Abs(got-math.Exp(-1.5)) > 1e-12 {
		t.Errorf("χ²(2) survival at 3 = %v", got)
	}
	if got := chiSquareSurvival(9, 21.665994); math.Abs(got-0.01) > 1e-6 {
		t.Errorf("χ²(9) survival at 21.666 = %v", got)
	}
	// The sampler: mean a/(a+b) and variance ab/((a+b)²(a+b+1)) of Beta(3, 7) = .3 and .019091.
	rng := rand.New(rand.NewPCG(9, 9))
	const n = 200000
	var sum, sq float64
	for range n {
		x := betaSample(rng, 3, 7)
		sum += x
		sq += x * x
	}
	mean := sum / n
	variance := sq/n - mean*mean
	if math.Abs(mean-0.3) > 0.002 || math.Abs(variance-0.0190909) > 0.0005 {
		t.Errorf("Beta(3,7) samples: mean %v, variance %v; want .3, .019091", mean, variance)
	}
}
