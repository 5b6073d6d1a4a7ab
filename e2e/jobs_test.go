//go:build e2e

package e2e

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// TestSDKAppsGetExactlyTheExpectedJobs: three apps report with the OpenTelemetry Go SDK, over
// OTLP/gRPC or OTLP/HTTP; the slow and the drifting model each get one job with the right reason
// and evidence, the healthy one none.
func TestSDKAppsGetExactlyTheExpectedJobs(t *testing.T) {
	for _, protocol := range []servingapp.Protocol{servingapp.GRPC, servingapp.HTTP} {
		t.Run(string(protocol), func(t *testing.T) {
			t.Parallel()
			secret := newSecret(t)
			tr := newTrainer(t, secret)
			cfg := newConfig(t, tr.hookURL(), secret)
			col := startCollector(t, cfg)
			apps := startApps(t, cfg, protocol, true)

			waitFor(t, 30*time.Second, "jobs for the slow and the drifting model", func() bool {
				return tr.hasDelivered(slowModel, driftingModel)
			}, tr.summary)
			// Two more evaluations give the healthy model, or a second job, every chance to appear.
			requireEvaluations(t, col, 2)
			// The components' own series carry their IDs, as exporterhelper's do.
			assert.Equal(t, 2.0, col.metric("otelcol_processor_retrain_jobs_emitted", `processor="retrain"`), "jobs the processor emitted")
			assert.Equal(t, 2.0, col.metric("otelcol_exporter_retrain_jobs_delivered", `exporter="retrain"`), "jobs the exporter delivered")
			tr.requireWellFormed(t)
			jobs := tr.delivered(t)
			require.ElementsMatch(t, []string{slowModel, driftingModel}, slices.Collect(maps.Keys(jobs)), tr.summary())

			checkJob(t, jobs[slowModel], apps[slowModel], "latency_sla")
			checkJob(t, jobs[driftingModel], apps[driftingModel], "accuracy_drift")
			checkEvidenceValues(t, jobs[slowModel], apps[slowModel])
			checkEvidenceValues(t, jobs[driftingModel], apps[driftingModel])
		})
	}
}

// requireEvaluations waits until the collector ran n more evaluations.
func requireEvaluations(t *testing.T, col *collector, n float64) {
	t.Helper()
	from := col.metric("otelcol_processor_retrain_evaluations")
	waitFor(t, time.Duration(n+5)*time.Second, "more evaluations", func() bool {
		return col.metric("otelcol_processor_retrain_evaluations") >= from+n
	})
}

// checkJob checks a job against what its app did: model, reasons, window, resource, and evidence
// that names the right observers, units, thresholds and verdicts.
func checkJob(t *testing.T, j job.Job, a *app, reason string) {
	t.Helper()
	cfg := a.Config()
	assert.Equal(t, cfg.Model, j.ModelID)
	assert.Equal(t, cfg.Version, j.ModelVersion)
	assert.Equal(t, []string{reason}, j.Reasons)
	assert.Equal(t, "any", j.Strategy)
	assert.Equal(t, job.NewID(j.ModelID, j.ModelVersion, j.RequestedAt), j.ID, "the job id derives from model, version and time")
	assert.Equal(t, j.RequestedAt, j.WindowEnd)
	assert.Equal(t, 5*time.Second, j.WindowEnd.Sub(j.WindowStart), "window")
	assert.Equal(t, map[string]any{
		"service.name":     cfg.ServiceName,
		"ml.model.id":      cfg.Model,
		"ml.model.version": cfg.Version,
	}, j.Resource)

	evidence := map[string]job.Evidence{}
	for _, e := range j.Evidence {
		evidence[e.Observer] = e
	}
	require.ElementsMatch(t, []string{"latency_sla", "accuracy_drift"}, slices.Collect(maps.Keys(evidence)), "evidence: %+v", j.Evidence)

	latency := evidence["latency_sla"]
	assert.Equal(t, "p99", latency.Statistic)
	assert.Equal(t, "ms", latency.Unit)
	assert.Equal(t, 100.0, latency.Threshold)
	assert.Equal(t, reason == "latency_sla", latency.Flagged, "latency flagged")
	assert.GreaterOrEqual(t, latency.Samples, uint64(200), "latency samples reach min_samples")
	assert.LessOrEqual(t, latency.Samples, a.Predictions(), "latency samples")

	accuracy := evidence["accuracy_drift"]
	assert.Equal(t, "mean", accuracy.Statistic)
	assert.Equal(t, "1", accuracy.Unit)
	assert.Equal(t, 0.8, accuracy.Threshold)
	assert.Equal(t, reason == "accuracy_drift", accuracy.Flagged, "accuracy flagged")
	assert.GreaterOrEqual(t, accuracy.Samples, uint64(1))
}

// checkEvidenceValues checks the measured values of a job whose app behaved the same from its
// start: the p99 lies within the SDK bucket that holds the true p99 (the documented error of
// explicit-bucket interpolation), and the mean accuracy is the accuracy reported.
func checkEvidenceValues(t *testing.T, j job.Job, a *app) {
	t.Helper()
	for _, e := range j.Evidence {
		switch e.Observer {
		case "latency_sla":
			trueP99 := a.trueP99()
			lo, hi := bucketOf(trueP99)
			assert.True(t, lo <= e.Value && e.Value <= hi,
				"%s: p99 %.2f ms is outside the bucket (%g, %g] of the true p99 %.2f ms", j.ModelID, e.Value, lo, hi, trueP99)
		case "accuracy_drift":
			assert.InDelta(t, a.Config().Accuracy(), e.Value, 1e-9, "%s: mean accuracy", j.ModelID)
		}
	}
}
