package drift

// A score p is predicted positive when p > t. If the scores are calibrated, the prediction is
// right with probability f(p) = p when positive and 1 − p when negative, so the expected
// accuracy is Σ count·f(p)/N. Inside a bucket (lo, hi] that lies on one side of t, f is linear,
// so its mean over a bucket whose scores spread evenly is (f(lo)+f(hi))/2 and its least and
// greatest values are at the edges: est uses the former, lower and upper the latter. The true
// expected accuracy of calibrated scores lies in [lower, upper] whatever their spread inside
// the buckets; est is exact when it is uniform.

// accuracy sums count·f at the bucket edges: lower takes the lesser, upper the greater, and
// est, the mean of f(lo) and f(hi), is then their average.
type accuracy struct {
	n            uint64
	lower, upper float64
}

// add counts c scores in [lo, hi] ⊆ [0, 1], all predicted positive or all negative.
func (a *accuracy) add(c uint64, lo, hi float64, positive bool) {
	fl, fh := lo, hi
	if !positive {
		fl, fh = 1-hi, 1-lo
	}
	w := float64(c)
	a.n += c
	a.lower += w * fl
	a.upper += w * fh
}

func (a accuracy) result() (est, lower, upper float64, ok bool) {
	if a.n == 0 {
		return 0, 0, 0, false
	}
	n := float64(a.n)
	lower, upper = a.lower/n, a.upper/n
	return (lower + upper) / 2, lower, upper, true
}

func clamp01(x float64) float64 { return min(max(x, 0), 1) }

// ExplicitAccuracy estimates the accuracy at threshold t of calibrated scores counted in an
// explicit-bucket histogram: bounds are the finite upper bounds, ascending, and
// len(counts) == len(bounds)+1. Bucket i covers (bounds[i−1], bounds[i]], the first from −inf and
// the last to +inf, each clamped to [0, 1]. est assumes scores spread evenly inside each bucket;
// the expected accuracy lies in [lower, upper] however they spread.
//
// ok is false, and the rest 0, for mismatched lengths, bounds that do not ascend, no scores, or
// a t that is outside (0, 1) or not exactly one of the bounds (a bucket would straddle t).
func ExplicitAccuracy(bounds []float64, counts []uint64, t float64) (est, lower, upper float64, ok bool) {
	if len(counts) != len(bounds)+1 || !(t > 0 && t < 1) {
		return 0, 0, 0, false
	}
	var a accuracy
	found := false
	prev, lo := 0.0, 0.0 // the previous raw bound, and it clamped
	for i, c := range counts {
		hi := 1.0
		if i < len(bounds) {
			b := bounds[i]
			if i > 0 && !(b > prev) { // also rejects NaN
				return 0, 0, 0, false
			}
			found = found || b == t
			hi = clamp01(b)
		}
		// Bucket 0 starts at -inf, below t; every other one is positive when its lower bound
		// is at or above t (t being a bound, a bucket lies wholly on one side).
		a.add(c, lo, hi, i > 0 && prev >= t)
		if i < len(bounds) {
			prev, lo = bounds[i], hi
		}
	}
	if !found {
		return 0, 0, 0, false
	}
	return a.result()
}

// ExponentialAccuracy is ExplicitAccuracy for an exponential histogram. The zero count holds
// scores of 0, predicted negative and right with probability 1; bucket index i covers
// (base^i, base^(i+1)] clamped to [0, 1], so buckets at and above index 0 hold scores of 1.
//
// ok is false, and the rest 0, for a scale outside OpenTelemetry's [−10, 20], no scores, or a t
// outside (0, 1) or not a bucket boundary at h.Scale: base^i must equal t, within a relative
// 1e-9, for some integer i. t = 0.5 = base^(−2^Scale) is a boundary at every scale ≥ 0 and at
// no negative scale; t = 0.25 is one at scale −1 too.
func ExponentialAccuracy(h Exponential, t float64) (est, lower, upper float64, ok bool) {
	if h.Scale < minScale || h.Scale > maxScale || !(t > 0 && t < 1) {
		return 0, 0, 0, false
	}
	ti, ok := boundaryIndex(t, h.Scale)
	if !ok {
		return 0, 0, 0, false
	}
	var a accuracy
	a.add(h.Zero, 0, 0, false)
	// At positive scales each edge is the previous one times base (at most √2), which saves an
	// exp2 per bucket; it restarts exactly at every power of two, so rounding cannot build up
	// and an edge that underflowed to 0 recovers. At other scales base may overflow, and every
	// edge is an exact power of two anyway.
	var base float64
	mask := int64(0)
	if h.Scale > 0 {
		base = boundary(1, h.Scale)
		mask = 1<<uint(h.Scale) - 1
	}
	first := int64(h.Offset)
	lo := boundary(first, h.Scale)
	for k, c := range h.Counts {
		i := first + int64(k)
		var hi float64
		if (i+1)&mask == 0 {
			hi = boundary(i+1, h.Scale)
		} else {
			hi = lo * base
		}
		a.add(c, clamp01(lo), clamp01(hi), i >= ti)
		lo = hi
	}
	return a.result()
}
