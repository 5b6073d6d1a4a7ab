package retrainprocessor

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
)

// What each observer needs before it judges, end to end: the bounds of a bucket-based percentile,
// a finite statistic, min_samples for latency and accuracy, a whole window for throughput.

// deltaLatency is one export of a model: a delta latency metric that latency fills (covering the
// 10 s before at) and an accuracy gauge.
func deltaLatency(model string, at time.Time, accuracy float64, latency func(m pmetric.Metric, start, ts pcommon.Timestamp)) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("ml.model.id", model)
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	ts := pcommon.NewTimestampFromTime(at)
	lat := ms.AppendEmpty()
	lat.SetName("ml.model.latency")
	latency(lat, ts-pcommon.Timestamp(10*time.Second), ts)
	acc := ms.AppendEmpty()
	acc.SetName("ml.model.accuracy")
	dp := acc.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(ts)
	dp.SetDoubleValue(accuracy)
	return md
}

// explicitLatency is a delta histogram of n observations in the bucket at index bucket.
func explicitLatency(unit string, bounds []float64, bucket int, n uint64) func(pmetric.Metric, pcommon.Timestamp, pcommon.Timestamp) {
	return func(m pmetric.Metric, start, ts pcommon.Timestamp) {
		m.SetUnit(unit)
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		dp := h.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.ExplicitBounds().FromRaw(bounds)
		counts := make([]uint64, len(bounds)+1)
		counts[bucket] = n
		dp.BucketCounts().FromRaw(counts)
		dp.SetCount(n)
	}
}

// exponentialLatency is a delta exponential histogram of n observations in one bucket.
func exponentialLatency(unit string, scale, index int32, n uint64) func(pmetric.Metric, pcommon.Timestamp, pcommon.Timestamp) {
	return func(m pmetric.Metric, start, ts pcommon.Timestamp) {
		m.SetUnit(unit)
		h := m.SetEmptyExponentialHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		dp := h.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.SetScale(scale)
		dp.Positive().SetOffset(index)
		dp.Positive().BucketCounts().FromRaw([]uint64{n})
		dp.SetCount(n)
	}
}

// jsBounds are the OpenTelemetry JavaScript SDK's default bounds, made for ms.
var jsBounds = []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}

func TestLatencyBucketsFlagOnlyWhenTheirBoundsAgree(t *testing.T) {
	tests := []struct {
		name    string
		latency func(pmetric.Metric, pcommon.Timestamp, pcommon.Timestamp)
		want    []job.Evidence // nil: no job
	}{
		{
			// Every healthy request takes 20 ms and lands in (0 s, 5 s]: the p99 reads 4950 ms.
			name:    "seconds in bounds made for ms straddle the threshold: no job",
			latency: explicitLatency("s", jsBounds, 1, 20),
		},
		{
			name:    "seconds in bounds made for ms above the threshold: a job",
			latency: explicitLatency("s", jsBounds, 2, 20), // 6 s: (5 s, 10 s]
			want: []job.Evidence{
				{Observer: "latency_sla", Statistic: "p99", Value: 5000 + 5000*0.99, Lower: 5000, Upper: 10000, Bounded: true, Threshold: 100, Unit: "ms", Samples: 600, Flagged: true},
				{Observer: "accuracy_drift", Statistic: "mean", Value: 0.95, Threshold: 0.8, Unit: "1", Samples: 30},
			},
		},
		{
			// Scale -1 in ms: bucket 3 is (64 ms, 256 ms], on both sides of 100 ms.
			name:    "an exponential bucket straddling the threshold: no job",
			latency: exponentialLatency("ms", -1, 3, 20),
		},
		{
			// Scale 0 in ms: bucket 7 is (128 ms, 256 ms].
			name:    "an exponential bucket above the threshold: a job",
			latency: exponentialLatency("ms", 0, 7, 20),
			want: []job.Evidence{
				{Observer: "latency_sla", Statistic: "p99", Value: 128 * 4 / 3.0, Lower: 128, Upper: 256, Bounded: true, Threshold: 100, Unit: "ms", Samples: 600, Flagged: true},
				{Observer: "accuracy_drift", Statistic: "mean", Value: 0.95, Threshold: 0.8, Unit: "1", Samples: 30},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), t0)
			for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
				h.clock.set(at)
				h.consume(deltaLatency("web-model", at, 0.95, tt.latency))
			}
			h.evaluate(t0)
			jobs := h.jobs()
			if tt.want == nil {
				assert.Empty(t, jobs)
				return
			}
			require.Len(t, jobs, 1)
			assert.Equal(t, []string{"latency_sla"}, jobs[0].Reasons)
			assert.Equal(t, roundEvidence(tt.want), roundEvidence(jobs[0].Evidence))
		})
	}
}

func TestANonFinitePercentileLeavesTheOtherEvidence(t *testing.T) {
	tests := []struct {
		name    string
		latency func(pmetric.Metric, pcommon.Timestamp, pcommon.Timestamp)
	}{
		// In ms the bounds overflow to +Inf: the p99 interpolates between +Inf and +Inf.
		{"explicit bounds in minutes overflowing float64", explicitLatency("min", []float64{1, 1e305, 1e306}, 2, 20)},
		{"an exponential histogram at scale 0 from offset 1024", exponentialLatency("ms", 0, 1024, 20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, testConfig(), t0)
			for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
				h.clock.set(at)
				h.consume(deltaLatency("drifting-model", at, 0.5, tt.latency))
			}
			h.evaluate(t0)
			jobs := h.jobs() // every record decodes
			require.Len(t, jobs, 1, "the accuracy job is not lost")
			assert.Equal(t, []string{"accuracy_drift"}, jobs[0].Reasons)
			assert.Equal(t, []job.Evidence{
				{Observer: "accuracy_drift", Statistic: "mean", Value: 0.5, Threshold: 0.8, Unit: "1", Samples: 30, Flagged: true},
			}, jobs[0].Evidence, "latency_sla abstains")
			_, err := jobs[0].MarshalJSON()
			assert.NoError(t, err)
		})
	}
}

func TestThroughputFloorSeesAModelThatNearlyStopped(t *testing.T) {
	tests := []struct {
		name   string
		per10s int // predictions between exports
		rate   float64
		want   bool
	}{
		{"nearly stopped: 0.1/s, far below min_samples", 1, 0.1, true},
		{"stopped, its counter still reported", 0, 0, true},
		{"serving 2/s", 20, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			observerConfig[*observer.ThroughputFloorConfig](t, cfg, "throughput_floor").Enabled = true // min_rate 1/s, min_samples 100, window 5m
			h := newHarness(t, cfg, t0)
			a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
			a.accuracy = 0.95
			// Watched for longer than the window.
			for at := t0.Add(-10 * time.Minute); at.Before(t0); at = at.Add(10 * time.Second) {
				a.serve(tt.per10s, 20)
				h.clock.set(at)
				h.consume(a.export(at))
			}
			h.evaluate(t0)
			jobs := h.jobs()
			if !tt.want {
				assert.Empty(t, jobs)
				return
			}
			require.Len(t, jobs, 1)
			assert.Equal(t, []string{"throughput_floor"}, jobs[0].Reasons)
			// Latency and accuracy are below min_samples; the counter's 30 points in the window.
			require.Len(t, jobs[0].Evidence, 1, "%+v", jobs[0].Evidence)
			ev := jobs[0].Evidence[0]
			assert.Equal(t, "throughput_floor", ev.Observer)
			assert.InDelta(t, tt.rate, ev.Value, 0.01)
			assert.True(t, ev.Flagged)
			assert.Equal(t, uint64(30), ev.Samples)
			assert.False(t, math.IsNaN(ev.Value))
		})
	}
}
