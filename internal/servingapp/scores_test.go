package servingapp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// implied is the accuracy calibrated scores imply at the threshold 0.5: p above it, 1 − p below.
func implied(n int, score func(*rand.Rand) float64) (acc, positives float64) {
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		p := score(r)
		acc += math.Max(p, 1-p)
		if p > 0.5 {
			positives++
		}
	}
	return acc / float64(n), positives / float64(n)
}

func TestScoreDistributionsImplyTheirAccuracy(t *testing.T) {
	acc, pos := implied(100_000, func(r *rand.Rand) float64 { return ConfidentScore(r, 0.3) })
	assert.InDelta(t, 12.0/13, acc, 0.005, "Beta(12, 1) and Beta(1, 12)")
	assert.InDelta(t, 0.3, pos, 0.01)
	_, pos = implied(100_000, func(r *rand.Rand) float64 { return ConfidentScore(r, 0.7) })
	assert.InDelta(t, 0.7, pos, 0.01)
	acc, pos = implied(100_000, UnsureScore)
	assert.InDelta(t, 0.62, acc, 0.01, "Beta(5, 5)")
	assert.InDelta(t, 0.5, pos, 0.01)
}
