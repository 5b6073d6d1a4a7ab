package drift

import (
	"math"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
)

// Exponential is the positive range of an OpenTelemetry exponential histogram plus its zero
// count: bucket index i covers (base^i, base^(i+1)], base = 2^(2^-Scale), and Counts[k] counts
// index Offset+k. Scores of 0 (and anything the producer rounds to zero) are in Zero.
type Exponential struct {
	Scale, Offset int32
	Counts        []uint64
	Zero          uint64
}

// MaxAlignedBuckets bounds the buckets, besides the zero count, that AlignExponential returns:
// when the union of both index ranges is wider at the common scale, it downscales further.
const MaxAlignedBuckets = 512

// AlignExponential puts two exponential histograms on common buckets for Compare with keep = 1.
// Both are downscaled to the smaller of their scales (index i becomes i >> (scale − target),
// the arithmetic shift, which is floor division for negative indices too), and further while the
// union of their index ranges spans more than MaxAlignedBuckets. In each returned vector, entry 0
// is the zero count and entry 1+j counts index lo+j, lo and hi being the smallest and largest
// index with a non-zero count on either side; with no such index both have length 1. A side
// without buckets has no say in the scale.
//
// The vectors are the Comparer's buffers: they stay valid until its next AlignExponential.
func (c *Comparer) AlignExponential(ref, cur Exponential) (refCounts, curCounts []uint64) {
	rlo, rhi, rok := ref.span()
	clo, chi, cok := cur.span()
	var rs, cs uint // downscaling steps of ref and cur
	var lo, hi int64
	switch {
	case rok && cok:
		target := min(ref.Scale, cur.Scale)
		rs, cs = steps(ref.Scale, target), steps(cur.Scale, target)
		lo, hi = min(rlo>>rs, clo>>cs), max(rhi>>rs, chi>>cs)
	case rok:
		lo, hi = rlo, rhi
	case cok:
		lo, hi = clo, chi
	}
	for hi-lo+1 > MaxAlignedBuckets {
		rs, cs = rs+1, cs+1
		lo, hi = lo>>1, hi>>1
	}
	n := 1
	if rok || cok {
		n += int(hi - lo + 1)
	}
	c.ref = fill(c.ref[:0], n, ref, rs, lo)
	c.cur = fill(c.cur[:0], n, cur, cs, lo)
	return c.ref, c.cur
}

// span returns the smallest and largest index with a non-zero count; ok is false if none.
func (h *Exponential) span() (lo, hi int64, ok bool) {
	first, last := -1, -1
	for k, v := range h.Counts {
		if v != 0 {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	if first < 0 {
		return 0, 0, false
	}
	return int64(h.Offset) + int64(first), int64(h.Offset) + int64(last), true
}

// fill resizes buf to n zeros and adds h's counts, downscaled by s steps, at 1 + index − lo.
func fill(buf []uint64, n int, h Exponential, s uint, lo int64) []uint64 {
	if cap(buf) < n {
		buf = make([]uint64, n)
	} else {
		buf = buf[:n]
		clear(buf)
	}
	buf[0] = h.Zero
	for k, v := range h.Counts {
		if v != 0 {
			buf[1+(int64(h.Offset)+int64(k))>>s-lo] += v
		}
	}
	return buf
}

// steps returns how many scale steps lead down from one scale to a coarser one.
func steps(from, to int32) uint { return uint(int64(from) - int64(to)) }

// OpenTelemetry's exponential histogram scale limits.
const (
	minScale = quantile.MinScale
	maxScale = quantile.MaxScale
)

// boundary returns base^index at scale, the lower bound of bucket index (0 or +Inf when out of
// float64's range). scale must be within [minScale, maxScale].
func boundary(index int64, scale int32) float64 { return quantile.LowerBound(index, scale) }

// boundaryIndex returns the index i with base^i within a relative 1e-9 of t > 0 at scale; ok is
// false when t is no bucket boundary there.
func boundaryIndex(t float64, scale int32) (int64, bool) {
	x := math.Round(math.Ldexp(math.Log2(t), int(scale)))
	if math.Abs(x) > 1<<53 {
		return 0, false
	}
	i := int64(x)
	return i, math.Abs(boundary(i, scale)-t) <= 1e-9*t
}
