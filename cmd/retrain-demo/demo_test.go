package main

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/internal/job"
)

func TestParseDecisionReadsTheProcessorsLogLine(t *testing.T) {
	line := "2026-11-28T00:30:36.000Z\tinfo\tretrainprocessor/evaluate.go:146\tModel needs retraining\t" +
		`{"resource": {"service.name": "otelcol-retrain"}, "otelcol.component.id": "retrain", "job_id": "d877f6a5", "model": "fraud-detector", "version": "3", "reasons": ["latency_sla"]}`
	d, ok := parseDecision(line)
	assert.True(t, ok)
	assert.Equal(t, decision{JobID: "d877f6a5", Model: "fraud-detector", Version: "3", Reasons: []string{"latency_sla"}}, d)

	_, ok = parseDecision("2026-11-28T00:30:36.000Z\tinfo\tservice.go:256\tEverything is ready.\t{}")
	assert.False(t, ok)
}

func TestProblemKeepsWarningsErrorsAndPlainOutput(t *testing.T) {
	warn := "2026-11-28T00:32:38Z\terror\tqueue_sender.go:57\tExporting failed.\t" +
		`{"resource": {"service.name": "otelcol-retrain"}, "error": "trainer answered 503"}`
	got, ok := problem(warn)
	assert.True(t, ok)
	assert.Equal(t, "2026-11-28T00:32:38Z\terror\tqueue_sender.go:57\tExporting failed.\t"+`{"error": "trainer answered 503"}`, got)

	_, ok = problem("2026-11-28T00:32:38Z\tinfo\tservice.go:256\tEverything is ready.\t{}")
	assert.False(t, ok)

	_, ok = problem("Error: failed to get config: cannot resolve the configuration")
	assert.True(t, ok)
}

func TestDescribeJobShowsModelReasonsAndEvidenceWithUnits(t *testing.T) {
	at := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	text := describeJob(job.Job{
		ID: "5f0c", ModelID: "fraud-detector", ModelVersion: "3", Reasons: []string{"latency_sla"}, Strategy: "any",
		RequestedAt: at, WindowStart: at.Add(-30 * time.Second), WindowEnd: at,
		Evidence: []job.Evidence{
			{Observer: "accuracy_drift", Statistic: "mean", Value: 0.951, Threshold: 0.8, Unit: "1", Samples: 12},
			{Observer: "latency_sla", Statistic: "p99", Value: 153.24, Threshold: 100, Unit: "ms", Samples: 550, Flagged: true},
		},
		Resource: map[string]any{"service.name": "fraud-api"},
	})
	for _, want := range []string{
		"job 5f0c", "fraud-detector v3  (service.name=fraud-api)", "latency_sla (vote any)",
		"22:59:30 → 23:00:00 UTC (30s)", "153.2 ms", "100.0 ms", "FLAGGED", "0.951", "0.800",
	} {
		assert.Contains(t, text, want)
	}
	// Flagged evidence comes first.
	assert.Less(t, strings.Index(text, "latency_sla "), strings.Index(text, "accuracy_drift "))
}

func TestDescribeJobShowsTheBoundsOfAnEstimate(t *testing.T) {
	at := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	text := describeJob(job.Job{
		ID: "9a1b", ModelID: "loan-approver", ModelVersion: "7", Reasons: []string{"estimated_accuracy"}, Strategy: "any",
		RequestedAt: at, WindowStart: at.Add(-30 * time.Second), WindowEnd: at,
		Evidence: []job.Evidence{
			{Observer: "accuracy_drift", Statistic: "mean", Value: 0.94, Threshold: 0.8, Unit: "1", Samples: 30},
			{Observer: "estimated_accuracy", Statistic: "estimated", Value: 0.672, Lower: 0.647, Upper: 0.697, Bounded: true,
				Threshold: 0.8, Unit: "1", Samples: 1400, Flagged: true},
		},
	})
	for _, want := range []string{
		"loan-approver v7", "estimated_accuracy (vote any)", "estimated_accuracy estimated 0.672", "0.800", "FLAGGED",
		"(bucket edges: 0.647 to 0.697)",
	} {
		assert.Contains(t, text, want)
	}
	assert.Less(t, strings.Index(text, "estimated_accuracy "), strings.Index(text, "accuracy_drift "))
	assert.Equal(t, 1, strings.Count(text, "bucket edges"), "only a bounded estimate shows its bounds:\n%s", text)
}

func TestDemoExpectsOneJobForEachAppThatDegrades(t *testing.T) {
	d := &demo{apps: newDemoApps("127.0.0.1:1", "127.0.0.1:2", time.Second)}
	reasons := map[string]string{}
	for _, a := range d.apps {
		reasons[a.cfg.Model] = a.reason
	}
	assert.Equal(t, map[string]string{
		"churn-predictor":  "",
		"fraud-detector":   "latency_sla",
		"price-forecaster": "accuracy_drift",
		"loan-approver":    "estimated_accuracy",
	}, reasons)
	assert.Equal(t, "churn-predictor", d.healthyModel())
	assert.Equal(t, []string{
		"the latency_sla job for fraud-detector",
		"the accuracy_drift job for price-forecaster",
		"the estimated_accuracy job for loan-approver",
	}, d.missing(map[string]bool{}))
	assert.Equal(t, []string{"the estimated_accuracy job for loan-approver"},
		d.missing(map[string]bool{"fraud-detector": true, "price-forecaster": true}))
	assert.Empty(t, d.missing(map[string]bool{"fraud-detector": true, "price-forecaster": true, "loan-approver": true}))

	// Only loan-approver reports scores; the others keep their config without.
	for _, a := range d.apps {
		assert.Equal(t, a.cfg.Model == "loan-approver", a.cfg.Score != nil, "%s reports scores", a.cfg.Model)
	}
}

func TestLoanApproversScoresLoseConfidenceWhenItDegrades(t *testing.T) {
	var unsure *demoApp
	for _, a := range newDemoApps("127.0.0.1:1", "127.0.0.1:2", time.Second) {
		if a.cfg.Model == "loan-approver" {
			unsure = a
		}
	}
	if !assert.NotNil(t, unsure) {
		return
	}
	draw := func() []float64 {
		r := rand.New(rand.NewPCG(1, 2))
		scores := make([]float64, 5000)
		for i := range scores {
			scores[i] = unsure.cfg.Score(r)
			assert.True(t, scores[i] >= 0 && scores[i] <= 1, "score %v", scores[i])
		}
		return scores
	}
	assert.InDelta(t, 12.0/13, impliedAccuracy(draw()), 0.01, "confident scores imply about 0.92")
	accuracy := unsure.cfg.Accuracy()

	assert.True(t, unsure.degrade())
	assert.InDelta(t, 0.62, impliedAccuracy(draw()), 0.02, "Beta(5, 5) scores imply about 0.62")
	assert.InDelta(t, accuracy, unsure.cfg.Accuracy(), 0.02, "its labelled accuracy does not move")

	// The status line shows what the scores since the last line imply.
	for _, p := range []float64{0.9, 0.2, 0.6, 0.5} {
		unsure.observeScore(p)
	}
	assert.Contains(t, unsure.status(), "loan-approver")
	assert.Contains(t, unsure.status(), "scores imply acc  -  ", "no scores since the last line")
	unsure.observeScore(0.9)
	unsure.observeScore(0.3)
	assert.Contains(t, unsure.status(), "scores imply acc 0.80")
}

func TestStatusLinesShowEveryAppOnALineOfItsOwn(t *testing.T) {
	apps := newDemoApps("127.0.0.1:1", "127.0.0.1:2", time.Second)
	lines := strings.Split(statusLines(apps), "\n")
	if assert.Len(t, lines, len(apps)) {
		for i, a := range apps {
			assert.True(t, strings.HasPrefix(lines[i], a.cfg.Model+" "), "line %d: %q", i, lines[i])
			assert.Equal(t, a.cfg.Score != nil, strings.Contains(lines[i], "scores imply"), "line %d: %q", i, lines[i])
		}
	}
}

// TestCollectorEnvSetsEveryVariableOfTheDemoConfig: each ${env:NAME} of testdata/demo.yaml gets a
// value from the demo, so none falls back to its fixed default port while the demo runs.
func TestCollectorEnvSetsEveryVariableOfTheDemoConfig(t *testing.T) {
	yaml, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo.yaml"))
	require.NoError(t, err)
	env := map[string]string{}
	for _, kv := range collectorEnv("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "http://127.0.0.1:4/hooks/retrain", "whsec_x") {
		k, v, ok := strings.Cut(kv, "=")
		require.True(t, ok, "%q", kv)
		env[k] = v
	}
	var names []string
	for _, m := range regexp.MustCompile(`\$\{env:([A-Z_]+)`).FindAllStringSubmatch(string(yaml), -1) {
		names = append(names, m[1])
	}
	assert.Contains(t, names, "STATUS_ENDPOINT", "demo.yaml serves the status page on ${env:STATUS_ENDPOINT}")
	for _, n := range names {
		assert.NotEmpty(t, env[n], "the demo sets %s", n)
	}
	assert.Equal(t, "127.0.0.1:3", env["STATUS_ENDPOINT"])
	assert.Equal(t, "http://127.0.0.1:3/", statusURL("127.0.0.1:3"))
}

// TestStatusSummaryCountsTheModelsByState reads a status API like the collector's.
func TestStatusSummaryCountsTheModelsByState(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/models" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"models": [], "total": 4, "counts": {"ok": 1, "cooldown": 3, "pending": 0}, "offset": 0, "limit": 100}`))
	}))
	defer srv.Close()
	got, err := statusSummary(t.Context(), srv.URL+"/")
	require.NoError(t, err)
	assert.Equal(t, "4 models: 3 cooldown, 1 ok", got)

	_, err = statusSummary(t.Context(), srv.URL+"/nothing-here/")
	assert.ErrorContains(t, err, "404")

	assert.Equal(t, "1 model: 1 insufficient data", describeCounts(1, map[string]int{"insufficient_data": 1}))
	assert.Equal(t, "0 models", describeCounts(0, nil))
}
