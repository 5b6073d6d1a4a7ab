package servingapp // import "github.com/visutility/otelcol-retrain/internal/servingapp"

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Score distributions for Config.Score, shared by the demo and the end-to-end tests.

// ConfidentScore is a calibrated, confident classifier's score with a share pos of positives:
// Beta(12, 1) near 1 for a positive, Beta(1, 12) near 0 for a negative (by inverse transform).
// Such scores imply an accuracy of 12/13 ≈ 0.92 whatever pos is; a histogram over 0.05, 0.10, …,
// 0.95 bounds it to about [0.90, 0.95].
func ConfidentScore(r *rand.Rand, pos float64) float64 {
	if r.Float64() < pos {
		return math.Pow(r.Float64(), 1.0/12)
	}
	return 1 - math.Pow(r.Float64(), 1.0/12)
}

// UnsureScore is Beta(5, 5), the 5th smallest of 9 uniforms: scores around 0.5, as of a model
// whose inputs moved away from what it learnt, that imply an accuracy of about 0.62 (bounded to
// about [0.60, 0.65] by the same histogram).
func UnsureScore(r *rand.Rand) float64 {
	var u [9]float64
	for i := range u {
		u[i] = r.Float64()
	}
	slices.Sort(u[:])
	return u[4]
}
