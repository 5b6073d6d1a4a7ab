package drift

import (
	"math"
	"slices"
	"testing"
)

func TestAlignExponential(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur Exponential
		r, c     []uint64
	}{
		{
			name: "same scale",
			ref:  Exponential{Scale: 2, Offset: -3, Counts: []uint64{1, 2, 3}, Zero: 4},
			cur:  Exponential{Scale: 2, Offset: -1, Counts: []uint64{5}},
			// indices -3 -2 -1
			r: []uint64{4, 1, 2, 3},
			c: []uint64{0, 0, 0, 5},
		},
		{
			// ref's indices -4 -3 -2 -1 at scale 3 are -2 -2 -1 -1 at scale 2.
			name: "different scales",
			ref:  Exponential{Scale: 3, Offset: -4, Counts: []uint64{1, 1, 1, 1}, Zero: 1},
			cur:  Exponential{Scale: 2, Offset: -2, Counts: []uint64{7, 8}, Zero: 2},
			r:    []uint64{1, 2, 2},
			c:    []uint64{2, 7, 8},
		},
		{
			// At scale 1, index -3 covers (2^-1.5, 2^-1], inside scale 0's (2^-2, 2^-1] = index
			// -2 = floor(-3/2); -2 and -1 go to -1. Truncating division would give -1, -1, 0.
			name: "negative indices floor",
			ref:  Exponential{Scale: 1, Offset: -3, Counts: []uint64{1, 2, 3}},
			cur:  Exponential{Scale: 0, Offset: 0, Counts: []uint64{4}},
			r:    []uint64{0, 1, 5, 0},
			c:    []uint64{0, 0, 0, 4},
		},
		{
			// Odd positive and negative indices three steps down: 5>>3 = 0, -9>>3 = -2.
			name: "several steps",
			ref:  Exponential{Scale: 4, Offset: -9, Counts: []uint64{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6}},
			cur:  Exponential{Scale: 1, Offset: -1, Counts: []uint64{2}},
			// indices -2 -1 0 at scale 1
			r: []uint64{0, 1, 0, 6},
			c: []uint64{0, 0, 2, 0},
		},
		{
			name: "disjoint ranges",
			ref:  Exponential{Scale: 0, Offset: -5, Counts: []uint64{1}},
			cur:  Exponential{Scale: 0, Offset: 2, Counts: []uint64{3}},
			// indices -5 .. 2
			r: []uint64{0, 1, 0, 0, 0, 0, 0, 0, 0},
			c: []uint64{0, 0, 0, 0, 0, 0, 0, 0, 3},
		},
		{
			name: "edge zeros are trimmed, inner zeros kept",
			ref:  Exponential{Scale: 0, Offset: -4, Counts: []uint64{0, 0, 1, 0, 2, 0}},
			cur:  Exponential{Scale: 0, Offset: -2, Counts: []uint64{0, 3, 0}},
			// indices -2 -1 0
			r: []uint64{0, 1, 0, 2},
			c: []uint64{0, 0, 3, 0},
		},
		{
			name: "zero counts only",
			ref:  Exponential{Scale: 3, Zero: 5},
			cur:  Exponential{Scale: -2, Counts: []uint64{0, 0}, Zero: 7},
			r:    []uint64{5},
			c:    []uint64{7},
		},
		{
			// A side without buckets has no say in the scale: cur stays at scale 3.
			name: "one side only has a zero count",
			ref:  Exponential{Scale: -5, Zero: 5},
			cur:  Exponential{Scale: 3, Offset: -2, Counts: []uint64{1, 2}},
			r:    []uint64{5, 0, 0},
			c:    []uint64{0, 1, 2},
		},
	}
	var c Comparer
	for _, tt := range tests {
		r, cu := c.AlignExponential(tt.ref, tt.cur)
		if !slices.Equal(r, tt.r) || !slices.Equal(cu, tt.c) {
			t.Errorf("%s: aligned to\n  %v\n  %v\nwant\n  %v\n  %v", tt.name, r, cu, tt.r, tt.c)
		}
	}
}

func TestAlignExponentialBoundsItsOutput(t *testing.T) {
	// Indices -600 and 0 span 601 buckets at scale 0; one more step gives -300 .. 0.
	var c Comparer
	r, cu := c.AlignExponential(
		Exponential{Scale: 0, Offset: -600, Counts: []uint64{1}},
		Exponential{Scale: 0, Offset: 0, Counts: []uint64{2}})
	if len(r) != 302 || len(cu) != 302 || r[1] != 1 || cu[301] != 2 {
		t.Fatalf("len %d %d, r[1] = %d, c[301] = %d; want 302 302 1 2", len(r), len(cu), r[1], cu[301])
	}
	// Indices far apart at a fine scale: halved until they fit.
	r, cu = c.AlignExponential(
		Exponential{Scale: 20, Offset: -1 << 30, Counts: []uint64{1}},
		Exponential{Scale: 20, Offset: 1 << 30, Counts: []uint64{2}})
	if len(r) > MaxAlignedBuckets+1 || len(r) != len(cu) || r[1] != 1 || cu[len(cu)-1] != 2 {
		t.Fatalf("len %d %d, r[1] = %d, c[last] = %d", len(r), len(cu), r[1], cu[len(cu)-1])
	}
}

func TestAlignExponentialReusesItsBuffers(t *testing.T) {
	var c Comparer
	wide := Exponential{Scale: 0, Offset: -10, Counts: []uint64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}
	c.AlignExponential(wide, wide)
	// A narrower pair after a wider one: the stale counts must be cleared.
	r, cu := c.AlignExponential(Exponential{Scale: 0, Offset: -2, Counts: []uint64{3}},
		Exponential{Scale: 0, Offset: -1, Counts: []uint64{4}})
	if !slices.Equal(r, []uint64{0, 3, 0}) || !slices.Equal(cu, []uint64{0, 0, 4}) {
		t.Errorf("aligned to %v %v", r, cu)
	}
}

func TestAlignedCompare(t *testing.T) {
	// An exponential pair goes through Compare with keep = 1: the zero counts stay a bin.
	ref := Exponential{Scale: 1, Offset: -4, Counts: []uint64{10, 10, 10, 10}, Zero: 40}
	cur := Exponential{Scale: 0, Offset: -2, Counts: []uint64{20, 20}, Zero: 40}
	var c Comparer
	r, cu := c.AlignExponential(ref, cur)
	for _, stat := range statistics {
		if v, ok := c.Compare(stat, r, cu, 10, 1); !ok || v != 0 {
			t.Errorf("%v = %v, %v; want exactly 0 (the same distribution at two scales)", stat, v, ok)
		}
	}
	cur.Zero = 0
	// p = .5 .25 .25, q = 1e-4 .5 .5: PSI = (1e-4−.5)·ln(1e-4/.5) + 2·.25·ln 2
	want := (1e-4-0.5)*math.Log(1e-4/0.5) + 0.5*math.Ln2
	r, cu = c.AlignExponential(ref, cur)
	if v, _ := c.Compare(PSI, r, cu, 10, 1); math.Abs(v-want) > 1e-12 {
		t.Errorf("PSI = %v, want %v", v, want)
	}
}

func TestBoundary(t *testing.T) {
	tests := []struct {
		index int64
		scale int32
		want  float64
	}{
		{-1, 0, 0.5},
		{-8, 3, 0.5},
		{-3, 1, math.Pow(2, -1.5)},
		{-1, -1, 0.25},
		{-5, 3, math.Pow(2, -5.0/8)},
		{3, 2, math.Pow(2, 0.75)},
	}
	for _, tt := range tests {
		if got := boundary(tt.index, tt.scale); math.Abs(got-tt.want) > 1e-15*tt.want {
			t.Errorf("boundary(%d, %d) = %v, want %v", tt.index, tt.scale, got, tt.want)
		}
	}
}
