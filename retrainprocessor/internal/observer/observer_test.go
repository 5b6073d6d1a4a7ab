package observer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/internal/job"
)

// fixedLatency answers every percentile with the same value.
type fixedLatency struct {
	ms    float64
	count uint64
}

func (f fixedLatency) Quantile(float64) (float64, bool) { return f.ms, f.count > 0 }
func (f fixedLatency) Count() uint64                    { return f.count }

func TestObservers(t *testing.T) {
	sla := NewLatencySLA(LatencySLAConfig{Enabled: true, Percentile: 0.99, Threshold: 100 * time.Millisecond})
	drift := NewAccuracyDrift(AccuracyDriftConfig{Enabled: true, MinAccuracy: 0.8})
	floor := NewThroughputFloor(ThroughputFloorConfig{Enabled: true, MinRate: 5})

	tests := []struct {
		name    string
		obs     Observer
		stats   Stats
		want    job.Evidence
		abstain bool
	}{
		{
			name:  "latency over the threshold is flagged",
			obs:   sla,
			stats: Stats{Latency: fixedLatency{ms: 150, count: 105}},
			want:  job.Evidence{Observer: "latency_sla", Statistic: "p99", Value: 150, Threshold: 100, Unit: "ms", Samples: 105, Flagged: true},
		},
		{
			name:  "latency at the threshold is not flagged",
			obs:   sla,
			stats: Stats{Latency: fixedLatency{ms: 100, count: 10}},
			want:  job.Evidence{Observer: "latency_sla", Statistic: "p99", Value: 100, Threshold: 100, Unit: "ms", Samples: 10},
		},
		{name: "latency without data abstains", obs: sla, stats: Stats{}, abstain: true},
		{name: "latency with an empty window abstains", obs: sla, stats: Stats{Latency: fixedLatency{}}, abstain: true},
		{
			name:  "accuracy below the floor is flagged",
			obs:   drift,
			stats: Stats{AccuracyMean: 0.75, AccuracySamples: 3},
			want:  job.Evidence{Observer: "accuracy_drift", Statistic: "mean", Value: 0.75, Threshold: 0.8, Unit: "1", Samples: 3, Flagged: true},
		},
		{
			name:  "accuracy at the floor is not flagged",
			obs:   drift,
			stats: Stats{AccuracyMean: 0.8, AccuracySamples: 1},
			want:  job.Evidence{Observer: "accuracy_drift", Statistic: "mean", Value: 0.8, Threshold: 0.8, Unit: "1", Samples: 1},
		},
		{name: "accuracy without data abstains", obs: drift, stats: Stats{AccuracyMean: 0}, abstain: true},
		{
			name:  "throughput below the floor is flagged",
			obs:   floor,
			stats: Stats{ThroughputRate: 2, ThroughputSamples: 600},
			want:  job.Evidence{Observer: "throughput_floor", Statistic: "rate", Value: 2, Threshold: 5, Unit: "/s", Samples: 600, Flagged: true},
		},
		{name: "throughput without data abstains", obs: floor, stats: Stats{}, abstain: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.obs.Observe(&tt.stats)
			if tt.abstain {
				assert.False(t, ok)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLatencyStatisticNamesThePercentile(t *testing.T) {
	for q, want := range map[float64]string{0.5: "p50", 0.99: "p99", 0.999: "p99.9"} {
		o := NewLatencySLA(LatencySLAConfig{Enabled: true, Percentile: q, Threshold: time.Second})
		ev, ok := o.Observe(&Stats{Latency: fixedLatency{ms: 1, count: 1}})
		require.True(t, ok)
		assert.Equal(t, want, ev.Statistic)
	}
}

func TestOverridesReplaceOnlyTheKeysTheySet(t *testing.T) {
	threshold := 250 * time.Millisecond
	base := LatencySLAConfig{Enabled: true, Percentile: 0.99, Threshold: 100 * time.Millisecond}
	got := base.With(&LatencySLAOverride{Threshold: &threshold})
	assert.Equal(t, LatencySLAConfig{Enabled: true, Percentile: 0.99, Threshold: threshold}, got)
	assert.Equal(t, base, base.With(nil))

	off := false
	minAcc := 0.9
	acc := AccuracyDriftConfig{Enabled: true, MinAccuracy: 0.8}
	assert.Equal(t, AccuracyDriftConfig{Enabled: true, MinAccuracy: 0.9}, acc.With(&AccuracyDriftOverride{MinAccuracy: &minAcc}))
	assert.Equal(t, AccuracyDriftConfig{Enabled: false, MinAccuracy: 0.8}, acc.With(&AccuracyDriftOverride{Enabled: &off}))

	rate := 10.0
	tp := ThroughputFloorConfig{MinRate: 1}
	assert.Equal(t, ThroughputFloorConfig{MinRate: 10}, tp.With(&ThroughputFloorOverride{MinRate: &rate}))
}

func TestValidateNamesKeyAndValue(t *testing.T) {
	errs := LatencySLAConfig{Enabled: true, Percentile: 1, Threshold: 0}.Validate("observers::latency_sla")
	require.Len(t, errs, 2)
	assert.EqualError(t, errs[0], "observers::latency_sla::percentile must be in (0, 1) (got 1)")
	assert.EqualError(t, errs[1], "observers::latency_sla::threshold must be a positive duration (got 0s)")

	errs = AccuracyDriftConfig{Enabled: true, MinAccuracy: 1.5}.Validate("x")
	require.Len(t, errs, 1)
	assert.EqualError(t, errs[0], "x::min_accuracy must be in (0, 1] (got 1.5)")

	errs = ThroughputFloorConfig{Enabled: true, MinRate: -1}.Validate("x")
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], "x::min_rate")
	assert.ErrorContains(t, errs[0], "got -1")

	assert.Empty(t, LatencySLAConfig{}.Validate("x"), "a disabled observer is not validated")
}
