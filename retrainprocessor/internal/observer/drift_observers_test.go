package observer

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"
)

func explicitScores(bounds []float64, counts ...uint64) *drift.Histogram {
	h := &drift.Histogram{Bounds: bounds, Counts: counts, Start: 10, End: 20}
	for _, c := range counts {
		h.Count += c
	}
	return h
}

func TestPredictionDrift(t *testing.T) {
	pd := (&PredictionDriftConfig{Enabled: true, Statistic: "psi", ReferenceMode: "pinned", ReferenceWindow: time.Hour, MinSamples: 100, Bins: 10}).New()
	half := []float64{0.5}
	ref := explicitScores(half, 500, 500)
	tests := []struct {
		name       string
		cur, ref   *drift.Histogram
		outcome    Outcome
		flagged    bool
		wantFinite bool
	}{
		{name: "no scores", outcome: NoData},
		{name: "no reference yet", cur: explicitScores(half, 300, 300), outcome: FewSamples},
		{name: "a window short of min_samples", cur: explicitScores(half, 30, 30), ref: ref, outcome: FewSamples},
		{name: "a reference short of min_samples", cur: explicitScores(half, 300, 300), ref: explicitScores(half, 30, 30), outcome: FewSamples},
		{name: "other bounds compare with nothing", cur: explicitScores([]float64{0.4}, 300, 300), ref: ref, outcome: NoData},
		{name: "the same distribution", cur: explicitScores(half, 300, 300), ref: ref, outcome: Observed, wantFinite: true},
		// PSI of (0.5, 0.5) → (0.8, 0.2): 0.3·ln(1.6) + 0.3·ln(2.5) = 0.416
		{name: "a shift", cur: explicitScores(half, 480, 120), ref: ref, outcome: Observed, flagged: true, wantFinite: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, outcome := pd.Observe(&Stats{Score: tt.cur, Reference: tt.ref})
			require.Equal(t, tt.outcome, outcome, "outcome %s", outcome)
			if outcome != Observed {
				assert.Equal(t, Finding{}, f)
				return
			}
			assert.Equal(t, tt.flagged, f.Flagged)
			assert.Equal(t, "psi", f.Statistic)
			assert.Equal(t, 0.2, f.Threshold, "psi's default threshold")
			assert.Equal(t, "1", f.Unit)
			assert.Equal(t, tt.cur.Count, f.Samples)
			assert.Equal(t, [2]int64{10, 20}, [2]int64{f.ReferenceStart, f.ReferenceEnd})
			assert.False(t, math.IsNaN(f.Value))
		})
	}
	f, _ := pd.Observe(&Stats{Score: explicitScores(half, 480, 120), Reference: ref})
	assert.InDelta(t, 0.3*math.Log(1.6)+0.3*math.Log(2.5), f.Value, 1e-12)
}

func TestPredictionDriftComparesExponentialHistogramsAtACommonScale(t *testing.T) {
	threshold := 0.1
	pd := (&PredictionDriftConfig{Enabled: true, Statistic: "hellinger", Threshold: &threshold, ReferenceMode: "trailing", ReferenceWindow: time.Hour, MinSamples: 10, Bins: 10}).New()
	ref := &drift.Histogram{Exponential: true, Scale: 2, Offset: -8, Counts: []uint64{10, 10, 10, 10}, Count: 40}
	same := &drift.Histogram{Exponential: true, Scale: 1, Offset: -4, Counts: []uint64{20, 20}, Count: 40}
	f, outcome := pd.Observe(&Stats{Score: same, Reference: ref})
	require.Equal(t, Observed, outcome)
	assert.InDelta(t, 0, f.Value, 1e-12, "the same mass at a coarser scale")
	assert.False(t, f.Flagged)

	moved := &drift.Histogram{Exponential: true, Scale: 1, Offset: -4, Counts: []uint64{2, 38}, Count: 40}
	f, outcome = pd.Observe(&Stats{Score: moved, Reference: ref})
	require.Equal(t, Observed, outcome)
	assert.True(t, f.Flagged)
	assert.Equal(t, "hellinger", f.Statistic)
	assert.Equal(t, 0.1, f.Threshold)

	_, outcome = pd.Observe(&Stats{Score: moved, Reference: explicitScores([]float64{0.5}, 20, 20)})
	assert.Equal(t, NoData, outcome, "an exponential window does not compare with an explicit reference")
}

func TestEstimatedAccuracy(t *testing.T) {
	ea := (&EstimatedAccuracyConfig{Enabled: true, MinAccuracy: 0.8, DecisionThreshold: 0.5}).New()
	tenths := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}
	tests := []struct {
		name    string
		h       *drift.Histogram
		min     uint64
		outcome Outcome
		flagged bool
	}{
		{name: "no scores", outcome: NoData},
		{name: "below min_samples", h: explicitScores(tenths, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), min: 100, outcome: FewSamples},
		// Scores in (0, 0.1] and (0.9, 1]: f in [0.9, 1] for each, the estimate 0.95.
		{name: "confident scores", h: explicitScores(tenths, 50, 0, 0, 0, 0, 0, 0, 0, 0, 50), outcome: Observed},
		// Scores in (0.4, 0.6]: f in [0.5, 0.6], estimate 0.55.
		{name: "unsure scores", h: explicitScores(tenths, 0, 0, 0, 0, 50, 50, 0, 0, 0, 0), outcome: Observed, flagged: true},
		// (0.7, 0.8] and (0.2, 0.3]: f in [0.7, 0.8]: straddles 0.8.
		{name: "bounds that straddle min_accuracy", h: explicitScores(tenths, 0, 0, 50, 0, 0, 0, 0, 50, 0, 0), outcome: Unresolved},
		{name: "a threshold that is no bound", h: explicitScores([]float64{0.4, 0.6}, 10, 10, 10), outcome: NotABound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, outcome := ea.Observe(&Stats{Score: tt.h, MinSamples: tt.min})
			require.Equal(t, tt.outcome, outcome, "outcome %s", outcome)
			if outcome != Observed && outcome != Unresolved {
				return
			}
			assert.Equal(t, tt.flagged, f.Flagged)
			assert.Equal(t, "estimated", f.Statistic)
			assert.True(t, f.Bounded)
			assert.LessOrEqual(t, f.Lower, f.Value)
			assert.LessOrEqual(t, f.Value, f.Upper)
			assert.Equal(t, 0.8, f.Threshold)
		})
	}
	f, _ := ea.Observe(&Stats{Score: explicitScores(tenths, 0, 0, 0, 0, 50, 50, 0, 0, 0, 0)})
	assert.InDelta(t, 0.55, f.Value, 1e-12)
	assert.InDelta(t, 0.5, f.Lower, 1e-12)
	assert.InDelta(t, 0.6, f.Upper, 1e-12)
}
