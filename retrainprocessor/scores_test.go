package retrainprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
)

// scoreBounds are the explicit bounds an app's View gives the score histogram.
var scoreBounds = []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}

// Score shapes, per 100 predictions, over the ten buckets of scoreBounds.
var (
	// steady is a Beta(3,7)-like shape: mean about 0.3.
	steady = []uint64{5, 20, 25, 20, 13, 8, 5, 2, 1, 1}
	// shifted moved to the right: mean about 0.45.
	shifted = []uint64{1, 5, 12, 18, 22, 18, 12, 7, 3, 2}
	// confident is sure of most predictions: estimated accuracy about 0.9.
	confident = []uint64{40, 10, 3, 1, 1, 1, 1, 3, 10, 30}
	// unsure has scores near the decision threshold: estimated accuracy about 0.6.
	unsure = []uint64{1, 2, 4, 13, 30, 30, 13, 4, 2, 1}
)

// scoreApp plays an app that records its prediction scores in a cumulative explicit histogram,
// as the OpenTelemetry SDK does with a View setting scoreBounds.
type scoreApp struct {
	resource map[string]any
	start    time.Time
	bounds   []float64
	counts   []uint64
	total    uint64
}

func newScoreApp(model, version string, start time.Time) *scoreApp {
	res := map[string]any{"service.name": model + "-api", "ml.model.id": model}
	if version != "" {
		res["ml.model.version"] = version
	}
	return &scoreApp{resource: res, start: start, bounds: scoreBounds, counts: make([]uint64, len(scoreBounds)+1)}
}

// serve records times × shape predictions.
func (a *scoreApp) serve(shape []uint64, times uint64) {
	for i, c := range shape {
		a.counts[i] += c * times
		a.total += c * times
	}
}

func (a *scoreApp) export(at time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	if err := rm.Resource().Attributes().FromRaw(a.resource); err != nil {
		panic(err)
	}
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("ml.model.score")
	m.SetUnit("1")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := h.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(a.start))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
	dp.SetCount(a.total)
	dp.ExplicitBounds().FromRaw(a.bounds)
	dp.BucketCounts().FromRaw(a.counts)
	dp.SetMin(0.01)
	dp.SetMax(0.99)
	return md
}

// driftConfig watches only the score signal: prediction_drift pinned over 10 minutes with 500
// samples a side, or estimated_accuracy.
func driftConfig(t *testing.T, observers ...string) *Config {
	cfg := testConfig()
	for _, k := range observer.Kinds() {
		enabled := false
		for _, o := range observers {
			enabled = enabled || o == k.Name
		}
		switch c := cfg.Observers.get(k.Name).(type) {
		case *observer.LatencySLAConfig:
			c.Enabled = enabled
		case *observer.AccuracyDriftConfig:
			c.Enabled = enabled
		case *observer.ThroughputFloorConfig:
			c.Enabled = enabled
		case *observer.PredictionDriftConfig:
			c.Enabled, c.ReferenceWindow = enabled, 10*time.Minute
		case *observer.EstimatedAccuracyConfig:
			c.Enabled = enabled
		default:
			t.Fatalf("driftConfig does not know observer %s", k.Name)
		}
	}
	return cfg
}

// serveScores has a export shape×times every 10 s over (from, until], evaluating at every minute.
func serveScores(n *node, a *scoreApp, shape []uint64, times uint64, from, until time.Time) {
	for ts := from.Add(10 * time.Second); !ts.After(until); ts = ts.Add(10 * time.Second) {
		n.clock.set(ts)
		a.serve(shape, times)
		n.p.ingest(context.Background(), a.export(ts))
		if ts.Truncate(time.Minute).Equal(ts) {
			n.p.evaluate(context.Background(), ts)
		}
	}
}

func driftEvidence(t *testing.T, j job.Job) job.Evidence {
	t.Helper()
	for _, ev := range j.Evidence {
		if ev.Observer == "prediction_drift" {
			return ev
		}
	}
	t.Fatalf("job %s has no prediction_drift evidence: %+v", j.ID, j.Evidence)
	return job.Evidence{}
}

func TestPredictionDriftPinsAReferenceAndFlagsAShift(t *testing.T) {
	sink := new(consumertest.LogsSink)
	n := startNode(t, driftConfig(t, "prediction_drift"), nodeOptions{now: t0, logs: sink})
	a := newScoreApp("churn", "3", t0.Add(-time.Hour))
	// 100 scores every 10 s: the reference is pinned after its 10 minutes.
	serveScores(n, a, steady, 1, t0, t0.Add(15*time.Minute))
	assert.Empty(t, decodeJobs(t, sink.AllLogs()), "steady scores do not drift")
	require.Equal(t, 1, n.logs.FilterMessage("Pinned the drift reference of a model").Len())

	serveScores(n, a, shifted, 1, t0.Add(15*time.Minute), t0.Add(21*time.Minute))
	jobs := decodeJobs(t, sink.AllLogs())
	require.NotEmpty(t, jobs)
	ev := driftEvidence(t, jobs[0])
	assert.Equal(t, "psi", ev.Statistic)
	assert.Equal(t, "1", ev.Unit)
	assert.Equal(t, 0.2, ev.Threshold)
	assert.True(t, ev.Flagged)
	assert.GreaterOrEqual(t, ev.Value, 0.2)
	assert.GreaterOrEqual(t, ev.Samples, uint64(500))
	assert.Equal(t, []string{"prediction_drift"}, jobs[0].Reasons)
}

func TestAPinnedReferenceSurvivesARestartWithFileStorage(t *testing.T) {
	dir := t.TempDir()
	a := newScoreApp("churn", "3", t0.Add(-time.Hour))
	n := startNode(t, driftConfig(t, "prediction_drift"), nodeOptions{dir: dir, now: t0})
	serveScores(n, a, steady, 1, t0, t0.Add(15*time.Minute))
	require.Equal(t, 1, n.logs.FilterMessage("Pinned the drift reference of a model").Len())
	n.stop()

	// After the restart the app's scores have shifted: compared with the stored reference, the
	// first full window fires; a reference pinned anew from the shifted scores would not.
	sink := new(consumertest.LogsSink)
	n = startNode(t, driftConfig(t, "prediction_drift"), nodeOptions{dir: dir, now: t0.Add(16 * time.Minute), logs: sink})
	serveScores(n, a, shifted, 1, t0.Add(16*time.Minute), t0.Add(22*time.Minute))
	assert.Zero(t, n.logs.FilterMessage("Pinned the drift reference of a model").Len(), "the reference was restored, not pinned again")
	jobs := decodeJobs(t, sink.AllLogs())
	require.NotEmpty(t, jobs)
	ev := driftEvidence(t, jobs[0])
	assert.True(t, ev.Flagged)
}

func TestANewVersionPinsItsOwnReference(t *testing.T) {
	sink := new(consumertest.LogsSink)
	n := startNode(t, driftConfig(t, "prediction_drift"), nodeOptions{now: t0, logs: sink})
	v3 := newScoreApp("churn", "3", t0.Add(-time.Hour))
	serveScores(n, v3, steady, 1, t0, t0.Add(15*time.Minute))
	// Version 4 serves other scores from the start: its reference is its own, so no drift.
	v4 := newScoreApp("churn", "4", t0.Add(-time.Hour))
	serveScores(n, v4, shifted, 1, t0.Add(15*time.Minute), t0.Add(35*time.Minute))
	assert.Empty(t, decodeJobs(t, sink.AllLogs()))
	assert.Equal(t, 2, n.logs.FilterMessage("Pinned the drift reference of a model").Len())
}

func TestATrailingReferenceCatchesASuddenShift(t *testing.T) {
	cfg := driftConfig(t, "prediction_drift")
	pd := observerConfig[*observer.PredictionDriftConfig](t, cfg, "prediction_drift")
	pd.ReferenceMode = "trailing"
	sink := new(consumertest.LogsSink)
	n := startNode(t, cfg, nodeOptions{now: t0, logs: sink})
	a := newScoreApp("churn", "", t0.Add(-time.Hour))
	serveScores(n, a, steady, 1, t0, t0.Add(20*time.Minute))
	assert.Empty(t, decodeJobs(t, sink.AllLogs()), "the trailing reference holds the same scores")
	assert.Zero(t, n.logs.FilterMessage("Pinned the drift reference of a model").Len(), "nothing is pinned")
	serveScores(n, a, shifted, 1, t0.Add(20*time.Minute), t0.Add(26*time.Minute))
	jobs := decodeJobs(t, sink.AllLogs())
	require.NotEmpty(t, jobs)
	ev := driftEvidence(t, jobs[0])
	assert.True(t, ev.Flagged)
	// The reference is the 10 minutes before the window.
	assert.Equal(t, jobs[0].WindowStart, ev.ReferenceEnd)
	assert.Equal(t, jobs[0].WindowStart.Add(-10*time.Minute), ev.ReferenceStart)
}

func TestChangedScoreBucketsPinANewReference(t *testing.T) {
	sink := new(consumertest.LogsSink)
	n := startNode(t, driftConfig(t, "prediction_drift"), nodeOptions{now: t0, logs: sink})
	a := newScoreApp("churn", "", t0.Add(-time.Hour))
	serveScores(n, a, steady, 1, t0, t0.Add(15*time.Minute))
	// The app ships new bounds: a new start, a new stream baseline.
	b := newScoreApp("churn", "", t0.Add(15*time.Minute))
	b.bounds = []float64{0.25, 0.5, 0.75}
	b.counts = make([]uint64, 4)
	quarter := []uint64{25, 25, 25, 25}
	serveScores(n, b, quarter, 1, t0.Add(15*time.Minute), t0.Add(40*time.Minute))
	assert.Equal(t, 1, n.logs.FilterMessage("The score histogram's buckets changed; pinning a new drift reference").Len())
	assert.Equal(t, 2, n.logs.FilterMessage("Pinned the drift reference of a model").Len())
	assert.Empty(t, decodeJobs(t, sink.AllLogs()), "a bounds change is not drift")
}

func TestEstimatedAccuracyFlagsScoresThatLostConfidence(t *testing.T) {
	sink := new(consumertest.LogsSink)
	n := startNode(t, driftConfig(t, "estimated_accuracy"), nodeOptions{now: t0, logs: sink})
	a := newScoreApp("churn", "", t0.Add(-time.Hour))
	serveScores(n, a, confident, 1, t0, t0.Add(10*time.Minute))
	assert.Empty(t, decodeJobs(t, sink.AllLogs()), "confident scores imply accuracy near 0.9")
	serveScores(n, a, unsure, 1, t0.Add(10*time.Minute), t0.Add(16*time.Minute))
	jobs := decodeJobs(t, sink.AllLogs())
	require.NotEmpty(t, jobs)
	var ev job.Evidence
	for _, e := range jobs[0].Evidence {
		if e.Observer == "estimated_accuracy" {
			ev = e
		}
	}
	assert.Equal(t, "estimated", ev.Statistic)
	assert.True(t, ev.Flagged)
	assert.True(t, ev.Bounded)
	assert.Less(t, ev.Upper, 0.8)
	assert.LessOrEqual(t, ev.Lower, ev.Value)
	assert.LessOrEqual(t, ev.Value, ev.Upper)
}

func TestEstimatedAccuracyAbstainsWhenTheThresholdIsNotABound(t *testing.T) {
	cfg := driftConfig(t, "estimated_accuracy")
	observerConfig[*observer.EstimatedAccuracyConfig](t, cfg, "estimated_accuracy").DecisionThreshold = 0.55
	sink := new(consumertest.LogsSink)
	n := startNode(t, cfg, nodeOptions{now: t0, logs: sink})
	a := newScoreApp("churn", "", t0.Add(-time.Hour))
	serveScores(n, a, unsure, 1, t0, t0.Add(6*time.Minute))
	assert.Empty(t, decodeJobs(t, sink.AllLogs()))
	metadatatest.AssertEqualProcessorRetrainAbstentions(t, n.tel, []metricdata.DataPoint[int64]{
		{Value: 6, Attributes: withID(attribute.String("observer", "estimated_accuracy"), attribute.String("outcome", "not_a_bound"))},
	}, metricdatatest.IgnoreTimestamp())
}

func TestScoresOutsideTheUnitIntervalAreBadValues(t *testing.T) {
	tests := []struct {
		name   string
		change func(dp pmetric.HistogramDataPoint)
	}{
		{"a max above 1", func(dp pmetric.HistogramDataPoint) { dp.SetMax(1.5) }},
		{"a negative min", func(dp pmetric.HistogramDataPoint) { dp.SetMin(-0.1) }},
		{"a count above a last bound of 1", func(dp pmetric.HistogramDataPoint) {
			dp.RemoveMax()
			dp.ExplicitBounds().FromRaw([]float64{0.5, 1})
			dp.BucketCounts().FromRaw([]uint64{1, 1, 1})
			dp.SetCount(3)
		}},
		{"a count in a finite bucket above 1", func(dp pmetric.HistogramDataPoint) {
			dp.RemoveMax()
			dp.ExplicitBounds().FromRaw([]float64{0.5, 1, 2})
			dp.BucketCounts().FromRaw([]uint64{1, 1, 5, 0})
			dp.SetCount(7)
		}},
		{"a negative bound", func(dp pmetric.HistogramDataPoint) {
			dp.ExplicitBounds().FromRaw([]float64{-0.5, 0.5})
			dp.BucketCounts().FromRaw([]uint64{0, 1, 1})
			dp.SetCount(2)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, driftConfig(t, "estimated_accuracy"), t0)
			a := newScoreApp("churn", "", t0.Add(-time.Hour))
			a.serve(steady, 1)
			md := a.export(t0)
			tt.change(md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0))
			h.consume(md)
			assert.Equal(t, 1, h.metrics.DataPointCount(), "the point passes through")
			metadatatest.AssertEqualProcessorRetrainDataPointsSkipped(t, h.tel, []metricdata.DataPoint[int64]{
				{Value: 1, Attributes: withID(attribute.String("reason", "bad_value"))},
			}, metricdatatest.IgnoreTimestamp())
		})
	}
}

func TestExponentialScoresAboveOneAreBadValues(t *testing.T) {
	h := newHarness(t, driftConfig(t, "estimated_accuracy"), t0)
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("ml.model.id", "churn")
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("ml.model.score")
	eh := m.SetEmptyExponentialHistogram()
	eh.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	for _, offset := range []int32{-3, 0} { // scale -1, base 4: (4^-3, 4^-1] is fine, (1, 16] above 1
		dp := eh.DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t0))
		dp.SetScale(-1)
		dp.Positive().SetOffset(offset)
		dp.Positive().BucketCounts().FromRaw([]uint64{2, 3})
		dp.SetCount(5)
	}
	h.consume(md)
	metadatatest.AssertEqualProcessorRetrainDataPointsSkipped(t, h.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: withID(attribute.String("reason", "bad_value"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRetrainDataPoints(t, h.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: withID(attribute.String("signal", "score"))},
	}, metricdatatest.IgnoreTimestamp())
}

func TestScoreHistogramsOfTooManyBucketsAreSkipped(t *testing.T) {
	h := newHarness(t, driftConfig(t, "estimated_accuracy"), t0)
	a := newScoreApp("churn", "", t0.Add(-time.Hour))
	a.bounds = make([]float64, maxScoreBuckets) // one bucket more than a score point may have
	for i := range a.bounds {
		a.bounds[i] = float64(i+1) / float64(maxScoreBuckets+1)
	}
	a.counts = make([]uint64, maxScoreBuckets+1)
	a.counts[3], a.total = 5, 5
	h.consume(a.export(t0))
	metadatatest.AssertEqualProcessorRetrainDataPointsSkipped(t, h.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: withID(attribute.String("reason", "over_max_buckets_per_point"))},
	}, metricdatatest.IgnoreTimestamp())
}

// serveEvery has a export shape every 10 s over (from, until] and evaluates at every multiple of
// interval, as the ticker would.
func serveEvery(n *node, a *scoreApp, shape []uint64, interval time.Duration, from, until time.Time) {
	for ts := from.Add(10 * time.Second); !ts.After(until); ts = ts.Add(10 * time.Second) {
		n.clock.set(ts)
		a.serve(shape, 1)
		n.p.ingest(context.Background(), a.export(ts))
		if ts.Truncate(interval).Equal(ts) {
			n.p.evaluate(context.Background(), ts)
		}
	}
}

func TestAPinnedReferenceFreezesWhenSlotsAreNotOnTicks(t *testing.T) {
	tests := []struct {
		name   string
		change func(cfg *Config)
	}{
		{"a window of more than 64 intervals", func(cfg *Config) {
			cfg.Window, cfg.EvaluationInterval = time.Hour, 30*time.Second // slots of 56.25 s
		}},
		{"another model's long trailing reference widens the slots", func(cfg *Config) {
			cfg.Overrides = []OverrideConfig{override("other", map[string]map[string]any{
				"prediction_drift": {"reference": "trailing", "reference_window": "20h"},
			})}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := driftConfig(t, "prediction_drift")
			tt.change(cfg)
			n := startNode(t, cfg, nodeOptions{now: t0})
			require.NotEqual(t, int64(0), int64(cfg.EvaluationInterval)%n.p.scoreLayout.Width, "the slots are not on the ticks")
			a := newScoreApp("churn", "", t0.Add(-time.Hour))
			serveEvery(n, a, steady, cfg.EvaluationInterval, t0, t0.Add(cfg.Window+30*time.Minute))
			assert.Equal(t, 1, n.logs.FilterMessage("Pinned the drift reference of a model").Len())
		})
	}
}

func TestATrailingReferenceLongerThanTheRingCanHoldIsRefused(t *testing.T) {
	cfg := driftConfig(t, "prediction_drift")
	cfg.Overrides = []OverrideConfig{override("other", map[string]map[string]any{
		"prediction_drift": {"reference": "trailing", "reference_window": "24h"},
	})}
	assert.ErrorContains(t, cfg.Validate(),
		"overrides[0]::prediction_drift::reference_window must be at most 255 windows (21h15m0s) for a trailing reference (got 24h0m0s)")
}

func TestAStoredReferenceBelowARaisedMinSamplesIsPinnedAgain(t *testing.T) {
	dir := t.TempDir()
	a := newScoreApp("churn", "3", t0.Add(-time.Hour))
	n := startNode(t, driftConfig(t, "prediction_drift"), nodeOptions{dir: dir, now: t0})
	serveScores(n, a, steady, 1, t0, t0.Add(12*time.Minute))
	require.Equal(t, 1, n.logs.FilterMessage("Pinned the drift reference of a model").Len())
	n.stop()

	cfg := driftConfig(t, "prediction_drift")
	observerConfig[*observer.PredictionDriftConfig](t, cfg, "prediction_drift").MinSamples = 10000
	n = startNode(t, cfg, nodeOptions{dir: dir, now: t0.Add(13 * time.Minute)})
	serveScores(n, a, steady, 2, t0.Add(13*time.Minute), t0.Add(40*time.Minute))
	assert.Equal(t, 1, n.logs.FilterMessageSnippet("fewer scores or a shorter span than the config asks").Len())
	assert.Equal(t, 1, n.logs.FilterMessage("Pinned the drift reference of a model").Len(), "a reference of 10000 scores")
}

func TestAReferenceIsForgottenAWeekAfterItsModelWasLastSeenAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	a := newScoreApp("churn", "3", t0.Add(-time.Hour))
	n := startNode(t, driftConfig(t, "prediction_drift"), nodeOptions{dir: dir, now: t0})
	serveScores(n, a, steady, 1, t0, t0.Add(12*time.Minute))
	require.Equal(t, 1, n.logs.FilterMessage("Pinned the drift reference of a model").Len())
	n.stop()
	key := modelKey{model: "churn", version: "3"}
	// The model sends nothing more; the collector restarts every few days.
	for _, day := range []int{3, 6} {
		at := t0.Add(time.Duration(day) * 24 * time.Hour)
		n = startNode(t, driftConfig(t, "prediction_drift"), nodeOptions{dir: dir, now: at})
		n.p.evaluate(context.Background(), at)
		require.NotNil(t, n.p.eval.decisions[key], "day %d: kept", day)
		n.stop()
	}
	at := t0.Add(8 * 24 * time.Hour)
	n = startNode(t, driftConfig(t, "prediction_drift"), nodeOptions{dir: dir, now: at})
	n.p.evaluate(context.Background(), at)
	n.p.evaluate(context.Background(), at.Add(time.Minute))
	assert.Nil(t, n.p.eval.decisions[key], "forgotten a week after it was last seen, restarts or not")
}
