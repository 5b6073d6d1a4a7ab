//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// The health metrics of the default observers, by the observer whose evidence they carry.
var healthGauges = map[string]struct {
	name, unit string
	attrs      map[string]string
}{
	"latency_sla":    {"retrain.model.latency", "ms", map[string]string{"statistic": "p99"}},
	"accuracy_drift": {"retrain.model.accuracy", "1", map[string]string{}},
}

var healthStates = []string{"ok", "insufficient_data", "pending", "cooldown", "silenced"}

// TestHealthMetricsFollowTheEvidence: next to the apps' metrics, the OTLP backend behind the
// collector gets the processor's health gauges, as a Prometheus-style backend would store them:
// per model one retrain.model.latency{statistic=p99}, one retrain.model.accuracy and the
// retrain.model.state{state} series, keyed by the model's resource, one point each per
// evaluation. At the tick of a job the gauges are that job's evidence (the point whose timestamp
// is the job's requested_at), and the model is in cooldown from then on while the healthy model
// is ok.
func TestHealthMetricsFollowTheEvidence(t *testing.T) {
	t.Parallel()
	secret := newSecret(t)
	tr := newTrainer(t, secret)
	backend := newSink(t)
	cfg := newConfig(t, tr.hookURL(), secret)
	cfg.Sink = backend.addr
	col := startCollector(t, cfg)
	apps := startApps(t, cfg, servingapp.GRPC, true)

	waitFor(t, 30*time.Second, "jobs for the slow and the drifting model", func() bool {
		return tr.hasDelivered(slowModel, driftingModel)
	}, tr.summary)
	requireEvaluations(t, col, 2)
	jobs := tr.delivered(t)
	require.ElementsMatch(t, []string{slowModel, driftingModel}, slices.Collect(maps.Keys(jobs)), tr.summary())
	lastJob := jobs[slowModel].RequestedAt
	if at := jobs[driftingModel].RequestedAt; at.After(lastJob) {
		lastJob = at
	}
	// The health of an evaluation is sent after its jobs: wait for an evaluation after both.
	waitFor(t, 10*time.Second, "every model's health after the jobs", func() bool {
		for m := range apps {
			if len(stateAfter(backend.health(), m, lastJob)) == 0 {
				return false
			}
		}
		return true
	}, func() string { return healthSummary(backend.health()) })
	require.NoError(t, col.running())

	health := backend.health()
	// byModel[model][series][timestamp] are the points of a series at one evaluation.
	byModel := map[string]map[string]map[time.Time][]point{}
	for _, p := range health {
		model := p.resource["ml.model.id"]
		a, ok := apps[model]
		if !assert.True(t, ok, "a health point of no app's model: %s", p.canonical) {
			continue
		}
		ac := a.Config()
		assert.Equal(t, map[string]string{
			"service.name": ac.ServiceName, "ml.model.id": ac.Model, "ml.model.version": ac.Version,
		}, p.resource, "the resource of a health point is the model's: %s", p.canonical)
		checkHealthPoint(t, p)
		if byModel[model] == nil {
			byModel[model] = map[string]map[time.Time][]point{}
		}
		s := p.series()
		if byModel[model][s] == nil {
			byModel[model][s] = map[time.Time][]point{}
		}
		byModel[model][s][p.timestamp] = append(byModel[model][s][p.timestamp], p)
	}

	for model, series := range byModel {
		// One point per series and evaluation, one state per model and evaluation.
		states := map[time.Time]int{}
		names := map[string][]string{}
		for s, points := range series {
			name, _, _ := strings.Cut(s, " ")
			names[name] = append(names[name], s)
			for ts, ps := range points {
				assert.Len(t, ps, 1, "%s: points of %s at %s", model, s, ts)
				if name == "retrain.model.state" {
					states[ts] += len(ps)
				}
			}
		}
		for ts, n := range states {
			assert.Equal(t, 1, n, "%s: states at %s", model, ts)
		}
		// One series per model and statistic.
		for _, g := range healthGauges {
			assert.Len(t, names[g.name], 1, "%s: series of %s: %v", model, g.name, names[g.name])
		}
		assert.NotEmpty(t, names["retrain.model.state"], "%s: state series", model)
		assert.ElementsMatch(t, []string{"retrain.model.latency", "retrain.model.accuracy", "retrain.model.state"},
			slices.Collect(maps.Keys(names)), "%s: health metrics", model)
	}
	require.Len(t, byModel, 3, "models with health metrics:\n%s", healthSummary(health))

	// At the tick of each job: the gauges are its evidence, and the model is in cooldown.
	for model, j := range jobs {
		at := gaugesAt(health, model, j.RequestedAt)
		require.NotEmpty(t, at, "%s: no health point at its job's requested_at %s\n%s", model, j.RequestedAt, healthSummary(health))
		want := map[string]float64{"retrain.model.state{state=cooldown}": 1}
		for _, e := range j.Evidence {
			g, ok := healthGauges[e.Observer]
			require.True(t, ok, "%s: evidence of observer %s", model, e.Observer)
			want[g.name+"{"+sortedPairs(g.attrs)+"}"] = e.Value
		}
		assert.Equal(t, want, at, "%s: health at its job's tick %s against the job's evidence %+v", model, j.RequestedAt, j.Evidence)
	}

	// The latest evaluation every model's health arrived from, after both jobs: the slow model
	// is in cooldown, the healthy one ok, with what its app reported.
	var final time.Time
	for m := range apps {
		var latest time.Time
		for _, p := range health {
			if p.name == "retrain.model.state" && p.resource["ml.model.id"] == m && p.timestamp.After(latest) {
				latest = p.timestamp
			}
		}
		if final.IsZero() || latest.Before(final) {
			final = latest
		}
	}
	require.True(t, final.After(lastJob), "the latest evaluation of every model %s is after the jobs (%s)", final, lastJob)
	assert.Equal(t, 1.0, gaugesAt(health, slowModel, final)["retrain.model.state{state=cooldown}"], "%s at %s: %v", slowModel, final, gaugesAt(health, slowModel, final))
	healthy := gaugesAt(health, healthyModel, final)
	assert.Equal(t, 1.0, healthy["retrain.model.state{state=ok}"], "%s at %s: %v", healthyModel, final, healthy)
	assert.InDelta(t, goodAccuracy, healthy["retrain.model.accuracy{}"], 1e-9, "%s: accuracy", healthyModel)
	trueP99 := apps[healthyModel].trueP99()
	lo, hi := bucketOf(trueP99)
	p99 := healthy["retrain.model.latency{statistic=p99}"]
	assert.True(t, lo <= p99 && p99 <= hi, "%s: p99 %.2f ms is outside the bucket (%g, %g] of the true p99 %.2f ms", healthyModel, p99, lo, hi, trueP99)

	// The states over time: the slow model is in cooldown from its job on and never before; the
	// healthy one is never pending or in cooldown, and once ok (enough samples) stays ok.
	slowAt := jobs[slowModel].RequestedAt
	var healthyOK time.Time // the healthy model's first ok
	for _, p := range health {
		if p.name == "retrain.model.state" && p.resource["ml.model.id"] == healthyModel && p.attrs["state"] == "ok" &&
			(healthyOK.IsZero() || p.timestamp.Before(healthyOK)) {
			healthyOK = p.timestamp
		}
	}
	for _, p := range health {
		if p.name != "retrain.model.state" {
			continue
		}
		state := p.attrs["state"]
		switch model := p.resource["ml.model.id"]; {
		case model == slowModel && !p.timestamp.Before(slowAt):
			assert.Equal(t, "cooldown", state, "%s at %s, after its job at %s", model, p.timestamp, slowAt)
		case model == slowModel:
			assert.Contains(t, []string{"ok", "insufficient_data"}, state, "%s at %s, before its job at %s", model, p.timestamp, slowAt)
		case model == healthyModel && !healthyOK.IsZero() && !p.timestamp.Before(healthyOK):
			assert.Equal(t, "ok", state, "%s at %s, first ok at %s", model, p.timestamp, healthyOK)
		case model == healthyModel:
			assert.Equal(t, "insufficient_data", state, "%s at %s, before its first ok", model, p.timestamp)
		}
	}
}

// checkHealthPoint checks one health point against what its metric is: unit, attributes, type.
func checkHealthPoint(t *testing.T, p point) {
	t.Helper()
	if p.name == "retrain.model.state" {
		assert.Equal(t, "{state}", p.unit, p.canonical)
		assert.Equal(t, []string{"state"}, slices.Collect(maps.Keys(p.attrs)), p.canonical)
		assert.Contains(t, healthStates, p.attrs["state"], p.canonical)
		assert.True(t, p.isInt, "an int gauge: %s", p.canonical)
		assert.Equal(t, 1.0, p.value, p.canonical)
		return
	}
	for _, g := range healthGauges {
		if g.name == p.name {
			assert.Equal(t, g.unit, p.unit, p.canonical)
			assert.Equal(t, g.attrs, p.attrs, p.canonical)
			assert.False(t, p.isInt, "a double gauge: %s", p.canonical)
			return
		}
	}
	t.Errorf("a health metric the config's observers do not produce: %s", p.canonical)
}

// gaugesAt returns model's health points at ts as name{attrs} to value.
func gaugesAt(health []point, model string, ts time.Time) map[string]float64 {
	out := map[string]float64{}
	for _, p := range health {
		if p.resource["ml.model.id"] == model && p.timestamp.Equal(ts) {
			out[p.name+"{"+sortedPairs(p.attrs)+"}"] = p.value
		}
	}
	return out
}

// stateAfter returns model's states after t.
func stateAfter(health []point, model string, t time.Time) []string {
	var out []string
	for _, p := range health {
		if p.name == "retrain.model.state" && p.resource["ml.model.id"] == model && p.timestamp.After(t) {
			out = append(out, p.attrs["state"])
		}
	}
	return out
}

// healthSummary lists the health points, for failure messages.
func healthSummary(health []point) string {
	lines := make([]string, 0, len(health))
	for _, p := range health {
		lines = append(lines, fmt.Sprintf("  %s %s = %g", p.timestamp.UTC().Format(time.RFC3339Nano), p.series(), p.value))
	}
	slices.Sort(lines)
	return fmt.Sprintf("%d health point(s):\n%s", len(health), strings.Join(lines, "\n"))
}
