package job

import (
	"math"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var (
	requestedAt = time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	windowStart = requestedAt.Add(-5 * time.Minute)
	// The hour before the window: prediction_drift's reference in driftJob.
	referenceStart = windowStart.Add(-time.Hour)
	referenceEnd   = windowStart
)

// designJob is the job of the README's webhook body example.
func designJob() Job {
	return Job{
		ID:           NewID("fraud-detector", "3", requestedAt),
		ModelID:      "fraud-detector",
		ModelVersion: "3",
		Reasons:      []string{"latency_sla", "accuracy_drift"},
		Strategy:     "any",
		RequestedAt:  requestedAt,
		WindowStart:  windowStart,
		WindowEnd:    requestedAt,
		Evidence: []Evidence{
			{Observer: "latency_sla", Statistic: "p99", Value: 153.2, Lower: 100, Upper: 250, Bounded: true, Threshold: 100, Unit: "ms", Samples: 5000, Flagged: true},
			{Observer: "accuracy_drift", Statistic: "mean", Value: 0.75, Threshold: 0.8, Unit: "1", Samples: 5000, Flagged: true},
		},
		Resource: map[string]any{"service.name": "fraud-api", "ml.model.id": "fraud-detector"},
	}
}

// overflowJob's p99 lies in the explicit histogram's overflow bucket: its upper bound is +Inf.
func overflowJob() Job {
	j := designJob()
	j.Reasons = []string{"latency_sla"}
	j.Evidence = []Evidence{
		{Observer: "latency_sla", Statistic: "p99", Value: 10000, Lower: 10000, Upper: math.Inf(1), Bounded: true, Threshold: 100, Unit: "ms", Samples: 5000, Flagged: true},
	}
	return j
}

// driftJob is the design job with a third evidence, prediction_drift's, which compares the window's
// score distribution with a reference window.
func driftJob() Job {
	j := designJob()
	j.Reasons = append(j.Reasons, "prediction_drift")
	j.Evidence = append(j.Evidence, Evidence{
		Observer: "prediction_drift", Statistic: "psi", Value: 0.31, Threshold: 0.2, Unit: "1", Samples: 5000, Flagged: true,
		ReferenceStart: referenceStart, ReferenceEnd: referenceEnd,
	})
	return j
}

// quietJob has no version, no reasons and evidence that did not flag.
func quietJob() Job {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)
	return Job{
		ID:          NewID("churn", "", at),
		ModelID:     "churn",
		Strategy:    "all",
		RequestedAt: at,
		WindowStart: at.Add(-time.Minute),
		WindowEnd:   at,
		Evidence: []Evidence{
			{Observer: "throughput_floor", Statistic: "rate", Value: 12, Threshold: 1, Unit: "/s", Samples: 720},
		},
		Resource: map[string]any{
			"service.name": "churn-api",
			"ml.model.id":  "churn",
			"replicas":     int64(3),
			"weight":       0.5,
			"canary":       false,
			"zones":        []any{"a", "b"},
		},
	}
}

func TestNewIDIsHexOf32Chars(t *testing.T) {
	valid := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, id := range []string{
		NewID("fraud-detector", "3", requestedAt),
		NewID("", "", time.Time{}),
		NewID("модель/😀", "v1.2.3+build", time.Unix(0, 1)),
	} {
		assert.Regexp(t, valid, id)
	}
}

func TestNewIDMatchesTheDocumentedDerivation(t *testing.T) {
	// Computed independently: sha256(u64be(14) "fraud-detector" u64be(1) "3" i64be(1795820400000000000))[:16].
	assert.Equal(t, "5acb6afc25e7a90d83eb632d0a8281e1", NewID("fraud-detector", "3", requestedAt))
	assert.Equal(t, "3f53fcd74e1e35b2c6e2ef020aa83397", NewID("fraud-detector", "", requestedAt))
}

func TestNewIDIsDeterministicAcrossTimeZones(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*60*60)
	assert.Equal(t, NewID("m", "1", requestedAt), NewID("m", "1", requestedAt))
	assert.Equal(t, NewID("m", "1", requestedAt), NewID("m", "1", requestedAt.In(tokyo)))
}

func TestNewIDDiffersWhenAnInputDiffers(t *testing.T) {
	base := NewID("ab", "c", requestedAt)
	tests := []struct {
		name    string
		model   string
		version string
		at      time.Time
	}{
		{name: "model", model: "ab2", version: "c", at: requestedAt},
		{name: "version", model: "ab", version: "d", at: requestedAt},
		{name: "version_empty", model: "ab", version: "", at: requestedAt},
		{name: "time_by_one_nanosecond", model: "ab", version: "c", at: requestedAt.Add(time.Nanosecond)},
		{name: "concatenation_shifted_right", model: "a", version: "bc", at: requestedAt},
		{name: "concatenation_into_model", model: "abc", version: "", at: requestedAt},
		{name: "separator_inside_model", model: "ab\x00\x00\x00\x00\x00\x00\x00\x01c", version: "", at: requestedAt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotEqual(t, base, NewID(tt.model, tt.version, tt.at))
		})
	}
}
