package quantile

import "math"

// A window is a run of bucket counts at one scale: counts[i] belongs to bucket index offset+i.
// Exponential and Sketch both store their buckets as a window and share these functions.

// addRun adds src, whose element j belongs to bucket index (first+j)>>shift, into the window
// (offset, counts) and returns the new window. The window keeps at most limit buckets and no index
// above MaxInt32; counts outside that range fold into the nearest kept bucket, so the lowest kept
// bucket absorbs everything below it.
func addRun(offset int32, counts []uint64, limit int, first int64, shift uint, src []uint64) (int32, []uint64) {
	if len(src) == 0 {
		return offset, counts
	}
	if shift == 0 && len(counts) > 0 && first >= int64(offset) && first+int64(len(src)) <= int64(offset)+int64(len(counts)) {
		// The common case: the run lies inside the window at its scale.
		dst := counts[first-int64(offset):][:len(src)]
		for j, c := range src {
			dst[j] += c
		}
		return offset, counts
	}
	lo := first >> shift
	hi := (first + int64(len(src)) - 1) >> shift
	if len(counts) > 0 {
		lo = min(lo, int64(offset))
		hi = max(hi, int64(offset)+int64(len(counts))-1)
	}
	hi = min(hi, math.MaxInt32)
	lo = min(max(lo, hi-int64(limit)+1), hi)
	counts = relayout(offset, counts, lo, int(hi-lo+1), limit)
	last := int64(len(counts) - 1)
	for j, c := range src {
		p := min(max((first+int64(j))>>shift-lo, 0), last)
		counts[p] += c
	}
	return int32(lo), counts
}

// addOne adds one count to bucket index.
func addOne(offset int32, counts []uint64, limit int, index int64) (int32, []uint64) {
	one := [1]uint64{1}
	return addRun(offset, counts, limit, index, 0, one[:])
}

// relayout moves the window (offset, counts) so that it starts at bucket index lo and is width
// buckets long, folding buckets below lo into the first one and zeroing new buckets. The caller
// guarantees that the old window does not reach above lo+width-1.
func relayout(offset int32, counts []uint64, lo int64, width, limit int) []uint64 {
	if cap(counts) < width {
		grown := make([]uint64, len(counts), min(max(width, 2*cap(counts)), max(limit, width)))
		copy(grown, counts)
		counts = grown
	}
	n := len(counts)
	if n == 0 {
		counts = counts[:width]
		clear(counts)
		return counts
	}
	move := lo - int64(offset)
	if move > 0 {
		cut := int(min(move, int64(n)))
		var folded uint64
		for _, c := range counts[:cut] {
			folded += c
		}
		kept := copy(counts, counts[cut:])
		counts = counts[:width]
		clear(counts[kept:])
		counts[0] += folded
		return counts
	}
	gap := int(-move)
	counts = counts[:width]
	copy(counts[gap:], counts[:n])
	clear(counts[:gap])
	clear(counts[gap+n:])
	return counts
}

// downscale merges the window's buckets by k scale steps in place and returns the new window.
func downscale(offset int32, counts []uint64, k uint) (int32, []uint64) {
	if k == 0 || len(counts) == 0 {
		return offset, counts
	}
	off := int64(offset)
	newOff := off >> k
	// Each bucket moves to a position at or before its own, so one forward pass is enough.
	for i := range counts {
		c := counts[i]
		counts[i] = 0
		counts[(off+int64(i))>>k-newOff] += c
	}
	n := (off+int64(len(counts))-1)>>k - newOff + 1
	return int32(newOff), counts[:n]
}

// trimZeros drops empty buckets at both ends so they cannot widen a window.
func trimZeros(first int64, counts []uint64) (int64, []uint64) {
	lo, hi := 0, len(counts)
	for lo < hi && counts[lo] == 0 {
		lo++
	}
	for hi > lo && counts[hi-1] == 0 {
		hi--
	}
	return first + int64(lo), counts[lo:hi]
}

// sum returns the total of counts.
func sum(counts []uint64) uint64 {
	var n uint64
	for _, c := range counts {
		n += c
	}
	return n
}

// nearestRank returns the value of the ceil(q*total)-th smallest observation: 0 for the zero
// bucket, otherwise the midpoint of the bucket holding it, with that bucket's bounds. When folded,
// the lowest bucket also holds observations from below it, and its lower bound is 0.
func nearestRank(q float64, zero uint64, scale, offset int32, counts []uint64, total uint64, folded bool) (Estimate, bool) {
	if total == 0 || !(q > 0 && q < 1) {
		return Estimate{}, false
	}
	rank := total
	if r := math.Ceil(q * float64(total)); r < float64(total) {
		rank = max(uint64(r), 1)
	}
	if rank <= zero || len(counts) == 0 {
		// Past the zero count without buckets only when total overstates them.
		return Estimate{}, true
	}
	i, cum := 0, zero
	for i < len(counts)-1 { // past the last bucket only when total overstates them: keep the last
		if cum += counts[i]; cum >= rank {
			break
		}
		i++
	}
	est := bucketEstimate(int64(offset)+int64(i), scale)
	if folded && i == 0 {
		est.Lower = 0
	}
	return est, true
}
