package quantile

import (
	"math"
	"math/rand/v2"
	"testing"
)

func BenchmarkExplicitQuantile16(b *testing.B) {
	bounds := make([]float64, 15)
	counts := make([]uint64, 16)
	for i := range bounds {
		bounds[i] = math.Exp2(float64(i)) / 1000
		counts[i] = uint64(100 + 10*i)
	}
	counts[15] = 5
	b.ReportAllocs()
	for b.Loop() {
		Explicit(0.99, bounds, counts)
	}
}

func BenchmarkExponentialQuantile160(b *testing.B) {
	counts := make([]uint64, 160)
	for i := range counts {
		counts[i] = uint64(1 + i%7)
	}
	e := Exponential{}
	e.Add(4, -40, counts, 3)
	if len(e.Counts) != 160 {
		b.Fatalf("want 160 buckets, hold %d", len(e.Counts))
	}
	b.ReportAllocs()
	for b.Loop() {
		e.Quantile(0.99)
	}
}

func BenchmarkSketchAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	values := make([]float64, 4096)
	for i := range values {
		values[i] = math.Exp(3 + 1.5*rng.NormFloat64())
	}
	var s Sketch
	// Measure the steady state, after the buckets for this range exist.
	for _, v := range values {
		s.Add(v)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s.Add(values[i%len(values)])
		i++
	}
}
