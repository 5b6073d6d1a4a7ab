package drift

import (
	"math"
	"math/bits"
)

// Floor replaces a bin's proportion of zero, on either side, so that PSI's logarithm stays
// finite. Proportions are not renormalised afterwards, as in Evidently.
const Floor = 1e-4

var nan = math.NaN()

// Comparer computes drift statistics between histograms. It keeps its working memory between
// calls, so once its buffers have grown to the largest histograms seen it allocates nothing.
// The zero value is ready to use. A Comparer is not safe for concurrent use.
type Comparer struct {
	ends     []int    // exclusive end of each bin chosen by the last Compare, in native buckets
	ref, cur []uint64 // AlignExponential's output
}

// Compare returns the statistic between a reference and a current histogram. ref and cur count
// over the same native buckets, in order. The first keep buckets (an exponential histogram's
// zero count, say) each stay a bin of their own; the others are merged into at most
// k = max(bins−keep, 1) contiguous bins of about equal reference mass:
//
//   - With no more than k remaining buckets, each bucket is a bin.
//   - Otherwise the buckets are walked in order, summing reference counts, and a bin closes
//     after the bucket where the sum first reaches the next multiple of R/k, R being the
//     remaining reference mass. A bucket is never split, and one may pass several multiples:
//     a heavy bucket takes in the lighter ones since the previous close. A bucket with no
//     reference mass joins the bin that follows it, or the last bin when none follows, so
//     every such bin has reference mass; with R = 0 they form one bin.
//
// Each side's bin counts are then divided by that side's total, a proportion of 0 is replaced
// by [Floor], and with p the reference and q the current proportion per bin:
//
//	PSI       = Σ (q−p)·ln(q/p)
//	JS        = √(½ Σ p·log₂(p/m) + ½ Σ q·log₂(q/m)), m = (p+q)/2
//	Hellinger = √(½ Σ (√p − √q)²)
//
// JS equals scipy.spatial.distance.jensenshannon(p, q, base=2) while no proportion needs the
// floor; JS and Hellinger are capped at 1, which the floors' extra mass could otherwise exceed.
// Identical proportions give exactly 0.
//
// ok is false, and value 0, for an unknown stat, lengths that differ, bins < 1, keep outside
// [0, len(ref)], or an empty side. Counts must sum to less than 2^64 on each side.
func (c *Comparer) Compare(stat Statistic, ref, cur []uint64, bins, keep int) (value float64, ok bool) {
	if !stat.valid() || len(ref) != len(cur) || bins < 1 || keep < 0 || keep > len(ref) {
		return 0, false
	}
	var refTotal, curTotal uint64
	for i, r := range ref {
		refTotal += r
		curTotal += cur[i]
	}
	if refTotal == 0 || curTotal == 0 {
		return 0, false
	}
	c.bin(ref, bins, keep)

	rt, ct := float64(refTotal), float64(curTotal)
	var sum float64
	start := 0
	for _, end := range c.ends {
		var r, k uint64
		for i := start; i < end; i++ {
			r += ref[i]
			k += cur[i]
		}
		start = end
		p, q := proportion(r, rt), proportion(k, ct)
		switch stat {
		case PSI:
			sum += (q - p) * math.Log(q/p)
		case JS:
			m := (p + q) / 2
			sum += p*math.Log2(p/m) + q*math.Log2(q/m)
		case Hellinger:
			d := math.Sqrt(p) - math.Sqrt(q)
			sum += d * d
		}
	}
	if stat == PSI {
		return sum, true
	}
	// Each JS and Hellinger term is >= 0 in exact arithmetic; rounding may leave -0 or -1ulp.
	return min(math.Sqrt(max(sum/2, 0)), 1), true
}

func proportion(count uint64, total float64) float64 {
	if count == 0 {
		return Floor
	}
	return float64(count) / total
}

// bin sets c.ends to the exclusive end of each bin, in native buckets, as Compare describes.
func (c *Comparer) bin(ref []uint64, bins, keep int) {
	c.ends = c.ends[:0]
	for i := 1; i <= keep; i++ {
		c.ends = append(c.ends, i)
	}
	n := len(ref)
	k := max(bins-keep, 1)
	if n-keep <= k {
		for i := keep + 1; i <= n; i++ {
			c.ends = append(c.ends, i)
		}
		return
	}
	var total uint64
	last := keep // the last bucket with reference mass, if any
	for i := keep; i < n; i++ {
		if ref[i] > 0 {
			total += ref[i]
			last = i
		}
	}
	// The last bin runs from the last close to the end, so no close happens at or after last:
	// the buckets from last on, last included, always have a bin to join.
	var acc uint64
	next, nk := uint64(1), uint64(k)
	target := multiple(next, total, nk)
	for i := keep; i < last; i++ {
		acc += ref[i]
		if next >= nk || acc < target {
			continue
		}
		c.ends = append(c.ends, i+1)
		// Skip every multiple this bucket passed too, so a following bucket without reference
		// mass cannot close a bin of its own.
		for next++; next < nk; next++ {
			if target = multiple(next, total, nk); acc < target {
				break
			}
		}
	}
	c.ends = append(c.ends, n)
}

// multiple returns ⌈j·total/k⌉ for 0 < j < k, exactly, the least count that reaches the j-th
// multiple of total/k: j·total is formed in 128 bits, and the quotient is below total.
func multiple(j, total, k uint64) uint64 {
	hi, lo := bits.Mul64(j, total)
	q, r := bits.Div64(hi, lo, k)
	if r != 0 {
		q++
	}
	return q
}
