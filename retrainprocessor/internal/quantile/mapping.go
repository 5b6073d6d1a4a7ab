package quantile

import "math"

// Scale limits of the OpenTelemetry exponential histogram data model.
const (
	MaxScale int32 = 20
	MinScale int32 = -10
)

// minNormal is the smallest normal float64; smaller values are counted as zero.
const minNormal = 0x1p-1022

// indexOf returns the bucket index i at scale such that base^i < v <= base^(i+1).
// v must be a positive normal float64.
func indexOf(v float64, scale int32) int64 {
	frac, exp := math.Frexp(v) // v = frac * 2^exp, frac in [0.5, 1)
	e := int64(exp - 1)        // v = m * 2^e, m in [1, 2)
	powerOfTwo := frac == 0.5
	if scale <= 0 {
		if powerOfTwo {
			// 2^e is the inclusive upper bound of the bucket below the one starting at 2^e.
			e--
		}
		return e >> uint(-scale)
	}
	if powerOfTwo {
		return e<<uint(scale) - 1
	}
	// Using the mantissa keeps the logarithm small, so rounding moves only values within an ulp
	// of a boundary.
	m := 2 * frac
	return e<<uint(scale) + int64(math.Log(m)*math.Ldexp(math.Log2E, int(scale)))
}

// LowerBound returns base^index, the exclusive lower bound of the bucket index at scale.
func LowerBound(index int64, scale int32) float64 {
	if scale <= 0 {
		return math.Ldexp(1, clampExp(index<<uint(-scale)))
	}
	whole := index >> uint(scale)
	part := index & (1<<uint(scale) - 1)
	return math.Ldexp(math.Exp2(math.Ldexp(float64(part), -int(scale))), clampExp(whole))
}

// clampExp keeps a power of two inside the range where math.Ldexp already saturates to 0 or +Inf.
func clampExp(e int64) int {
	return int(min(max(e, -2000), 2000))
}

// relativeError returns (b-1)/(b+1) for base b = 2^(2^-scale).
func relativeError(scale int32) float64 {
	// (b-1)/(b+1) == tanh(ln(b)/2); tanh stays exact at fine scales and finite when b overflows.
	return math.Tanh(math.Ldexp(math.Ln2, -int(scale)) / 2)
}

// bucketEstimate returns the midpoint 2*upper/(b+1) of the bucket index at scale, the value within
// relativeError of every value the bucket holds, bounded by the bucket. The bounds are also the
// relative error bound: midpoint/(1+relativeError) and midpoint/(1-relativeError).
func bucketEstimate(index int64, scale int32) Estimate {
	lower := LowerBound(index, scale)
	// 2*b*lower/(b+1) == lower*(1+relativeError), which stays finite for the top float64 bucket.
	return Estimate{Value: lower * (1 + relativeError(scale)), Lower: lower, Upper: LowerBound(index+1, scale)}
}
