//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// The processor's decision state and outbox on file_storage, across SIGTERM, SIGKILL and restarts
// on the same config and directory. The apps keep sending degraded data across each restart.

// durableConfig keeps the processor's state in a fresh file_storage directory and evaluates every
// second over 10s windows with a 10m cooldown, so any second job within a test is a lost cooldown.
func durableConfig(t *testing.T, trainerURL, secret string) config {
	cfg := newConfig(t, trainerURL, secret)
	cfg.StateDir = filepath.Join(t.TempDir(), "storage")
	cfg.Window = "10s"
	cfg.Cooldown = "10m"
	return cfg
}

// startDurableApp starts an app serving model, degraded from the start: slow (its p99 flags
// latency_sla) or drifted (its accuracy flags accuracy_drift). Its SDK exporter does not retry: a
// failed export is dropped and the next one, half a second later, carries the cumulative totals.
// The default exporter backs off for 2.5-7.5s after a failure, so an app would come back to a
// restarted collector that much later.
func startDurableApp(t *testing.T, cfg config, model string, slow bool) *servingapp.App {
	t.Helper()
	sc := servingapp.Config{
		ServiceName:    model + "-api",
		Model:          model,
		Version:        "3",
		Protocol:       servingapp.GRPC,
		Endpoint:       cfg.GRPC,
		ExportInterval: exportInterval,
		Rate:           predictionRate,
		Seed:           uint64(len(model)),
		Latency:        fastLatency,
		Accuracy:       func() float64 { return driftedAccuracy },
		WrapExporter: func(given sdkmetric.Exporter) sdkmetric.Exporter {
			_ = given.Shutdown(context.Background()) // never used: replaced here
			exp, err := otlpmetricgrpc.New(context.Background(), otlpmetricgrpc.WithEndpoint(cfg.GRPC),
				otlpmetricgrpc.WithInsecure(), otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false}))
			require.NoError(t, err)
			return exp
		},
	}
	if slow {
		sc.Latency, sc.Accuracy = slowLatency, func() float64 { return goodAccuracy }
	}
	a, err := servingapp.Start(context.Background(), sc)
	require.NoError(t, err)
	t.Cleanup(func() {
		// The collector may be gone by now: do not wait long for the last export.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_ = a.Stop(ctx)
	})
	return a
}

// TestDurableCooldownSurvivesRestart: a degraded model gets its job; the collector is stopped
// (SIGTERM) or killed (SIGKILL) and started again on the same storage inside the cooldown, while
// the app keeps sending degraded data. The restarted collector evaluates the model with its vote
// holding and suppresses the job: the trainer sees one job only.
func TestDurableCooldownSurvivesRestart(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			secret := newSecret(t)
			tr := newTrainer(t, secret)
			cfg := durableConfig(t, tr.hookURL(), secret)
			first := startCollector(t, cfg)
			startDurableApp(t, cfg, slowModel, true)

			waitFor(t, 30*time.Second, "the job delivered", func() bool { return tr.hasDelivered(slowModel) }, tr.summary)
			jobID := tr.delivered(t)[slowModel].ID
			// The evaluation after the one that handed the job on has written its removal from the outbox.
			requireEvaluations(t, first, 2)
			first.stop(sig)

			second := first.restart()
			waitFor(t, 30*time.Second, "three evaluations of the model suppressed by the restored cooldown", func() bool {
				return second.metric("otelcol_processor_retrain_jobs_suppressed") >= 3 || len(tr.all()) > 1
			}, tr.summary)
			require.Len(t, tr.all(), 1, "the restarted collector sent a job inside the cooldown\n%s", tr.summary())
			tr.requireWellFormed(t)
			assert.Equal(t, jobID, tr.all()[0].webhookID)
			assert.Equal(t, 0.0, second.metric("otelcol_processor_retrain_jobs_emitted"), "jobs the restarted collector emitted")
			assert.Equal(t, 0.0, second.metric("otelcol_processor_retrain_state_errors"), "decision state errors")
			assert.True(t, strings.Contains(second.output(), "Restored the decision state"), "the restarted collector logs what it restored")
		})
	}
}

// TestDurableOutboxJobSurvivesRestart: the exporter has no sending queue, so the hand-off of a
// fired job lasts until the trainer takes it; the trainer refuses it (503) or nobody listens. The
// collector is killed (or stopped) with the job in the outbox and started again with the trainer
// up: the job arrives once, under the id it fired with, and the restored cooldown keeps a second
// one away.
func TestDurableOutboxJobSurvivesRestart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		sig       syscall.Signal
		listening bool // the trainer listens and answers 503; otherwise nothing listens
	}{
		{"SIGKILL, trainer answering 503", syscall.SIGKILL, true},
		{"SIGKILL, nothing listening", syscall.SIGKILL, false},
		{"SIGTERM, trainer answering 503", syscall.SIGTERM, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secret := newSecret(t)
			trainerAddr := freeAddr(t)
			cfg := durableConfig(t, "http://"+trainerAddr+"/hooks/retrain", secret)
			cfg.SendingQueue = "{enabled: false}"
			var tr *trainer
			if tc.listening {
				tr = newTrainer(t, secret, listen(t, trainerAddr))
				tr.setDown(true)
			}
			first := startCollector(t, cfg)
			startDurableApp(t, cfg, slowModel, true)

			var fired map[string]string
			waitFor(t, 30*time.Second, "the job to fire", func() bool {
				fired = firedJobs(first.output())
				return len(fired) > 0
			})
			require.Len(t, fired, 1, "jobs fired")
			jobID := slices.Collect(maps.Keys(fired))[0]
			if tc.listening {
				waitFor(t, 10*time.Second, "a refused attempt of the job", func() bool {
					return slices.ContainsFunc(tr.all(), func(a attempt) bool { return a.webhookID == jobID && a.status == 503 })
				}, tr.summary)
			} else {
				waitFor(t, 10*time.Second, "a failed attempt of the job", func() bool {
					return first.metric("otelcol_exporter_retrain_jobs_retried", `cause="transport"`) > 0
				})
			}
			require.Equal(t, 1.0, first.metric("otelcol_processor_retrain_outbox_jobs"), "jobs in the outbox before the stop")
			require.Equal(t, 0.0, first.metric("otelcol_processor_retrain_jobs_emitted"), "jobs the pipeline accepted before the stop")
			first.stop(tc.sig)
			if tc.sig == syscall.SIGTERM {
				assert.Equal(t, []string{jobID}, outboxAtStop(first.output()), "jobs the processor said stay in the outbox")
			}

			if tc.listening {
				tr.setDown(false)
			} else {
				tr = newTrainer(t, secret, listen(t, trainerAddr))
			}
			second := first.restart()
			waitFor(t, 20*time.Second, "the job delivered after the restart", func() bool { return tr.hasDelivered(slowModel) }, tr.summary)
			// The app still sends degraded data: the cooldown stored with the job holds after it.
			waitFor(t, 20*time.Second, "three evaluations suppressed by the restored cooldown", func() bool {
				return second.metric("otelcol_processor_retrain_jobs_suppressed") >= 3
			}, tr.summary)

			tr.requireWellFormed(t)
			var accepted []string
			for _, a := range tr.all() {
				assert.Equal(t, jobID, a.webhookID, "every attempt carries the id the job fired with\n%s", tr.summary())
				if a.status/100 == 2 {
					accepted = append(accepted, a.webhookID)
				}
			}
			assert.Equal(t, []string{jobID}, accepted, "deliveries\n%s", tr.summary())
			assert.True(t, strings.Contains(second.output(), "Handing on RetrainJobs left in the outbox by the last run"),
				"the restarted collector logs that it hands on the outbox")
			assert.Equal(t, 1.0, second.metric("otelcol_processor_retrain_jobs_emitted"), "jobs the restarted collector emitted: the replayed one")
			assert.Equal(t, 0.0, second.metric("otelcol_processor_retrain_outbox_jobs"), "jobs left in the outbox")
		})
	}
}

// listen binds addr, where a trainer was configured.
func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "listen where the trainer was configured")
	return ln
}

// TestDurableForStreakSurvivesRestart: with `for: 20s` the vote holds for a few evaluations, the
// collector is stopped and started again mid-streak, and the job fires 20s after the streak began
// in the first run. A streak the restart forgot would start again in the second run and fire no
// sooner than 20s after the stop.
func TestDurableForStreakSurvivesRestart(t *testing.T) {
	t.Parallel()
	const streak = 20 * time.Second
	secret := newSecret(t)
	tr := newTrainer(t, secret)
	cfg := durableConfig(t, tr.hookURL(), secret)
	cfg.For = streak.String()
	// An abstaining evaluation keeps a streak for one window: a long one covers the restart and
	// the refill of the window on a slow machine.
	cfg.Window = "20s"
	began := time.Now()
	first := startCollector(t, cfg)
	a := startDurableApp(t, cfg, slowModel, true)

	// 400 predictions are four seconds of them: the window holds min_samples (200) of their
	// increase, so the vote holds from the next evaluation on, and stays pending for the streak.
	// Five evaluations more put the streak's start seconds before the stop.
	waitFor(t, 20*time.Second, "400 predictions", func() bool { return a.Predictions() >= 400 })
	requireEvaluations(t, first, 5)
	require.Empty(t, tr.all(), "a job before the streak could have lasted %s", streak)
	stopped := time.Now()
	first.stop(syscall.SIGTERM)
	require.Less(t, time.Since(began), streak, "the restart must come inside the streak")

	second := first.restart()
	waitFor(t, 30*time.Second, "the job after the restart", func() bool { return tr.hasDelivered(slowModel) }, tr.summary)
	tr.requireWellFormed(t)
	j := tr.delivered(t)[slowModel]
	t.Logf("collector started %s, stopped %s, job requested at %s",
		began.Format(time.StampMilli), stopped.Format(time.StampMilli), j.RequestedAt.Local().Format(time.StampMilli))
	assert.True(t, j.RequestedAt.Before(stopped.Add(streak)),
		"the job was requested at %s, %s after the stop: the streak began again in the second run",
		j.RequestedAt, j.RequestedAt.Sub(stopped))
	assert.False(t, j.RequestedAt.Before(began.Add(streak)),
		"the job was requested at %s, %s after the first start: sooner than the streak", j.RequestedAt, j.RequestedAt.Sub(began))
	assert.Equal(t, 1.0, second.metric("otelcol_processor_retrain_jobs_emitted"), "jobs the restarted collector emitted")
}

// The reported defect: the trainer answers 500, the exporter's queue holds 5, and many models
// degrade within seconds; what the queue refuses waits in the processor's outbox. The processor
// must say at SIGTERM what stays there, and a restart with the trainer up must deliver every
// fired job.
const (
	defectModels = 24
	defectGroups = 8 // the models start in groups an evaluation apart, so they fire at several
)

// TestDurableOutboxAndQueueLoseNoJobAcrossSIGTERM: 24 models fire over several evaluations while
// the trainer answers 500 and the persistent sending queue holds 5 (requests, or items); the first
// jobs fill the queue, the rest are refused into the outbox. After SIGTERM and a restart with the
// trainer answering again, every job fired arrives, under its id, and no other.
func TestDurableOutboxAndQueueLoseNoJobAcrossSIGTERM(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, queue string }{
		{"queue of 5 requests", "{storage: file_storage, queue_size: 5}"},
		// The outbox hands its jobs on in batches of up to 100 records, one request each: a batch
		// holding more jobs than an items-sized queue fits is refused whole, however empty it is.
		{"queue of 5 items", "{storage: file_storage, sizer: items, queue_size: 5}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secret := newSecret(t)
			tr := newTrainer(t, secret)
			tr.failWith(500)
			cfg := durableConfig(t, tr.hookURL(), secret)
			cfg.QueueDir = cfg.StateDir
			cfg.SendingQueue = tc.queue
			first := startCollector(t, cfg)

			var models []string
			for g := range defectGroups {
				if g > 0 {
					// The previous group's first evaluation is past before the next group starts.
					requireEvaluations(t, first, 1)
				}
				for i := g * defectModels / defectGroups; i < (g+1)*defectModels/defectGroups; i++ {
					m := fmt.Sprintf("durable-model-%02d", i)
					models = append(models, m)
					startDurableApp(t, cfg, m, false)
				}
			}

			var fired map[string]string // job id → model
			waitFor(t, 40*time.Second, "every model's job to fire", func() bool {
				fired = firedJobs(first.output())
				return len(fired) >= defectModels
			}, func() string { return fmt.Sprintf("fired %d: %v", len(fired), fired) })
			require.ElementsMatch(t, models, slices.Collect(maps.Values(fired)), "one job per model")
			// The queue is full: the next hand-off is refused, and what it refuses is in the outbox.
			requireEvaluations(t, first, 2)
			inOutbox := first.metric("otelcol_processor_retrain_outbox_jobs")
			emitted := first.metric("otelcol_processor_retrain_jobs_emitted")
			t.Logf("before SIGTERM: %v jobs handed to the queue, %v in the outbox, exporter queue size %v of %v",
				emitted, inOutbox, first.metric("otelcol_exporter_queue_size"), first.metric("otelcol_exporter_queue_capacity"))
			require.Equal(t, float64(defectModels), emitted+inOutbox, "every fired job is either in the queue or in the outbox")
			require.Positive(t, emitted, "the scenario needs jobs in the queue")
			require.Positive(t, inOutbox, "the scenario needs jobs the queue refused")
			for _, a := range tr.all() {
				require.Equal(t, 500, a.status, "nothing is delivered before the restart\n%s", tr.summary())
			}

			first.stop(syscall.SIGTERM)
			staying := outboxAtStop(first.output())
			assert.Len(t, staying, int(inOutbox), "jobs the processor said stay in the outbox")
			for _, id := range staying {
				assert.Contains(t, fired, id, "a job said to stay in the outbox was fired")
			}

			tr.failWith(0)
			second := first.restart()
			waitFor(t, 20*time.Second, "every fired job delivered", func() bool {
				got := acceptedIDs(tr)
				for id := range fired {
					if got[id] == 0 {
						return false
					}
				}
				return true
			}, func() string {
				return fmt.Sprintf("%s\nthe restarted collector: %v jobs emitted, %v in the outbox, %v refused",
					missing(fired, acceptedIDs(tr)), second.metric("otelcol_processor_retrain_jobs_emitted"),
					second.metric("otelcol_processor_retrain_outbox_jobs"), second.metric("otelcol_processor_retrain_jobs_failed"))
			})
			// The apps still send degraded data: the restored cooldowns keep further jobs away.
			requireEvaluations(t, second, 3)

			tr.requireWellFormed(t)
			got := acceptedIDs(tr)
			var duplicates []string
			for id, n := range got {
				require.Contains(t, fired, id, "a delivered job was never fired\n%s", tr.summary())
				if n > 1 {
					duplicates = append(duplicates, fmt.Sprintf("%s (%s) ×%d", id, fired[id], n))
				}
			}
			sort.Strings(duplicates)
			assert.Empty(t, duplicates, "jobs delivered more than once")
			assert.Equal(t, float64(len(staying)), second.metric("otelcol_processor_retrain_jobs_emitted"),
				"jobs the restarted collector emitted: those replayed from the outbox")
		})
	}
}

// acceptedIDs counts the accepted deliveries of each job id.
func acceptedIDs(tr *trainer) map[string]int {
	out := map[string]int{}
	for _, a := range tr.all() {
		if a.status/100 == 2 {
			out[a.webhookID]++
		}
	}
	return out
}

func missing(fired map[string]string, got map[string]int) string {
	var out []string
	for id, m := range fired {
		if got[id] == 0 {
			out = append(out, id+" ("+m+")")
		}
	}
	sort.Strings(out)
	return fmt.Sprintf("%d fired job(s) not delivered: %v", len(out), out)
}

// logLine is one line of the collector's console log: time, level, caller, message, fields.
type logLine struct {
	message string
	fields  map[string]any
}

// logLines returns the lines of output whose message starts with prefix.
func logLines(output, prefix string) []logLine {
	var out []logLine
	for _, line := range strings.Split(output, "\n") {
		parts := strings.SplitN(line, "\t", 5)
		if len(parts) < 4 || !strings.HasPrefix(parts[3], prefix) {
			continue
		}
		l := logLine{message: parts[3]}
		if len(parts) == 5 {
			_ = json.Unmarshal([]byte(parts[4]), &l.fields) // a line without fields keeps none
		}
		out = append(out, l)
	}
	return out
}

// firedJobs reads the jobs the processor logged as fired: job id → model.
func firedJobs(output string) map[string]string {
	out := map[string]string{}
	for _, l := range logLines(output, "Model needs retraining") {
		id, _ := l.fields["job_id"].(string)
		model, _ := l.fields["model"].(string)
		out[id] = model
	}
	for _, l := range logLines(output, "Models need retraining") {
		jobs, _ := l.fields["retrain_jobs"].([]any)
		for _, j := range jobs {
			o, _ := j.(map[string]any)
			id, _ := o["job_id"].(string)
			model, _ := o["model"].(string)
			out[id] = model
		}
	}
	return out
}

// outboxAtStop reads the job ids the processor logged at shutdown as staying in the outbox.
func outboxAtStop(output string) []string {
	var out []string
	for _, l := range logLines(output, "RetrainJobs the logs pipeline has not accepted stay in the outbox") {
		ids, _ := l.fields["job_ids"].([]any)
		for _, id := range ids {
			s, _ := id.(string)
			out = append(out, s)
		}
	}
	return out
}
