package observer

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedLatency answers every percentile with the same estimate.
type fixedLatency struct {
	est   Estimate
	count uint64
	ok    bool // Quantile's answer when count > 0
}

func (f fixedLatency) Quantile(float64) (Estimate, bool) { return f.est, f.count > 0 && f.ok }
func (f fixedLatency) Count() uint64                     { return f.count }

// bucket is a latency whose p99 is v in the bucket (lower, upper], over n observations.
func bucket(v, lower, upper float64, n uint64) fixedLatency {
	return fixedLatency{est: Estimate{Value: v, Lower: lower, Upper: upper}, count: n, ok: true}
}

func TestObservers(t *testing.T) {
	sla := (&LatencySLAConfig{Enabled: true, Percentile: 0.99, Threshold: 100 * time.Millisecond}).New()
	drift := (&AccuracyDriftConfig{Enabled: true, MinAccuracy: 0.8}).New()
	floor := (&ThroughputFloorConfig{Enabled: true, MinRate: 5}).New()
	inf, nan := math.Inf(1), math.NaN()
	// latency is the p99 evidence of latency_sla for an estimate, before the verdict.
	latency := func(v, lower, upper float64, n uint64) Finding {
		return Finding{Statistic: "p99", Value: v, Lower: lower, Upper: upper, Bounded: true, Threshold: 100, Unit: "ms", Samples: n}
	}
	flagged := func(e Finding) Finding { e.Flagged = true; return e }
	// enough is a window past min_samples and watched for a whole window.
	enough := func(s Stats) Stats { s.Predictions, s.MinSamples, s.Coverage = 1000, 100, 1; return s }

	tests := []struct {
		name    string
		obs     Observer
		stats   Stats
		want    Finding
		outcome Outcome
	}{
		{
			name:  "latency over the threshold is flagged",
			obs:   sla,
			stats: enough(Stats{Latency: bucket(150, 150, 150, 105)}),
			want:  flagged(latency(150, 150, 150, 105)),
		},
		{
			name:  "latency at the threshold is not flagged",
			obs:   sla,
			stats: enough(Stats{Latency: bucket(100, 100, 100, 10)}),
			want:  latency(100, 100, 100, 10),
		},
		{
			name:  "a bucket above the threshold is flagged",
			obs:   sla,
			stats: enough(Stats{Latency: bucket(300, 250, 500, 580)}),
			want:  flagged(latency(300, 250, 500, 580)),
		},
		{
			name:  "a bucket starting at the threshold is flagged: it holds only values above it",
			obs:   sla,
			stats: enough(Stats{Latency: bucket(248.5, 100, 250, 580)}),
			want:  flagged(latency(248.5, 100, 250, 580)),
		},
		{
			name:  "the overflow bucket above the threshold is flagged",
			obs:   sla,
			stats: enough(Stats{Latency: bucket(10000, 10000, inf, 580)}),
			want:  flagged(latency(10000, 10000, inf, 580)),
		},
		{
			name:  "a bucket ending at the threshold is not flagged",
			obs:   sla,
			stats: enough(Stats{Latency: bucket(99.5, 75, 100, 580)}),
			want:  latency(99.5, 75, 100, 580),
		},
		{
			// The JavaScript SDK in seconds with bounds made for ms: every request in (0 s, 5 s].
			name:    "a bucket straddling the threshold is unresolved though its value is above",
			obs:     sla,
			stats:   enough(Stats{Latency: bucket(4950, 0, 5000, 580)}),
			want:    latency(4950, 0, 5000, 580),
			outcome: Unresolved,
		},
		{
			name:    "a bucket straddling the threshold is unresolved though its value is below",
			obs:     sla,
			stats:   enough(Stats{Latency: bucket(60, 50, 250, 580)}),
			want:    latency(60, 50, 250, 580),
			outcome: Unresolved,
		},
		{
			name:    "an exponential bucket whose error bound straddles the threshold is unresolved",
			obs:     sla,
			stats:   enough(Stats{Latency: bucket(101.5, 97.9, 105.2, 580)}),
			want:    latency(101.5, 97.9, 105.2, 580),
			outcome: Unresolved,
		},
		{
			name:  "an exponential bucket whose error bound lies above the threshold is flagged",
			obs:   sla,
			stats: enough(Stats{Latency: bucket(104.1, 100.4, 107.9, 580)}),
			want:  flagged(latency(104.1, 100.4, 107.9, 580)),
		},
		{name: "latency without data has no data", obs: sla, stats: enough(Stats{}), outcome: NoData},
		{name: "latency with an empty window has no data", obs: sla, stats: enough(Stats{Latency: fixedLatency{}}), outcome: NoData},
		{name: "latency without a percentile has no data", obs: sla, stats: enough(Stats{Latency: fixedLatency{count: 3}}), outcome: NoData},
		{
			name:    "latency below min_samples has few samples",
			obs:     sla,
			stats:   Stats{Latency: bucket(300, 250, 500, 99), Predictions: 99, MinSamples: 100, Coverage: 1},
			outcome: FewSamples,
		},
		{name: "a NaN percentile is not finite", obs: sla, stats: enough(Stats{Latency: bucket(nan, inf, inf, 580)}), outcome: NonFinite},
		{name: "an infinite percentile is not finite", obs: sla, stats: enough(Stats{Latency: bucket(inf, 60000, inf, 580)}), outcome: NonFinite},
		{name: "a NaN upper bound is not finite", obs: sla, stats: enough(Stats{Latency: bucket(150, 100, nan, 580)}), outcome: NonFinite},
		{
			name:  "accuracy below the floor is flagged",
			obs:   drift,
			stats: enough(Stats{AccuracyMean: 0.75, AccuracySamples: 3}),
			want:  Finding{Statistic: "mean", Value: 0.75, Threshold: 0.8, Unit: "1", Samples: 3, Flagged: true},
		},
		{
			name:  "accuracy at the floor is not flagged",
			obs:   drift,
			stats: enough(Stats{AccuracyMean: 0.8, AccuracySamples: 1}),
			want:  Finding{Statistic: "mean", Value: 0.8, Threshold: 0.8, Unit: "1", Samples: 1},
		},
		{name: "accuracy without data has no data", obs: drift, stats: enough(Stats{AccuracyMean: 0}), outcome: NoData},
		{
			name:    "accuracy below min_samples has few samples",
			obs:     drift,
			stats:   Stats{AccuracyMean: 0.1, AccuracySamples: 30, Predictions: 99, MinSamples: 100, Coverage: 1},
			outcome: FewSamples,
		},
		{name: "a NaN accuracy is not finite", obs: drift, stats: enough(Stats{AccuracyMean: nan, AccuracySamples: 3}), outcome: NonFinite},
		{
			name:  "throughput below the floor is flagged",
			obs:   floor,
			stats: enough(Stats{ThroughputRate: 2, ThroughputSamples: 30}),
			want:  Finding{Statistic: "rate", Value: 2, Threshold: 5, Unit: "/s", Samples: 30, Flagged: true},
		},
		{
			name:  "throughput of a model that nearly stopped is flagged below min_samples",
			obs:   floor,
			stats: Stats{ThroughputRate: 0.1, ThroughputSamples: 30, Predictions: 30, MinSamples: 100, Coverage: 1},
			want:  Finding{Statistic: "rate", Value: 0.1, Threshold: 5, Unit: "/s", Samples: 30, Flagged: true},
		},
		{
			name:  "throughput of a counter that stopped growing is flagged",
			obs:   floor,
			stats: Stats{ThroughputRate: 0, ThroughputSamples: 30, MinSamples: 100, Coverage: 1},
			want:  Finding{Statistic: "rate", Value: 0, Threshold: 5, Unit: "/s", Samples: 30, Flagged: true},
		},
		{
			name:  "throughput above the floor is not flagged",
			obs:   floor,
			stats: enough(Stats{ThroughputRate: 5, ThroughputSamples: 30}),
			want:  Finding{Statistic: "rate", Value: 5, Threshold: 5, Unit: "/s", Samples: 30},
		},
		{
			name:    "throughput of a model watched for part of the window has few samples",
			obs:     floor,
			stats:   Stats{ThroughputRate: 0.1, ThroughputSamples: 30, Predictions: 1000, MinSamples: 100, Coverage: 0.5},
			outcome: FewSamples,
		},
		{
			name:    "throughput with an unknown coverage has few samples",
			obs:     floor,
			stats:   Stats{ThroughputRate: 0.1, ThroughputSamples: 30, Coverage: nan},
			outcome: FewSamples,
		},
		{name: "throughput without data has no data", obs: floor, stats: enough(Stats{}), outcome: NoData},
		{name: "an infinite rate is not finite", obs: floor, stats: enough(Stats{ThroughputRate: inf, ThroughputSamples: 3}), outcome: NonFinite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, outcome := tt.obs.Observe(&tt.stats)
			assert.Equal(t, tt.outcome, outcome, "outcome %s", outcome)
			// The finding is filled for Observed and Unresolved only.
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOutcomeNames(t *testing.T) {
	for o, want := range map[Outcome]string{
		Observed: "observed", NoData: "no_data", FewSamples: "few_samples", Unresolved: "unresolved",
		NonFinite: "non_finite", NotABound: "not_a_bound", Outcomes: "outcome(6)",
	} {
		assert.Equal(t, want, o.String())
	}
}

func TestLatencyStatisticNamesThePercentile(t *testing.T) {
	for q, want := range map[float64]string{0.5: "p50", 0.99: "p99", 0.999: "p99.9"} {
		o := (&LatencySLAConfig{Enabled: true, Percentile: q, Threshold: time.Second}).New()
		ev, outcome := o.Observe(&Stats{Latency: bucket(1, 1, 1, 1)})
		require.Equal(t, Observed, outcome)
		assert.Equal(t, want, ev.Statistic)
	}
}

func TestValidateNamesKeyAndValue(t *testing.T) {
	errs := (&LatencySLAConfig{Enabled: true, Percentile: 1, Threshold: 0}).Validate("observers::latency_sla")
	require.Len(t, errs, 2)
	assert.EqualError(t, errs[0], "observers::latency_sla::percentile must be in (0, 1) (got 1)")
	assert.EqualError(t, errs[1], "observers::latency_sla::threshold must be a positive duration (got 0s)")

	errs = (&LatencySLAConfig{Enabled: true, Percentile: 0.5, Threshold: 100}).Validate("x")
	require.Len(t, errs, 1)
	assert.EqualError(t, errs[0], "x::threshold must be at least 1µs (got 100ns; did you mean 100ms?)")

	errs = (&AccuracyDriftConfig{Enabled: true, MinAccuracy: 1.5}).Validate("x")
	require.Len(t, errs, 1)
	assert.EqualError(t, errs[0], "x::min_accuracy must be in (0, 1] (got 1.5)")

	errs = (&ThroughputFloorConfig{Enabled: true, MinRate: -1}).Validate("x")
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], "x::min_rate")
	assert.ErrorContains(t, errs[0], "got -1")

	assert.Empty(t, (&LatencySLAConfig{}).Validate("x"), "a disabled observer is not validated")
}

func TestRegistryListsEveryObserverInRankOrder(t *testing.T) {
	require.NotEmpty(t, Kinds())
	assert.Equal(t, []string{"latency_sla", "accuracy_drift", "throughput_floor"}, Names()[:3])
	for _, k := range Kinds() {
		c := k.Default()
		assert.Empty(t, c.Validate("observers::"+k.Name), "%s: the defaults are valid", k.Name)
		assert.Equal(t, k.Name, c.New().Name(), "%s: the observer is named by its key", k.Name)
		for _, key := range k.Docs() {
			assert.NotEmpty(t, key.Doc, "%s::%s has no doc", k.Name, key.Key)
		}
	}
	_, ok := Lookup("no_such_observer")
	assert.False(t, ok)
}

func TestCloneIsACopy(t *testing.T) {
	c := &LatencySLAConfig{Enabled: true, Percentile: 0.99, Threshold: time.Second}
	cp := Clone(c).(*LatencySLAConfig)
	cp.Threshold = time.Minute
	assert.Equal(t, time.Second, c.Threshold)
	assert.Equal(t, time.Minute, cp.Threshold)
}

func TestKeysDocumentTheDefaults(t *testing.T) {
	k, ok := Lookup("latency_sla")
	require.True(t, ok)
	docs := k.Docs()
	require.Len(t, docs, 3)
	assert.Equal(t, KeyDoc{Key: "enabled", Default: "true", Doc: k.Doc}, docs[0])
	assert.Equal(t, KeyDoc{Key: "percentile", Default: "0.99", Doc: k.Keys["percentile"]}, docs[1])
	assert.Equal(t, KeyDoc{Key: "threshold", Default: "100ms", Doc: k.Keys["threshold"]}, docs[2])
	for d, want := range map[time.Duration]string{time.Hour: "1h", 5 * time.Minute: "5m", 90 * time.Second: "1m30s", 0: "0s", 10 * time.Second: "10s"} {
		assert.Equal(t, want, formatDuration(d))
	}
}
