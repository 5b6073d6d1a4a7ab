//go:build e2e

package e2e

import (
	"maps"
	"net"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// TestJobsWaitForTheTrainerAndRetryWithTheSameID: while the trainer answers 503 the collector
// retries each job under its own webhook-id; once the trainer is back every job is delivered, once.
func TestJobsWaitForTheTrainerAndRetryWithTheSameID(t *testing.T) {
	secret := newSecret(t)
	tr := newTrainer(t, secret)
	tr.setDown(true)
	cfg := newConfig(t, tr.hookURL(), secret)
	startCollector(t, cfg)
	startApps(t, cfg, servingapp.GRPC, true)

	// Down: each job is refused and retried.
	refused := func() map[string]int {
		out := map[string]int{}
		for _, a := range tr.all() {
			if a.status == 503 {
				out[a.job.ModelID]++
			}
		}
		return out
	}
	waitFor(t, 30*time.Second, "two refused attempts of each job", func() bool {
		r := refused()
		return r[slowModel] >= 2 && r[driftingModel] >= 2
	}, tr.summary)

	// Up: every job arrives.
	tr.setDown(false)
	waitFor(t, 15*time.Second, "both jobs delivered", func() bool {
		return tr.hasDelivered(slowModel, driftingModel)
	}, tr.summary)

	tr.requireWellFormed(t)
	jobs := tr.delivered(t)
	require.ElementsMatch(t, []string{slowModel, driftingModel}, slices.Collect(maps.Keys(jobs)), tr.summary())
	ids := map[string]string{} // webhook-id → model
	for _, a := range tr.all() {
		if prev, ok := ids[a.webhookID]; ok {
			require.Equal(t, prev, a.job.ModelID, "webhook-id %s names two models", a.webhookID)
		}
		ids[a.webhookID] = a.job.ModelID
	}
	// One id per job across every retry: the trainer saw as many ids as jobs.
	assert.Len(t, ids, 2, tr.summary())
	for model, j := range jobs {
		assert.Equal(t, model, ids[j.ID], "the delivered job %s carries the id of its refused attempts", j.ID)
	}
}

// TestPersistentQueueSurvivesSIGKILL: jobs wait in the file_storage queue while the trainer is
// unreachable; the collector is killed with SIGKILL and restarted on the same directory, and
// delivers them once the trainer listens. The apps stop before the kill, so the restarted
// collector has nothing to decide: whatever arrives came from the queue.
func TestPersistentQueueSurvivesSIGKILL(t *testing.T) {
	secret := newSecret(t)
	trainerAddr := freeAddr(t) // nobody listens there until the trainer starts
	cfg := newConfig(t, "http://"+trainerAddr+"/hooks/retrain", secret)
	cfg.QueueDir = filepath.Join(t.TempDir(), "queue")
	first := startCollector(t, cfg)
	apps := startApps(t, cfg, servingapp.GRPC, true)

	waitFor(t, 30*time.Second, "the processor to emit both jobs into the queue", func() bool {
		return first.metric("otelcol_processor_retrain_jobs_emitted") >= 2
	})
	waitFor(t, 10*time.Second, "a failed delivery attempt", func() bool {
		return first.metric("otelcol_exporter_retrain_jobs_retried", `cause="transport"`) > 0
	})
	for _, a := range apps {
		a.stop(t)
	}
	killedAt := time.Now()
	first.signal(syscall.SIGKILL)
	_, err := first.waitExit(10 * time.Second)
	require.NoError(t, err)
	require.Equal(t, "signal: killed", first.state.String())

	second := startCollector(t, cfg.withFreshPorts(t))
	ln, err := net.Listen("tcp", trainerAddr)
	require.NoError(t, err, "listen where the trainer was configured")
	tr := newTrainer(t, secret, ln)

	waitFor(t, 20*time.Second, "both queued jobs delivered after the restart", func() bool {
		return tr.hasDelivered(slowModel, driftingModel)
	}, tr.summary)
	tr.requireWellFormed(t)
	jobs := tr.delivered(t)
	require.ElementsMatch(t, []string{slowModel, driftingModel}, slices.Collect(maps.Keys(jobs)), tr.summary())
	for model, j := range jobs {
		assert.True(t, j.RequestedAt.Before(killedAt), "the job for %s was decided before the kill (%s)", model, j.RequestedAt)
	}
	assert.Equal(t, 0.0, second.metric("otelcol_processor_retrain_jobs_emitted"), "jobs the restarted collector decided")
}
