package quantile

import "math"

// Sketch layout: scale 6 (base 2^(1/64)) keeps the relative error near 0.54%, and 1024 buckets
// cover a dynamic range of 2^16 before folding.
const (
	SketchScale      int32 = 6
	SketchMaxBuckets int   = 1024
)

// SketchRelativeError is the relative error of every Sketch quantile, (b-1)/(b+1) for scale 6.
var SketchRelativeError = relativeError(SketchScale)

// Sketch is a bounded quantile sketch for raw samples, using Exponential's bucket layout at
// SketchScale. When more than SketchMaxBuckets buckets would be needed it folds the lowest buckets
// into the lowest kept one (DDSketch's collapsing policy), so high quantiles keep their guarantee.
// The zero value is an empty Sketch.
type Sketch struct {
	zero   uint64
	total  uint64
	offset int32
	folded bool // counts[0] holds samples from below its bucket; in offset's padding
	counts []uint64
}

// Add records v. v must be finite and >= 0; values below the smallest normal float64 count as
// zero, and so do NaN and negative values, which the caller is expected to filter.
func (s *Sketch) Add(v float64) {
	s.total++
	if !(v >= minNormal) {
		s.zero++
		return
	}
	index := indexOf(min(v, math.MaxFloat64), SketchScale)
	if p := index - int64(s.offset); len(s.counts) > 0 && p >= 0 && p < int64(len(s.counts)) {
		s.counts[p]++
		return
	}
	// Outside the window: grow it, or fold what no longer fits into its lowest bucket.
	held, offset := len(s.counts) > 0, s.offset
	s.offset, s.counts = addOne(s.offset, s.counts, SketchMaxBuckets, index)
	s.folded = s.folded || index < int64(s.offset) || (held && offset < s.offset)
}

// Merge adds the samples of o to s.
func (s *Sketch) Merge(o *Sketch) {
	if o == s {
		s.zero *= 2
		s.total *= 2
		for i := range s.counts {
			s.counts[i] *= 2
		}
		return
	}
	s.zero += o.zero
	s.total += o.total
	if len(o.counts) == 0 {
		return
	}
	held, offset := len(s.counts) > 0, s.offset
	s.offset, s.counts = addRun(s.offset, s.counts, SketchMaxBuckets, int64(o.offset), 0, o.counts)
	s.folded = s.folded || o.folded || o.offset < s.offset || (held && offset < s.offset)
}

// Reset empties s, keeping its capacity.
func (s *Sketch) Reset() {
	s.zero = 0
	s.total = 0
	s.offset = 0
	s.counts = s.counts[:0]
	s.folded = false
}

// Count returns the number of samples added.
func (s *Sketch) Count() uint64 {
	return s.total
}

// Quantile returns the nearest-rank q-quantile (0 < q < 1) within SketchRelativeError of the
// true one, except below buckets that were folded; ok is false for an empty s or a q outside (0, 1).
// The bounds are the relative error bound, which are the bucket's bounds; a rank in the lowest
// kept bucket after folding has a lower bound of 0, since the folded samples were smaller.
func (s *Sketch) Quantile(q float64) (Estimate, bool) {
	return nearestRank(q, s.zero, SketchScale, s.offset, s.counts, s.total, s.folded)
}
