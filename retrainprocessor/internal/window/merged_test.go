package window

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fromScratch is what Summarize's explicit counts must equal: every slot of the window ending at
// end added up again.
func fromScratch(w *Window, end int64) []uint64 {
	last := end / w.layout.Width
	first := last - w.layout.Span
	out := make([]uint64, len(w.bounds)+1)
	for i := range w.slots {
		s := &w.slots[i]
		if e := s.tag - 1; s.tag != 0 && e >= first && e < last && len(s.explicit) == len(out) {
			for j, c := range s.explicit {
				out[j] += c
			}
		}
	}
	return out
}

// The kept total must match a merge from scratch whatever the order of points, summaries, late
// points, recycled slots, layout changes and clock jumps.
func TestMergedExplicitMatchesAMergeFromScratch(t *testing.T) {
	for _, layout := range []struct {
		width time.Duration
		span  int64
	}{{time.Minute, 5}, {5 * time.Second, 60}, {time.Second, 1}} {
		for seed := range uint64(20) {
			rng := rand.New(rand.NewPCG(seed, 7))
			w := newTestWindow(layout.width, layout.span)
			width := int64(layout.width)
			boundsSets := [][]float64{{10, 100}, {5, 50, 500}}
			bounds := boundsSets[0]
			now := int64(1_000_000) * width
			var sum Summary
			checked := 0
			for step := range 3000 {
				switch r := rng.IntN(100); {
				case r < 55: // a point, usually on time, sometimes late or too old
					at := now - rng.Int64N(width)
					if rng.IntN(5) == 0 {
						at = now - rng.Int64N(int64(len(w.slots)+2)*width)
					}
					counts := make([]uint64, len(bounds)+1)
					for i := range counts {
						counts[i] = rng.Uint64N(4)
					}
					if rng.IntN(2) == 0 {
						w.AddExplicit(at-width, at, bounds, counts, 0)
					} else {
						w.AddExplicitFrom(at-width, at, bounds, func(dst []uint64) (uint64, bool) {
							addInto(dst, counts)
							return 0, true
						})
					}
				case r < 80: // time moves on
					now += rng.Int64N(2 * width)
				case r < 97: // a summary, usually on a tick
					end := now - now%width
					switch rng.IntN(10) {
					case 0:
						end = now // unaligned
					case 1:
						end -= rng.Int64N(3) * width // an earlier window
					}
					w.Summarize(end, &sum)
					if w.kind != KindExplicit {
						require.Empty(t, sum.explicit)
						continue
					}
					require.Equal(t, fromScratch(w, end), sum.explicit, "layout %s×%d seed %d step %d", layout.width, layout.span, seed, step)
					checked++
				case r < 99: // a jump past the whole ring
					now += int64(len(w.slots)+rng.IntN(3)) * width
				default: // the sender changes its bounds
					bounds = boundsSets[rng.IntN(len(boundsSets))]
				}
			}
			require.True(t, slices.ContainsFunc(w.slots, func(s slot) bool { return s.tag != 0 }), "the test wrote nothing")
			require.Greater(t, checked, 100, "summaries compared")
		}
	}
}
