//go:build !race

package drift

import "testing"

// Allocation counts are checked without -race, like the processor's (`make test` runs every
// AllocatesNothing test in a race-free pass).

func TestSteadyStateAllocatesNothing(t *testing.T) {
	ref, cur := exponentialPair(160, 3)
	var c Comparer
	r, cu := c.AlignExponential(ref, cur) // grow the buffers once
	c.Compare(PSI, r, cu, 10, 1)
	counts := make([]uint64, len(scoreBounds)+1)
	counts[4] = 7
	tests := []struct {
		name string
		f    func()
	}{
		{"AlignExponential", func() { c.AlignExponential(ref, cur) }},
		{"AlignExponential at two scales", func() {
			cur.Scale = 4
			c.AlignExponential(ref, cur)
			cur.Scale = 3
		}},
		{"Compare psi", func() { c.Compare(PSI, r, cu, 10, 1) }},
		{"Compare js", func() { c.Compare(JS, r, cu, 10, 1) }},
		{"Compare hellinger", func() { c.Compare(Hellinger, r, cu, 10, 1) }},
		{"Compare without merging", func() { c.Compare(PSI, r, cu, 1000, 1) }},
		{"ExplicitAccuracy", func() { ExplicitAccuracy(scoreBounds, counts, 0.5) }},
		{"ExponentialAccuracy", func() { ExponentialAccuracy(ref, 0.5) }},
	}
	for _, tt := range tests {
		tt.f()
		if allocs := testing.AllocsPerRun(100, tt.f); allocs != 0 {
			t.Errorf("%s: %v allocations per call", tt.name, allocs)
		}
	}
}
