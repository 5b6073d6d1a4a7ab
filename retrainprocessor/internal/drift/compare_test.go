package drift

import (
	"math"
	"slices"
	"testing"
)

var statistics = []Statistic{PSI, JS, Hellinger}

// want holds one expected value per statistic, in the order of statistics.
type want [3]float64

// jsTerm is one bin's p·log₂(p/m) + q·log₂(q/m), m = (p+q)/2.
func jsTerm(p, q float64) float64 {
	m := (p + q) / 2
	return p*math.Log2(p/m) + q*math.Log2(q/m)
}

// hTerm is one bin's (√p − √q)².
func hTerm(p, q float64) float64 {
	d := math.Sqrt(p) - math.Sqrt(q)
	return d * d
}

func TestCompareArithmetic(t *testing.T) {
	tests := []struct {
		name       string
		ref, cur   []uint64
		bins, keep int
		want       want
	}{
		{
			// No merging (3 buckets, 3 bins): p = .5 .3 .2, q = .3 .3 .4.
			// PSI = (.3−.5)·ln(.3/.5) + 0 + (.4−.2)·ln(.4/.2) = .2·ln(5/3) + .2·ln 2 = .2·ln(10/3)
			//     = 0.240794560865
			// JS: m = .4 .3 .3; JS = √(½(.5·log₂(.5/.4) + .3·log₂(.3/.4) + .2·log₂(.2/.3) + .4·log₂(.4/.3)))
			//     = √(½(.160964 − .124511 − .116993 + .166015)) = √.042738 = 0.206730860332
			// Hellinger = √(½((√.5−√.3)² + 0 + (√.2−√.4)²)) = √(½(.025403 + .034315)) = 0.172797433154
			name: "three buckets, no merging",
			ref:  []uint64{50, 30, 20}, cur: []uint64{30, 30, 40}, bins: 3,
			want: want{
				0.2 * math.Log(10.0/3),
				math.Sqrt((jsTerm(.5, .3) + jsTerm(.3, .3) + jsTerm(.2, .4)) / 2),
				math.Sqrt((hTerm(.5, .3) + hTerm(.2, .4)) / 2),
			},
		},
		{
			// The third reference proportion is 0 and becomes Floor: p = .6 .4 1e-4, q = .5 .3 .2
			// (not renormalised). PSI = (.5−.6)·ln(.5/.6) + (.3−.4)·ln(.3/.4) + (.2−1e-4)·ln(.2/1e-4)
			//   = .1·ln 1.2 + .1·ln(4/3) + .1999·ln 2000 = .018232 + .028768 + 1.519420 = 1.566420764587
			// JS = √(½(jsTerm(.6,.5) + jsTerm(.4,.3) + jsTerm(1e-4,.2))) = 0.328455619649
			// Hellinger = √(½((√.6−√.5)² + (√.4−√.3)² + (.01−√.2)²)) = 0.318504544749
			name: "a zero reference proportion takes the floor",
			ref:  []uint64{60, 40, 0}, cur: []uint64{50, 30, 20}, bins: 10,
			want: want{
				0.1*math.Log(1.2) + 0.1*math.Log(4.0/3) + 0.1999*math.Log(2000),
				math.Sqrt((jsTerm(.6, .5) + jsTerm(.4, .3) + jsTerm(1e-4, .2)) / 2),
				math.Sqrt((hTerm(.6, .5) + hTerm(.4, .3) + hTerm(1e-4, .2)) / 2),
			},
		},
		{
			// p = .5 .5, q = 1 1e-4 (floored). PSI = (1−.5)·ln(1/.5) + (1e-4−.5)·ln(1e-4/.5)
			//   = .5·ln 2 + .4999·ln 5000 = .346574 + 4.257745 = 4.604318
			name: "a zero current proportion takes the floor",
			ref:  []uint64{50, 50}, cur: []uint64{100, 0}, bins: 2,
			want: want{
				0.5*math.Ln2 + 0.4999*math.Log(5000),
				math.Sqrt((jsTerm(.5, 1) + jsTerm(.5, 1e-4)) / 2),
				math.Sqrt((hTerm(.5, 1) + hTerm(.5, 1e-4)) / 2),
			},
		},
		{
			// Six buckets of 10 reference counts into 3 bins: {0,1} {2,3} {4,5}, p = 1/3 each;
			// current 10+0, 10+10, 20+20 of 70: q = 1/7 2/7 4/7, and the empty current bucket 1
			// needs no floor once merged.
			// PSI = (1/7−1/3)·ln(3/7) + (2/7−1/3)·ln(6/7) + (4/7−1/3)·ln(12/7)
			//     = .161390 + .007341 + .128333 = 0.297063077383
			name: "six buckets merge into three bins",
			ref:  []uint64{10, 10, 10, 10, 10, 10}, cur: []uint64{10, 0, 10, 10, 20, 20}, bins: 3,
			want: want{
				(1.0/7-1.0/3)*math.Log(3.0/7) + (2.0/7-1.0/3)*math.Log(6.0/7) + (4.0/7-1.0/3)*math.Log(12.0/7),
				math.Sqrt((jsTerm(1.0/3, 1.0/7) + jsTerm(1.0/3, 2.0/7) + jsTerm(1.0/3, 4.0/7)) / 2),
				math.Sqrt((hTerm(1.0/3, 1.0/7) + hTerm(1.0/3, 2.0/7) + hTerm(1.0/3, 4.0/7)) / 2),
			},
		},
		{
			// The same counts unmerged: p = 1/6 each, q = 1/7 0→1e-4 1/7 1/7 2/7 2/7.
			// PSI = 3·(1/7−1/6)·ln(6/7) + (1e-4−1/6)·ln(6e-4) + 2·(2/7−1/6)·ln(12/7)
			//     = .011011 + 1.235688 + .128333 = 1.375031555387
			name: "the same buckets unmerged",
			ref:  []uint64{10, 10, 10, 10, 10, 10}, cur: []uint64{10, 0, 10, 10, 20, 20}, bins: 6,
			want: want{
				3*(1.0/7-1.0/6)*math.Log(6.0/7) + (1e-4-1.0/6)*math.Log(6e-4) + 2*(2.0/7-1.0/6)*math.Log(12.0/7),
				math.Sqrt((3*jsTerm(1.0/6, 1.0/7) + jsTerm(1.0/6, 1e-4) + 2*jsTerm(1.0/6, 2.0/7)) / 2),
				math.Sqrt((3*hTerm(1.0/6, 1.0/7) + hTerm(1.0/6, 1e-4) + 2*hTerm(1.0/6, 2.0/7)) / 2),
			},
		},
		{
			// keep = 1: bucket 0 stays alone although its reference count is 0, the other four
			// make 2 bins {1,2} {3,4}. p = 1e-4 .5 .5, q = .2 .4 .4.
			// PSI = (.2−1e-4)·ln(.2/1e-4) + 2·(.4−.5)·ln(.4/.5) = .1999·ln 2000 + .2·ln 1.25
			//     = 1.519420 + .044629 = 1.564049111925
			name: "keep holds the zero bucket apart",
			ref:  []uint64{0, 10, 10, 10, 10}, cur: []uint64{10, 10, 10, 10, 10}, bins: 3, keep: 1,
			want: want{
				0.1999*math.Log(2000) + 0.2*math.Log(1.25),
				math.Sqrt((jsTerm(1e-4, .2) + 2*jsTerm(.5, .4)) / 2),
				math.Sqrt((hTerm(1e-4, .2) + 2*hTerm(.5, .4)) / 2),
			},
		},
		{
			// The same counts with keep = 0: R = 40, multiples 13.3 and 26.7; bucket 0 has no
			// reference mass and joins bins {0,1,2} {3} {4}. p = .5 .25 .25, q = .6 .2 .2.
			// PSI = .1·ln 1.2 + 2·(−.05)·ln .8 = .1·ln 1.2 + .1·ln 1.25 = .1·ln 1.5 = 0.040546510811
			name: "without keep the zero bucket merges",
			ref:  []uint64{0, 10, 10, 10, 10}, cur: []uint64{10, 10, 10, 10, 10}, bins: 3,
			want: want{
				0.1 * math.Log(1.5),
				math.Sqrt((jsTerm(.5, .6) + 2*jsTerm(.25, .2)) / 2),
				math.Sqrt((hTerm(.5, .6) + 2*hTerm(.25, .2)) / 2),
			},
		},
		{
			// Disjoint: p = 1 1e-4, q = 1e-4 1. Hellinger = √(½·2·(1 − .01)²) = 0.99;
			// JS = √(½·2·jsTerm(1, 1e-4)) = √(1·log₂(2/1.0001) + 1e-4·log₂(2e-4/1.0001)) = 0.999313.
			// PSI = 2·(1−1e-4)·ln(1e4) = 1.9998·9.210340 = 18.418839
			name: "disjoint supports",
			ref:  []uint64{7, 0}, cur: []uint64{0, 9}, bins: 2,
			want: want{2 * 0.9999 * math.Log(1e4), math.Sqrt(jsTerm(1, 1e-4)), 0.99},
		},
		{
			name: "identical distributions",
			ref:  []uint64{3, 0, 7, 1, 5}, cur: []uint64{3, 0, 7, 1, 5}, bins: 3, keep: 1,
			want: want{0, 0, 0},
		},
		{
			name: "proportional distributions, no merging",
			ref:  []uint64{3, 0, 7, 1, 5}, cur: []uint64{6, 0, 14, 2, 10}, bins: 10,
			want: want{0, 0, 0},
		},
	}
	var c Comparer
	for _, tt := range tests {
		for i, stat := range statistics {
			got, ok := c.Compare(stat, tt.ref, tt.cur, tt.bins, tt.keep)
			if !ok {
				t.Errorf("%s: %v: not ok", tt.name, stat)
				continue
			}
			if w := tt.want[i]; math.Abs(got-w) > 1e-12*max(1, w) || (w == 0 && got != 0) {
				t.Errorf("%s: %v = %.15g, want %.15g", tt.name, stat, got, w)
			}
		}
	}
}

func TestCompareHandComputedDecimals(t *testing.T) {
	// The decimals written in TestCompareArithmetic's comments, so that a slip in the closed
	// forms there cannot agree with a slip in the code.
	var c Comparer
	tests := []struct {
		stat     Statistic
		ref, cur []uint64
		bins     int
		want     float64
	}{
		{PSI, []uint64{50, 30, 20}, []uint64{30, 30, 40}, 3, 0.240794560865},
		{JS, []uint64{50, 30, 20}, []uint64{30, 30, 40}, 3, 0.206730860332},
		{Hellinger, []uint64{50, 30, 20}, []uint64{30, 30, 40}, 3, 0.172797433154},
		{PSI, []uint64{60, 40, 0}, []uint64{50, 30, 20}, 3, 1.566420764587},
		{JS, []uint64{60, 40, 0}, []uint64{50, 30, 20}, 3, 0.328455619649},
		{Hellinger, []uint64{60, 40, 0}, []uint64{50, 30, 20}, 3, 0.318504544749},
		{PSI, []uint64{10, 10, 10, 10, 10, 10}, []uint64{10, 0, 10, 10, 20, 20}, 3, 0.297063077383},
		{PSI, []uint64{50, 50}, []uint64{100, 0}, 2, 4.604318},
		{PSI, []uint64{7, 0}, []uint64{0, 9}, 2, 18.418839},
		{PSI, []uint64{10, 10, 10, 10, 10, 10}, []uint64{10, 0, 10, 10, 20, 20}, 6, 1.375031555387},
		{JS, []uint64{7, 0}, []uint64{0, 9}, 2, 0.999313},
	}
	for _, tt := range tests {
		got, _ := c.Compare(tt.stat, tt.ref, tt.cur, tt.bins, 0)
		if math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%v(%v, %v) = %.12f, want %.12f", tt.stat, tt.ref, tt.cur, got, tt.want)
		}
	}
}

func TestCompareRejects(t *testing.T) {
	tests := []struct {
		name       string
		ref, cur   []uint64
		bins, keep int
	}{
		{"empty reference", []uint64{0, 0}, []uint64{1, 2}, 2, 0},
		{"empty current", []uint64{1, 2}, []uint64{0, 0}, 2, 0},
		{"no buckets", nil, nil, 2, 0},
		{"lengths differ", []uint64{1, 2}, []uint64{1, 2, 3}, 2, 0},
		{"no bins", []uint64{1, 2}, []uint64{2, 1}, 0, 0},
		{"negative keep", []uint64{1, 2}, []uint64{2, 1}, 2, -1},
		{"keep beyond the buckets", []uint64{1, 2}, []uint64{2, 1}, 5, 3},
	}
	var c Comparer
	for _, tt := range tests {
		for _, stat := range statistics {
			if v, ok := c.Compare(stat, tt.ref, tt.cur, tt.bins, tt.keep); ok || v != 0 {
				t.Errorf("%s: %v = %v, %v; want 0, false", tt.name, stat, v, ok)
			}
		}
	}
}

func TestCompareRanges(t *testing.T) {
	// JS and Hellinger stay in [0, 1] even when floors add mass; PSI is never negative.
	cases := [][2][]uint64{
		{{100, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0, 0, 100}},
		{{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {0, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{{5, 5, 5, 5}, {5, 5, 5, 6}},
	}
	var c Comparer
	for _, tc := range cases {
		for _, stat := range statistics {
			v, ok := c.Compare(stat, tc[0], tc[1], 10, 0)
			if !ok || v < 0 || (stat != PSI && v > 1) {
				t.Errorf("%v(%v, %v) = %v, %v", stat, tc[0], tc[1], v, ok)
			}
		}
	}
}

func TestBinEdges(t *testing.T) {
	tests := []struct {
		name       string
		ref        []uint64
		bins, keep int
		ends       []int // exclusive end of each bin
	}{
		// R = 60, k = 3: closes where the sum reaches 20 and 40.
		{"equal buckets", []uint64{10, 10, 10, 10, 10, 10}, 3, 0, []int{2, 4, 6}},
		// R = 100, k = 4, multiples 25 50 75: sums 5 35|40 45 50| 100; the last bin runs to the
		// end, so only 3 bins: a bucket is never split.
		{"uneven buckets", []uint64{5, 30, 5, 5, 5, 50}, 4, 0, []int{2, 5, 6}},
		// R = 30, k = 3, multiples 10 20: buckets without reference mass join the bin after
		// them (0, 1 and 3, and 5, 6), or the last bin when none follows (8).
		{"buckets without reference mass", []uint64{0, 0, 10, 0, 10, 0, 0, 10, 0}, 3, 0, []int{3, 5, 9}},
		// R = 100, k = 4: bucket 2 passes 25, 50 and 75 at once, and the empty bucket 3 after it
		// must not become a bin of its own.
		{"one bucket passes several multiples", []uint64{10, 0, 80, 0, 10}, 4, 0, []int{3, 5}},
		{"as many bins as buckets", []uint64{1, 0, 98, 1}, 4, 0, []int{1, 2, 3, 4}},
		{"more bins than buckets", []uint64{1, 0, 98, 1}, 10, 0, []int{1, 2, 3, 4}},
		{"keep stays apart", []uint64{5, 10, 10, 10, 10}, 3, 1, []int{1, 3, 5}},
		{"keep takes every bin", []uint64{5, 1, 1}, 1, 1, []int{1, 3}},
		{"keep and nothing else", []uint64{5, 3}, 4, 2, []int{1, 2}},
		{"no remaining reference mass", []uint64{10, 0, 0, 0}, 3, 1, []int{1, 4}},
		// The greedy walk only closes a bin after reaching a multiple: a heavy first bucket
		// gets a bin of its own, a heavy last bucket takes in every bucket since the last close.
		{"heavy first bucket", []uint64{960, 10, 10, 10, 10}, 4, 0, []int{1, 5}},
		{"heavy last bucket", []uint64{10, 10, 10, 10, 960}, 4, 0, []int{5}},
	}
	var c Comparer
	for _, tt := range tests {
		c.bin(tt.ref, tt.bins, tt.keep)
		if !slices.Equal(c.ends, tt.ends) {
			t.Errorf("%s: bins end at %v, want %v", tt.name, c.ends, tt.ends)
		}
	}
}

func TestBinsHaveAboutEqualReferenceMass(t *testing.T) {
	// 1000 buckets of 1..7 into 10 bins: each bin within one bucket (<= 7) of R/10.
	ref := make([]uint64, 1000)
	var total uint64
	for i := range ref {
		ref[i] = uint64(1 + i%7)
		total += ref[i]
	}
	var c Comparer
	c.bin(ref, 10, 0)
	if len(c.ends) != 10 {
		t.Fatalf("%d bins, want 10: %v", len(c.ends), c.ends)
	}
	start := 0
	for _, end := range c.ends {
		var mass uint64
		for _, v := range ref[start:end] {
			mass += v
		}
		if d := math.Abs(float64(mass) - float64(total)/10); d > 7 {
			t.Errorf("bin [%d, %d) holds %d, %v from %v", start, end, mass, d, float64(total)/10)
		}
		start = end
	}
}

func TestMultipleIsExactForHugeCounts(t *testing.T) {
	// j·total overflows 64 bits here.
	const total = 1<<62 + 1
	tests := []struct{ j, k, want uint64 }{
		{2, 4, 1<<61 + 1}, // (2^63 + 2)/4 = 2^61 + 0.5, rounded up
		{1, 2, 1<<61 + 1},
		{3, 3, total},
		{1, 3, (total + 2) / 3},
		{5, 10, 1<<61 + 1},
	}
	for _, tt := range tests {
		if got := multiple(tt.j, total, tt.k); got != tt.want {
			t.Errorf("multiple(%d, 2^62+1, %d) = %d, want %d", tt.j, tt.k, got, tt.want)
		}
	}
}
