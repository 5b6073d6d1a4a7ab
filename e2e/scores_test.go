//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// The models of TestScoreObserversFlagTheShiftingAndTheUnsureModel. Each scores a binary
// classification; its score is the positive class's probability. All three are fast and
// accurate (latency and accuracy gauge as the healthy model's) throughout.
const (
	steadyScorer   = "spam-filter"   // confident scores, 30% positives, throughout
	shiftingScorer = "lead-scorer"   // once shifted, 70% positives, as confident: prediction drift
	unsureScorer   = "loan-approver" // once shifted, scores around 0.5: estimated accuracy ~0.62
)

// The score observers' settings of the test: a reference of 3s (pinned, the default), which the
// apps' 200 scores per second fill with 400 scores in about 2s, and a 5s window that holds
// about 1000.
const (
	scoreRate           = 200 // predictions (and scores) per second and app
	referenceWindow     = 3 * time.Second
	driftMinSamples     = 400
	estimatedAccuracyAt = 0.8 // estimated_accuracy's default min_accuracy
	psiThreshold        = 0.2 // prediction_drift's default threshold for psi
)

// TestScoreObserversFlagTheShiftingAndTheUnsureModel: three apps report prediction scores with
// the Go SDK (an explicit histogram over 0.05, 0.10, …, 0.95). Once a model's drift reference is
// pinned, the shifting model's class mix turns from 30% to 70% positives, still as confident,
// and the unsure model's scores move to around 0.5. prediction_drift flags the first, whose
// estimated accuracy stays at 0.92; estimated_accuracy flags the second (whose distribution
// changes too, so prediction_drift may flag it as well); the steady model gets no job.
//
// prediction_drift sees the unsure model's change a few evaluations before the window holds
// enough unsure scores for estimated_accuracy's upper bound to fall below 0.8 (about half of
// it). `for: 3s` makes the vote hold for three seconds before a job fires, so the job, which
// names the observers that flag when it fires, names both.
func TestScoreObserversFlagTheShiftingAndTheUnsureModel(t *testing.T) {
	secret := newSecret(t)
	tr := newTrainer(t, secret)
	cfg := newConfig(t, tr.hookURL(), secret)
	cfg.For = "3s"
	cfg.Scores = &scoreSettings{ReferenceWindow: referenceWindow.String(), MinSamples: driftMinSamples}
	col := startCollector(t, cfg)

	var shifted, unsure atomic.Bool
	scores := func(seed uint64, score func(r *rand.Rand) float64) func(*servingapp.Config) {
		return func(c *servingapp.Config) {
			c.Rate, c.Seed, c.Score = scoreRate, seed, score
		}
	}
	apps := map[string]*app{
		steadyScorer: startApp(t, cfg, steadyScorer, servingapp.GRPC, false, nil,
			scores(11, func(r *rand.Rand) float64 { return servingapp.ConfidentScore(r, 0.3) })),
		shiftingScorer: startApp(t, cfg, shiftingScorer, servingapp.GRPC, false, nil,
			scores(12, func(r *rand.Rand) float64 {
				if shifted.Load() {
					return servingapp.ConfidentScore(r, 0.7)
				}
				return servingapp.ConfidentScore(r, 0.3)
			})),
		unsureScorer: startApp(t, cfg, unsureScorer, servingapp.HTTP, false, nil,
			scores(13, func(r *rand.Rand) float64 {
				if unsure.Load() {
					return servingapp.UnsureScore(r)
				}
				return servingapp.ConfidentScore(r, 0.3)
			})),
	}

	// Each model changes only once its reference is pinned, from the confident scores; the
	// shifting one a second later, so its job's window cannot overlap the reference.
	waitFor(t, 20*time.Second, "the unsure model's pinned reference", func() bool { return col.pinned(unsureScorer) },
		func() string { return col.tail(20) })
	unsure.Store(true)
	unsureAt := time.Now()
	waitFor(t, 20*time.Second, "the shifting model's pinned reference", func() bool { return col.pinned(shiftingScorer) },
		func() string { return col.tail(20) })
	time.Sleep(time.Second)
	shifted.Store(true)
	shiftedAt := time.Now()

	waitFor(t, 30*time.Second, "jobs for the shifting and the unsure model", func() bool {
		return tr.hasDelivered(shiftingScorer, unsureScorer)
	}, tr.summary)
	// Two more evaluations give the steady model, or a second job, every chance to appear.
	requireEvaluations(t, col, 2)
	assert.Equal(t, 2.0, col.metric("otelcol_processor_retrain_jobs_emitted"), "jobs the processor emitted")
	assert.Greater(t, col.metric("otelcol_processor_retrain_data_points", `signal="score"`), 0.0, "score points aggregated")
	assert.Zero(t, col.metric("otelcol_processor_retrain_data_points_skipped", `reason="bad_value"`), "points refused as bad values")
	assert.Zero(t, col.metric("otelcol_processor_retrain_abstentions", `observer="estimated_accuracy"`, `outcome="not_a_bound"`),
		"the decision threshold 0.5 is a bucket bound")
	tr.requireWellFormed(t)
	jobs := tr.delivered(t)
	require.ElementsMatch(t, []string{shiftingScorer, unsureScorer}, slices.Collect(maps.Keys(jobs)), tr.summary())

	drifted := jobs[shiftingScorer]
	checkScoreJob(t, drifted, apps[shiftingScorer])
	assert.Equal(t, []string{"prediction_drift"}, drifted.Reasons)
	ev := evidenceOf(t, drifted)
	psi := ev["prediction_drift"]
	assert.Equal(t, "psi", psi.Statistic)
	assert.Equal(t, "1", psi.Unit)
	assert.Equal(t, psiThreshold, psi.Threshold)
	assert.True(t, psi.Flagged, "psi flagged")
	assert.GreaterOrEqual(t, psi.Value, psi.Threshold, "psi")
	assert.GreaterOrEqual(t, psi.Samples, uint64(driftMinSamples), "scores in the window")
	assert.True(t, psi.ReferenceStart.Before(psi.ReferenceEnd), "reference %s → %s", psi.ReferenceStart, psi.ReferenceEnd)
	assert.GreaterOrEqual(t, psi.ReferenceEnd.Sub(psi.ReferenceStart), referenceWindow, "the reference spans reference_window")
	assert.False(t, psi.ReferenceEnd.After(drifted.WindowStart), "the reference (to %s) ends before the window (from %s)",
		psi.ReferenceEnd, drifted.WindowStart)
	confident := ev["estimated_accuracy"]
	assert.False(t, confident.Flagged, "the shifting model's scores stay confident: %+v", confident)
	assert.GreaterOrEqual(t, confident.Lower, estimatedAccuracyAt, "estimated accuracy: %+v", confident)

	lost := jobs[unsureScorer]
	checkScoreJob(t, lost, apps[unsureScorer])
	assert.Contains(t, lost.Reasons, "estimated_accuracy")
	assert.Subset(t, []string{"prediction_drift", "estimated_accuracy"}, lost.Reasons)
	est := evidenceOf(t, lost)["estimated_accuracy"]
	assert.Equal(t, "estimated", est.Statistic)
	assert.Equal(t, "1", est.Unit)
	assert.Equal(t, estimatedAccuracyAt, est.Threshold)
	assert.True(t, est.Flagged, "estimated accuracy flagged")
	assert.True(t, est.Bounded, "the estimate is bounded by the bucket edges")
	assert.Less(t, est.Upper, estimatedAccuracyAt, "upper bound")
	assert.True(t, est.Lower <= est.Value && est.Value <= est.Upper, "estimate %.3f outside [%.3f, %.3f]", est.Value, est.Lower, est.Upper)
	assert.GreaterOrEqual(t, est.Samples, uint64(200), "scores reach min_samples")
	t.Logf("%s: job %.1fs after the shift, psi %.3f, %d scores in the window, reference of %s ending %s before it; "+
		"%s: job %.1fs after the shift, %v, estimated accuracy %.3f in [%.3f, %.3f]",
		shiftingScorer, drifted.RequestedAt.Sub(shiftedAt).Seconds(), psi.Value, psi.Samples,
		psi.ReferenceEnd.Sub(psi.ReferenceStart), drifted.WindowStart.Sub(psi.ReferenceEnd),
		unsureScorer, lost.RequestedAt.Sub(unsureAt).Seconds(), lost.Reasons, est.Value, est.Lower, est.Upper)
}

// pinned reports whether the collector logged that it pinned model's drift reference.
func (c *collector) pinned(model string) bool {
	for _, line := range strings.Split(c.output(), "\n") {
		if strings.Contains(line, "Pinned the drift reference") && strings.Contains(line, fmt.Sprintf("%q: %q", "model", model)) {
			return true
		}
	}
	return false
}

// evidenceOf returns a job's evidence by observer: one from each of the four observers the test
// enables, none of which abstains by the time a job fires.
func evidenceOf(t *testing.T, j job.Job) map[string]job.Evidence {
	t.Helper()
	out := map[string]job.Evidence{}
	for _, e := range j.Evidence {
		out[e.Observer] = e
	}
	require.ElementsMatch(t, []string{"latency_sla", "accuracy_drift", "prediction_drift", "estimated_accuracy"},
		slices.Collect(maps.Keys(out)), "evidence: %+v", j.Evidence)
	return out
}

// checkScoreJob checks what every job of the score test shares: model, window, resource, and
// healthy latency and accuracy.
func checkScoreJob(t *testing.T, j job.Job, a *app) {
	t.Helper()
	cfg := a.Config()
	assert.Equal(t, cfg.Model, j.ModelID)
	assert.Equal(t, cfg.Version, j.ModelVersion)
	assert.Equal(t, "any", j.Strategy)
	assert.Equal(t, job.NewID(j.ModelID, j.ModelVersion, j.RequestedAt), j.ID)
	assert.Equal(t, j.RequestedAt, j.WindowEnd)
	assert.Equal(t, 5*time.Second, j.WindowEnd.Sub(j.WindowStart), "window")
	assert.Equal(t, map[string]any{
		"service.name":     cfg.ServiceName,
		"ml.model.id":      cfg.Model,
		"ml.model.version": cfg.Version,
	}, j.Resource)
	ev := evidenceOf(t, j)
	assert.False(t, ev["latency_sla"].Flagged, "latency: %+v", ev["latency_sla"])
	assert.False(t, ev["accuracy_drift"].Flagged, "accuracy: %+v", ev["accuracy_drift"])
	assert.InDelta(t, goodAccuracy, ev["accuracy_drift"].Value, 1e-9)
}
