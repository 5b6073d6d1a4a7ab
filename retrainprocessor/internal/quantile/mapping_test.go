package quantile

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestIndexOfPutsBoundariesInTheLowerBucket(t *testing.T) {
	tests := []struct {
		name  string
		v     float64
		scale int32
		want  int64
	}{
		{"one is the top of bucket -1 at scale 0", 1, 0, -1},
		{"two is the top of bucket 0 at scale 0", 2, 0, 0},
		{"three lies inside bucket 1 at scale 0", 3, 0, 1},
		{"three quarters lies inside bucket -1 at scale 0", 0.75, 0, -1},
		{"four is the top of bucket 0 at scale -1", 4, -1, 0},
		{"five lies inside bucket 1 at scale -1", 5, -1, 1},
		{"one is the top of bucket -1 at scale -10", 1, -10, -1},
		{"the largest float lies in bucket 0 at scale -10", math.MaxFloat64, -10, 0},
		{"one is the top of bucket -1 at scale 3", 1, 3, -1},
		{"two is the top of bucket 7 at scale 3", 2, 3, 7},
		{"one and a half lies in bucket 1 at scale 1", 1.5, 1, 1},
		{"the smallest normal tops bucket -1023 at scale 0", minNormal, 0, -1023},
		{"the largest float lies in the top bucket at scale 20", math.MaxFloat64, 20, 1<<30 - 1},
		{"the smallest normal tops bucket -1022<<20 - 1 at scale 20", minNormal, 20, -1022<<20 - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, indexOf(tt.v, tt.scale))
		})
	}
}

func TestIndexOfBucketContainsItsValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, scale := range []int32{-10, -3, 0, 1, 6, 8, 20} {
		for range 5000 {
			v := math.Exp2(-100 + 200*rng.Float64())
			i := indexOf(v, scale)
			lower, upper := LowerBound(i, scale), LowerBound(i+1, scale)
			// The bounds themselves are rounded, by far less than one bucket at any scale.
			if !assert.True(t, lower*(1-1e-14) < v && v <= upper*(1+1e-14),
				"scale %d value %g index %d bounds (%g, %g]", scale, v, i, lower, upper) {
				return
			}
		}
	}
}

func TestRelativeErrorMatchesBase(t *testing.T) {
	tests := []struct {
		name  string
		scale int32
		want  float64
	}{
		{"scale 0 has base 2", 0, 1.0 / 3},
		{"scale 1 has base sqrt 2", 1, (math.Sqrt2 - 1) / (math.Sqrt2 + 1)},
		{"scale 6 has base 2^(1/64)", 6, (math.Exp2(1.0/64) - 1) / (math.Exp2(1.0/64) + 1)},
		{"scale 20 stays exact at a base close to 1", 20, math.Ln2 / (1 << 21)},
		{"scale -10 with an overflowing base tends to 1", -10, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InEpsilon(t, tt.want, relativeError(tt.scale), 1e-9)
		})
	}
}

func TestSketchRelativeErrorIsBelowOnePercent(t *testing.T) {
	assert.InDelta(t, 0.005415, SketchRelativeError, 1e-6)
	assert.Less(t, SketchRelativeError, 0.01)
}

func TestBucketEstimateIsTheMidpointWithinRelativeErrorOfBothBounds(t *testing.T) {
	for _, scale := range []int32{-2, 0, 3, 6, 20} {
		for _, i := range []int64{-100, -1, 0, 1, 77} {
			est := bucketEstimate(i, scale)
			lower, upper, mid := LowerBound(i, scale), LowerBound(i+1, scale), est.Value
			assert.Equal(t, lower, est.Lower, "scale %d index %d", scale, i)
			assert.Equal(t, upper, est.Upper, "scale %d index %d", scale, i)
			relErr := relativeError(scale)
			assert.InEpsilon(t, relErr, (mid-lower)/lower, 1e-6, "scale %d index %d", scale, i)
			assert.InEpsilon(t, relErr, (upper-mid)/upper, 1e-6, "scale %d index %d", scale, i)
			// The bounds are the relative error bound around the midpoint.
			assert.InEpsilon(t, mid/(1+relErr), lower, 1e-12, "scale %d index %d", scale, i)
			assert.InEpsilon(t, mid/(1-relErr), upper, 1e-9, "scale %d index %d", scale, i)
		}
	}
}

func TestBucketEstimateOfTheTopFloatBucket(t *testing.T) {
	// Scale 0, index 1023 is (2^1023, 2^1024]: the midpoint stays finite, the upper bound is +Inf.
	est := bucketEstimate(1023, 0)
	assert.Equal(t, math.Ldexp(1, 1023), est.Lower)
	assert.InEpsilon(t, math.Ldexp(4.0/3, 1023), est.Value, 1e-15)
	assert.True(t, math.IsInf(est.Upper, 1))
	// Index 1024 starts past the largest float.
	assert.True(t, math.IsInf(bucketEstimate(1024, 0).Value, 1))
}
