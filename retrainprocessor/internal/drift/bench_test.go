package drift

import (
	"fmt"
	"testing"
)

// exponentialPair returns a reference and a current exponential histogram of n buckets each at
// scale, ending at index -1 (scores up to 1), the current one shifted down by a bucket.
func exponentialPair(n int, scale int32) (ref, cur Exponential) {
	ref = Exponential{Scale: scale, Offset: int32(-n), Counts: make([]uint64, n), Zero: 40}
	cur = Exponential{Scale: scale, Offset: int32(-n - 1), Counts: make([]uint64, n), Zero: 55}
	for i := range n {
		ref.Counts[i] = uint64(100 + 37*(i%11))
		cur.Counts[i] = uint64(90 + 41*(i%13))
	}
	return ref, cur
}

func BenchmarkCompare(b *testing.B) {
	for _, n := range []int{20, 160} {
		ref, cur := exponentialPair(n, 3)
		var c Comparer
		r, cu := c.AlignExponential(ref, cur)
		for _, stat := range statistics {
			b.Run(fmt.Sprintf("%v/%d", stat, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					c.Compare(stat, r, cu, 10, 1)
				}
			})
		}
	}
}

func BenchmarkAlignExponential(b *testing.B) {
	for _, n := range []int{20, 160} {
		ref, cur := exponentialPair(n, 3)
		cur.Scale = 4 // one downscaling step
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var c Comparer
			c.AlignExponential(ref, cur) // grow the buffers
			b.ReportAllocs()
			for b.Loop() {
				c.AlignExponential(ref, cur)
			}
		})
	}
}

func BenchmarkExplicitAccuracy(b *testing.B) {
	counts := make([]uint64, len(scoreBounds)+1)
	for i := range counts {
		counts[i] = uint64(50 + 13*i)
	}
	b.ReportAllocs()
	for b.Loop() {
		ExplicitAccuracy(scoreBounds, counts, 0.5)
	}
}

func BenchmarkExponentialAccuracy(b *testing.B) {
	h, _ := exponentialPair(160, 5)
	b.ReportAllocs()
	for b.Loop() {
		ExponentialAccuracy(h, 0.5)
	}
}
