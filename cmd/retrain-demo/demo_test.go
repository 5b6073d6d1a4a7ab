package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

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
