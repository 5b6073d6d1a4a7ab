package quantile

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

var testQuantiles = []float64{0.5, 0.9, 0.99, 0.999}

// distribution is a named set of latency samples drawn from a fixed seed.
type distribution struct {
	name    string
	samples []float64
}

func distributions() []distribution {
	rng := rand.New(rand.NewPCG(7, 11))
	const n = 20000
	uniform := make([]float64, n)
	logNormal := make([]float64, n)
	withZeros := make([]float64, n)
	for i := range n {
		uniform[i] = 1 + 999*rng.Float64()
		logNormal[i] = math.Exp(3 + 1.5*rng.NormFloat64())
		if i%5 != 0 {
			withZeros[i] = 1 + 99*rng.Float64()
		}
	}
	constant := make([]float64, 1000)
	for i := range constant {
		constant[i] = 42.5
	}
	bimodal := make([]float64, 1000)
	for i := range bimodal {
		bimodal[i] = 10
		if i%10 >= 7 {
			bimodal[i] = 1000
		}
	}
	rng.Shuffle(len(bimodal), func(i, j int) { bimodal[i], bimodal[j] = bimodal[j], bimodal[i] })
	rng.Shuffle(len(withZeros), func(i, j int) { withZeros[i], withZeros[j] = withZeros[j], withZeros[i] })
	return []distribution{
		{"uniform", uniform},
		{"log_normal", logNormal},
		{"constant", constant},
		{"two_point_bimodal", bimodal},
		{"uniform_with_zeros", withZeros},
	}
}

// exactQuantile returns the ceil(q*n)-th smallest sample.
func exactQuantile(samples []float64, q float64) float64 {
	sorted := slices.Sorted(slices.Values(samples))
	rank := max(int(math.Ceil(q*float64(len(sorted)))), 1)
	return sorted[rank-1]
}

// bucketize counts samples densely at scale; zeros go to the zero count.
func bucketize(samples []float64, scale int32) (offset int32, counts []uint64, zero uint64) {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, v := range samples {
		if v == 0 {
			continue
		}
		i := indexOf(v, scale)
		lo, hi = min(lo, i), max(hi, i)
	}
	if lo > hi {
		return 0, nil, uint64(len(samples))
	}
	counts = make([]uint64, hi-lo+1)
	for _, v := range samples {
		if v == 0 {
			zero++
			continue
		}
		counts[indexOf(v, scale)-lo]++
	}
	return int32(lo), counts, zero
}

// assertWithinRelativeError checks |est-exact|/exact <= relErr, and est == 0 for exact == 0.
func assertWithinRelativeError(t *testing.T, exact, est, relErr float64, msgAndArgs ...any) {
	t.Helper()
	if exact == 0 {
		assert.Zero(t, est, msgAndArgs...)
		return
	}
	assert.LessOrEqual(t, math.Abs(est-exact)/exact, relErr+1e-12, msgAndArgs...)
}

// assertWithinBounds checks that the estimate lies within its bounds and so does the true quantile,
// but for the rounding of computed bucket boundaries.
func assertWithinBounds(t *testing.T, exact float64, est Estimate, format string, args ...any) {
	t.Helper()
	const slack = 1e-12
	if !(est.Lower <= est.Value && est.Value <= est.Upper) {
		t.Errorf("estimate %+v outside its bounds: %s", est, fmt.Sprintf(format, args...))
	}
	if !(est.Lower*(1-slack) <= exact && exact <= est.Upper*(1+slack)) {
		t.Errorf("true quantile %v outside [%v, %v]: %s", exact, est.Lower, est.Upper, fmt.Sprintf(format, args...))
	}
}
