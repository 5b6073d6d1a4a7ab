package quantile

import "math"

// Explicit returns the q-quantile (0 < q < 1) of an explicit-bucket histogram as Prometheus's
// histogram_quantile does for classic buckets: it finds the first bucket whose cumulative count
// reaches rank = q*total and interpolates linearly inside it. The first bucket starts at 0 unless
// its upper bound is <= 0, when that bound is returned; a rank in the +Inf bucket returns the
// highest finite bound. The estimate's bounds are those of the bucket: the nearest-rank
// quantile lies in it, (highest bound, +Inf) for the +Inf bucket. bounds are the finite upper
// bounds, ascending, and len(counts) == len(bounds)+1. ok is false for an empty histogram, a q
// outside (0, 1), mismatched lengths, or no finite bound.
func Explicit(q float64, bounds []float64, counts []uint64) (Estimate, bool) {
	if !(q > 0 && q < 1) || len(bounds) == 0 || len(counts) != len(bounds)+1 {
		return Estimate{}, false
	}
	total := sum(counts)
	if total == 0 {
		return Estimate{}, false
	}
	rank := q * float64(total)
	var below uint64
	for i, upper := range bounds {
		c := counts[i]
		if float64(below+c) < rank {
			below += c
			continue
		}
		if i == 0 && upper <= 0 {
			return Estimate{Value: upper, Lower: upper, Upper: upper}, true
		}
		var lower float64
		if i > 0 {
			lower = bounds[i-1]
		}
		v := lower + (upper-lower)*((rank-float64(below))/float64(c))
		if v > upper { // rounding may step an ulp past the bucket, never below it; NaN stays NaN
			v = upper
		}
		return Estimate{Value: v, Lower: lower, Upper: upper}, true
	}
	highest := bounds[len(bounds)-1]
	return Estimate{Value: highest, Lower: highest, Upper: math.Inf(1)}, true
}
