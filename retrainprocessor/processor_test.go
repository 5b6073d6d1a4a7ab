package retrainprocessor

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// TestSeedSmoke keeps the seed's smoke test: 105 events for dummy_model at 150 ms, 50 per second,
// accuracy 0.75, thresholds 100 ms and 0.8, cooldown 30 s → exactly one job, and none from a
// second evaluation inside the cooldown.
func TestSeedSmoke(t *testing.T) {
	cfg := testConfig()
	cfg.EvaluationInterval = 10 * time.Second
	cfg.Window = time.Minute
	cfg.Strategy.Cooldown = 30 * time.Second
	h := newHarness(t, cfg, t0)

	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("ml.model.id", "dummy_model")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	lat := ms.AppendEmpty()
	lat.SetName("ml.model.latency")
	lat.SetUnit("ms")
	acc := ms.AppendEmpty()
	acc.SetName("ml.model.accuracy")
	latPoints, accPoints := lat.SetEmptyGauge().DataPoints(), acc.SetEmptyGauge().DataPoints()
	first := t0.Add(-5 * time.Second)
	for i := range 105 { // one event every 20 ms: 50 per second
		ts := pcommon.NewTimestampFromTime(first.Add(time.Duration(i) * 20 * time.Millisecond))
		dp := latPoints.AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(150)
		dp = accPoints.AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(0.75)
	}
	h.consume(md)

	h.evaluate(t0)
	jobs := h.jobs()
	require.Len(t, jobs, 1)
	got := jobs[0]
	assert.Equal(t, "dummy_model", got.ModelID)
	assert.Equal(t, []string{"latency_sla", "accuracy_drift"}, got.Reasons)
	require.Len(t, got.Evidence, 2)
	assert.InEpsilon(t, 150, got.Evidence[0].Value, quantile.SketchRelativeError)
	assert.Equal(t, uint64(105), got.Evidence[0].Samples)
	assert.InDelta(t, 0.75, got.Evidence[1].Value, 1e-12)

	h.evaluate(t0.Add(10 * time.Second))
	h.evaluate(t0.Add(20 * time.Second))
	assert.Len(t, h.jobs(), 1, "evaluations inside the cooldown emit nothing")
	metadatatest.AssertEqualProcessorRetrainJobsSuppressed(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())

	h.evaluate(t0.Add(30 * time.Second))
	assert.Len(t, h.jobs(), 2, "the cooldown is over and the data is still in the window")
}

// TestJobFromSDKLikeCumulativeHistograms builds the processor with the real factory into both
// pipelines, feeds what the OpenTelemetry Go SDK sends, runs an evaluation, and checks the job
// record and that every metric reached the metrics pipeline unchanged.
func TestJobFromSDKLikeCumulativeHistograms(t *testing.T) {
	h := newHarness(t, testConfig(), t0)
	start := t0.Add(-time.Hour)
	slow := newApp("fraud-api", "fraud-detector", "3", start)
	slow.accuracy = 0.9
	fast := newApp("reco-api", "recommender", "7", start)
	fast.accuracy = 0.95

	var sent []pmetric.Metrics
	// Exports every 10 s from t0-295s to t0-5s; the first only sets each stream's baseline.
	for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
		slow.serve(20, 150)
		fast.serve(20, 20)
		md := slow.export(at)
		fast.export(at).ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
		unattributed := md.ResourceMetrics().AppendEmpty()
		unattributed.Resource().Attributes().PutStr("service.name", "batch-job")
		g := unattributed.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		g.SetName("ml.model.latency")
		g.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(1)

		want := pmetric.NewMetrics()
		md.CopyTo(want)
		sent = append(sent, want)
		h.clock.set(at)
		h.consume(md)
	}

	h.evaluate(t0)
	jobs := h.jobs()
	require.Len(t, jobs, 1, "only the slow model degrades")
	got := jobs[0]
	assert.Equal(t, job.NewID("fraud-detector", "3", t0), got.ID)
	assert.Equal(t, "fraud-detector", got.ModelID)
	assert.Equal(t, "3", got.ModelVersion)
	assert.Equal(t, []string{"latency_sla"}, got.Reasons)
	assert.Equal(t, "any", got.Strategy)
	assert.Equal(t, t0, got.RequestedAt)
	assert.Equal(t, t0.Add(-5*time.Minute), got.WindowStart)
	assert.Equal(t, t0, got.WindowEnd)
	assert.Equal(t, map[string]any{"service.name": "fraud-api", "ml.model.id": "fraud-detector", "ml.model.version": "3"}, got.Resource)
	// 29 deltas of 20 predictions; histogram_quantile puts p99 99% into the (100, 250] bucket.
	assert.Equal(t, []job.Evidence{
		{Observer: "latency_sla", Statistic: "p99", Value: 100 + 150*0.99, Lower: 100, Upper: 250, Bounded: true, Threshold: 100, Unit: "ms", Samples: 580, Flagged: true},
		{Observer: "accuracy_drift", Statistic: "mean", Value: 0.9, Threshold: 0.8, Unit: "1", Samples: 30, Flagged: false},
	}, roundEvidence(got.Evidence))

	// The record itself carries the contract.
	lr := h.logs.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	assert.Equal(t, job.EventName, lr.EventName())
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
	assert.Equal(t, metadata.ScopeName, h.logs.AllLogs()[0].ResourceLogs().At(0).ScopeLogs().At(0).Scope().Name())

	// Every request reached the metrics pipeline exactly as sent, and the evaluation appended the
	// health metrics: one resource per model, whose gauges are the evidence of the same tick.
	got2 := h.metrics.AllMetrics()
	require.Len(t, got2, len(sent)+1)
	health := healthByModel(t, got2[len(sent)])
	assert.Equal(t, map[string]float64{
		"retrain.model.latency{statistic=p99}": 100 + 150*0.99,
		"retrain.model.accuracy":               0.9,
		"retrain.model.state{state=cooldown}":  1,
	}, roundGauges(health["fraud-detector"]), "the job's model, in cooldown after it")
	m := &pmetric.ProtoMarshaler{}
	for i := range sent {
		want, err := m.MarshalMetrics(sent[i])
		require.NoError(t, err)
		have, err := m.MarshalMetrics(got2[i])
		require.NoError(t, err)
		require.Equal(t, want, have, "request %d changed", i)
	}
	metadatatest.AssertEqualProcessorRetrainDataPointsSkipped(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: withID(attribute.String("reason", "unattributed")), Value: int64(len(sent))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRetrainModels(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRetrainJobsEmitted(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
}

func roundEvidence(in []job.Evidence) []job.Evidence {
	out := make([]job.Evidence, len(in))
	for i, e := range in {
		e.Value = float64(int64(e.Value*1e9+0.5)) / 1e9
		out[i] = e
	}
	return out
}

func TestTwoCollectorsDeriveTheSameJobID(t *testing.T) {
	var ids []string
	for range 2 {
		h := newHarness(t, testConfig(), t0)
		a := newApp("fraud-api", "fraud-detector", "3", t0.Add(-time.Hour))
		a.accuracy = 0.5
		for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
			a.serve(10, 20)
			h.consume(a.export(at))
		}
		h.evaluate(t0)
		jobs := h.jobs()
		require.Len(t, jobs, 1)
		ids = append(ids, jobs[0].ID)
	}
	assert.Equal(t, ids[0], ids[1])
}

func TestMinSamplesGatesEvaluation(t *testing.T) {
	cfg := testConfig()
	cfg.MinSamples = 1000
	h := newHarness(t, cfg, t0)
	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	a.accuracy = 0.1
	for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
		a.serve(20, 500) // 580 predictions in the window: fewer than min_samples
		h.consume(a.export(at))
	}
	h.evaluate(t0)
	assert.Empty(t, h.jobs())
}

func TestAnObserverWithoutDataAbstains(t *testing.T) {
	cfg := testConfig()
	cfg.Strategy.Vote = "all"
	h := newHarness(t, cfg, t0)
	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
		a.serve(20, 500)
		md := a.export(at)
		// Drop the accuracy gauge: accuracy_drift has no data.
		md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().RemoveIf(func(m pmetric.Metric) bool {
			return m.Name() == "ml.model.accuracy"
		})
		h.consume(md)
	}
	h.evaluate(t0)
	assert.Empty(t, h.jobs(), "vote all: an abstaining observer does not flag")
}

func TestVotes(t *testing.T) {
	tests := []struct {
		vote string
		want int
	}{
		{"any", 1}, {"majority", 0}, {"all", 0},
	}
	for _, tt := range tests {
		t.Run(tt.vote, func(t *testing.T) {
			cfg := testConfig()
			cfg.Strategy.Vote = tt.vote
			observerConfig[*observer.ThroughputFloorConfig](t, cfg, "throughput_floor").Enabled = true
			h := newHarness(t, cfg, t0)
			a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
			a.accuracy = 0.95
			for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
				a.serve(20, 500) // latency flags; accuracy and throughput (2/s ≥ 1/s) do not
				h.consume(a.export(at))
			}
			h.evaluate(t0)
			assert.Len(t, h.jobs(), tt.want)
		})
	}
}

func TestForDelaysTheJobUntilTheVoteHeld(t *testing.T) {
	cfg := testConfig()
	cfg.Strategy.For = 2 * time.Minute
	h := newHarness(t, cfg, t0)
	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	a.accuracy = 0.95
	at := t0.Add(-295 * time.Second)
	feedUntil := func(end time.Time) {
		for ; at.Before(end); at = at.Add(10 * time.Second) {
			a.serve(20, 500)
			h.consume(a.export(at))
		}
	}
	feedUntil(t0)
	h.evaluate(t0)
	feedUntil(t0.Add(time.Minute))
	h.evaluate(t0.Add(time.Minute))
	assert.Empty(t, h.jobs(), "held for one minute of two")
	feedUntil(t0.Add(2 * time.Minute))
	h.evaluate(t0.Add(2 * time.Minute))
	require.Len(t, h.jobs(), 1)
	assert.Equal(t, t0.Add(2*time.Minute), h.jobs()[0].RequestedAt)
}

func TestOverridesChangeThresholdsPerModel(t *testing.T) {
	cfg := testConfig()
	threshold := 2 * time.Second
	cfg.Overrides = []OverrideConfig{override("fraud-detector", map[string]map[string]any{"latency_sla": {"threshold": threshold}})}
	h := newHarness(t, cfg, t0)
	tolerant := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	strict := newApp("reco-api", "recommender", "", t0.Add(-time.Hour))
	tolerant.accuracy, strict.accuracy = 0.95, 0.95
	for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
		tolerant.serve(20, 500)
		strict.serve(20, 500)
		h.consume(tolerant.export(at))
		h.consume(strict.export(at))
	}
	h.evaluate(t0)
	jobs := h.jobs()
	require.Len(t, jobs, 1)
	assert.Equal(t, "recommender", jobs[0].ModelID)
}

func TestCumulativeResetStartsANewBaseline(t *testing.T) {
	h := newHarness(t, testConfig(), t0)
	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	a.accuracy = 0.95
	at := t0.Add(-295 * time.Second)
	for i := 0; at.Before(t0); i, at = i+1, at.Add(10*time.Second) {
		if i == 15 { // the app restarts: new start time, counters from zero
			restarted := newApp("fraud-api", "fraud-detector", "", at.Add(-time.Second))
			restarted.accuracy = 0.95
			a = restarted
		}
		a.serve(20, 20)
		h.consume(a.export(at))
	}
	h.evaluate(t0)
	s := &h.p.eval.summary
	// 30 exports, two baselines (first point, restart): 28 deltas of 20.
	assert.Equal(t, uint64(560), s.Count())
}

func TestBadInputIsSkippedAndCounted(t *testing.T) {
	h := newHarness(t, testConfig(), t0)
	md := pmetric.NewMetrics()

	// Unattributed: model attribute missing, or not a string or integer.
	for _, set := range []func(pcommon.Map){
		func(pcommon.Map) {},
		func(m pcommon.Map) { m.PutBool("ml.model.id", true) },
		func(m pcommon.Map) { m.PutStr("ml.model.id", "") },
	} {
		rm := md.ResourceMetrics().AppendEmpty()
		set(rm.Resource().Attributes())
		g := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		g.SetName("ml.model.accuracy")
		g.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(0.5)
	}

	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutInt("ml.model.id", 42) // an integer id is accepted
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	ts := pcommon.NewTimestampFromTime(t0.Add(-time.Second))

	acc := ms.AppendEmpty()
	acc.SetName("ml.model.accuracy")
	accPoints := acc.SetEmptyGauge().DataPoints()
	for _, v := range []float64{math.NaN(), 1.5, -0.1, 0.9} {
		dp := accPoints.AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(v)
	}
	noValue := acc.Gauge().DataPoints().AppendEmpty()
	noValue.SetTimestamp(ts)
	noValue.SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))

	lat := ms.AppendEmpty()
	lat.SetName("ml.model.latency")
	lat.SetUnit("ms")
	hist := lat.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	addHist := func(bounds []float64, counts []uint64, count uint64) {
		appendHistogramPoint(hist, ts, bounds, counts, count)
	}
	addHist([]float64{10, 100}, []uint64{1, 2}, 3)            // too few buckets
	addHist([]float64{10, 100}, []uint64{1, 2, 3}, 7)         // counts do not sum to count
	addHist([]float64{100, 10}, []uint64{1, 2, 3}, 6)         // bounds not increasing
	addHist([]float64{-5, 10}, []uint64{1, 2, 3}, 6)          // a negative latency
	addHist([]float64{10, math.Inf(1)}, []uint64{1, 2, 3}, 6) // an infinite bound
	addHist([]float64{10, 100}, []uint64{1, 2, 3}, 6)         // fine
	addHist([]float64{20, 200}, []uint64{1, 2, 3}, 6)         // other bounds in the same window

	wrong := ms.AppendEmpty()
	wrong.SetName("ml.model.predictions")
	wrong.SetEmptySum().SetIsMonotonic(false) // an up-down counter is no prediction count
	wrong.Sum().DataPoints().AppendEmpty().SetIntValue(5)

	unit := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	unit.SetName("ml.model.latency")
	unit.SetUnit("By")
	unit.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(3)

	require.NotPanics(t, func() { h.consume(md) })
	require.Len(t, h.metrics.AllMetrics(), 1, "bad input is still forwarded")

	reason := func(r string, n int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: withID(attribute.String("reason", r)), Value: n}
	}
	metadatatest.AssertEqualProcessorRetrainDataPointsSkipped(t, h.tel, []metricdata.DataPoint[int64]{
		reason("unattributed", 3),
		reason("bad_value", 4+5),
		reason("layout_mismatch", 1),
		reason("unknown_type", 1),
		reason("unknown_unit", 1),
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRetrainDataPoints(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: withID(attribute.String("signal", "accuracy")), Value: 1},
		{Attributes: withID(attribute.String("signal", "latency")), Value: 1},
	}, metricdatatest.IgnoreTimestamp())
}

func TestOutOfOrderAndDuplicatePointsAreCounted(t *testing.T) {
	h := newHarness(t, testConfig(), t0)
	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	a.serve(10, 20)
	h.consume(a.export(t0.Add(-time.Minute)))
	h.consume(a.export(t0.Add(-time.Minute)))     // duplicate
	h.consume(a.export(t0.Add(-2 * time.Minute))) // out of order
	metadatatest.AssertEqualProcessorRetrainDataPointsSkipped(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: withID(attribute.String("reason", "out_of_order")), Value: 4},
	}, metricdatatest.IgnoreTimestamp())
}

func TestMaxModelsSkipsNewModelsAndKeepsLiveOnes(t *testing.T) {
	cfg := testConfig()
	cfg.MaxModels = 2
	h := newHarness(t, cfg, t0)
	apps := []*app{
		newApp("a", "model-a", "", t0.Add(-time.Hour)),
		newApp("b", "model-b", "", t0.Add(-time.Hour)),
		newApp("c", "model-c", "", t0.Add(-time.Hour)),
	}
	for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
		for _, a := range apps {
			a.serve(20, 500)
			h.consume(a.export(at))
		}
	}
	h.evaluate(t0)
	var models []string
	for _, j := range h.jobs() {
		models = append(models, j.ModelID)
	}
	assert.ElementsMatch(t, []string{"model-a", "model-b"}, models)
	metadatatest.AssertEqualProcessorRetrainDataPointsSkipped(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: withID(attribute.String("reason", "over_max_models")), Value: 30 * 3},
	}, metricdatatest.IgnoreTimestamp())
}

func TestIdleModelsAreEvictedAndFreeTheirPlace(t *testing.T) {
	cfg := testConfig()
	cfg.MaxModels = 1
	h := newHarness(t, cfg, t0)
	old := newApp("a", "model-a", "", t0.Add(-time.Hour))
	h.consume(old.export(t0.Add(-time.Minute)))
	h.evaluate(t0)
	assert.Equal(t, int64(1), h.p.models.count.Load())
	// Ten minutes later nothing of model-a is in its window nor its streams: it is evicted.
	h.evaluate(t0.Add(10 * time.Minute))
	assert.Equal(t, int64(0), h.p.models.count.Load())
	h.consume(newApp("b", "model-b", "", t0).export(t0.Add(11 * time.Minute)))
	assert.Equal(t, int64(1), h.p.models.count.Load())
	metadatatest.AssertEqualProcessorRetrainModels(t, h.tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
}

// flakyLogs refuses the first `failures` batches.
type flakyLogs struct {
	consumertest.LogsSink
	mu       sync.Mutex
	failures int
}

func (f *flakyLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return errors.New("queue is full")
	}
	return f.LogsSink.ConsumeLogs(ctx, ld)
}

func TestRefusedJobsAreRetriedAtTheNextEvaluation(t *testing.T) {
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(context.Background())) }()
	cfg := testConfig()
	f := NewFactory()
	set := metadatatest.NewSettings(tel)
	logs := &flakyLogs{failures: 1}
	mp, err := f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	lp, err := f.CreateLogs(context.Background(), set, cfg, logs)
	require.NoError(t, err)
	p := mp.(*metricsProcessor).shared
	p.wait = func(time.Duration) <-chan time.Time { return nil }
	require.NoError(t, mp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, lp.Start(context.Background(), componenttest.NewNopHost()))
	defer func() {
		require.NoError(t, mp.Shutdown(context.Background()))
		require.NoError(t, lp.Shutdown(context.Background()))
	}()

	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	a.accuracy = 0.5
	for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
		a.serve(20, 20)
		require.NoError(t, mp.ConsumeMetrics(context.Background(), a.export(at)))
	}
	p.evaluate(context.Background(), t0)
	assert.Zero(t, countRecords(logs.AllLogs()))
	p.evaluate(context.Background(), t0.Add(time.Minute)) // in cooldown: only the retry goes out
	assert.Equal(t, 1, countRecords(logs.AllLogs()))
	metadatatest.AssertEqualProcessorRetrainJobsFailed(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRetrainJobsEmitted(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
}

func TestStartFailsWithoutALogsPipeline(t *testing.T) {
	f := NewFactory()
	cfg := testConfig()
	mp, err := f.CreateMetrics(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = mp.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorIs(t, err, errNoLogsPipeline)
	assert.ErrorContains(t, err, "add it to a logs pipeline")
	require.NoError(t, mp.Shutdown(context.Background()))
}

func TestLifecycleCanBeRepeated(t *testing.T) {
	f := NewFactory()
	cfg := testConfig()
	for range 2 {
		set := processortest.NewNopSettings(metadata.Type)
		mp, err := f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
		require.NoError(t, err)
		lp, err := f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
		require.NoError(t, err)
		host := componenttest.NewNopHost()
		require.NoError(t, lp.Start(context.Background(), host))
		require.NoError(t, mp.Start(context.Background(), host))
		require.NoError(t, mp.ConsumeMetrics(context.Background(), newApp("a", "m", "", t0).export(t0)))
		require.NoError(t, lp.ConsumeLogs(context.Background(), plog.NewLogs()))
		require.NoError(t, mp.Shutdown(context.Background()))
		require.NoError(t, lp.Shutdown(context.Background()))
	}
}

func TestErrorsOfTheNextConsumerAreReturned(t *testing.T) {
	f := NewFactory()
	cfg := testConfig()
	set := processortest.NewNopSettings(metadata.Type)
	boom := errors.New("boom")
	mp, err := f.CreateMetrics(context.Background(), set, cfg, consumertest.NewErr(boom))
	require.NoError(t, err)
	lp, err := f.CreateLogs(context.Background(), set, cfg, consumertest.NewErr(boom))
	require.NoError(t, err)
	assert.ErrorIs(t, mp.ConsumeMetrics(context.Background(), pmetric.NewMetrics()), boom)
	assert.ErrorIs(t, lp.ConsumeLogs(context.Background(), plog.NewLogs()), boom)
	assert.Equal(t, consumer.Capabilities{MutatesData: false}, mp.Capabilities())
	require.NoError(t, mp.Shutdown(context.Background()))
}

// TestTickerEvaluatesOnAlignedTicks drives the processor's own loop through its wait hook.
func TestTickerEvaluatesOnAlignedTicks(t *testing.T) {
	h := newHarness(t, testConfig(), t0.Add(-5*time.Second))
	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	a.accuracy = 0.5
	for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
		a.serve(20, 20)
		h.consume(a.export(at))
	}
	assert.Equal(t, 5*time.Second, <-h.waits, "the loop waits for the next whole minute")
	h.ticks <- t0
	<-h.waits // the loop asks for the next tick once the evaluation is done
	jobs := h.jobs()
	require.Len(t, jobs, 1)
	assert.Equal(t, t0, jobs[0].RequestedAt, "evaluated at the aligned tick, not at arrival")
}

func TestIngestDoesNotWaitForEvaluation(t *testing.T) {
	cfg := testConfig()
	cfg.HealthMetrics.Enabled = false // the sink counts the requests sent
	h := newHarness(t, cfg, t0)
	apps := make([]*app, 50)
	for i := range apps {
		apps[i] = newApp("svc", "model-"+string(rune('a'+i%26))+string(rune('a'+i/26)), "", t0.Add(-time.Hour))
		apps[i].accuracy = 0.5
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // evaluations racing with ingest: the race detector checks the locking
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				h.evaluate(t0.Add(time.Duration(i) * time.Minute))
			}
		}
	}()
	for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
		for _, a := range apps {
			a.serve(5, 20)
			h.consume(a.export(at))
		}
	}
	close(stop)
	wg.Wait()
	assert.Len(t, h.metrics.AllMetrics(), 30*len(apps))
}

func TestResourcesWithoutWatchedMetricsTakeNoModelPlace(t *testing.T) {
	h := newHarness(t, testConfig(), t0)
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("ml.model.id", "fraud-detector")
	g := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	g.SetName("process.cpu.utilization")
	g.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(0.5)
	h.consume(md)
	assert.Zero(t, h.p.models.count.Load())
	assert.Len(t, h.metrics.AllMetrics(), 1)
}

func TestEveryLogsPipelineReceivesTheJobs(t *testing.T) {
	cfg := testConfig()
	f := NewFactory()
	set := processortest.NewNopSettings(metadata.Type)
	first, second := new(consumertest.LogsSink), new(consumertest.LogsSink)
	mp, err := f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	lp1, err := f.CreateLogs(context.Background(), set, cfg, first)
	require.NoError(t, err)
	lp2, err := f.CreateLogs(context.Background(), set, cfg, second)
	require.NoError(t, err)
	p := mp.(*metricsProcessor).shared
	p.wait = func(time.Duration) <-chan time.Time { return nil }
	for _, c := range []interface {
		Start(context.Context, component.Host) error
	}{mp, lp1, lp2} {
		require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
	}
	defer func() {
		for _, c := range []component.Component{mp, lp1, lp2} {
			require.NoError(t, c.Shutdown(context.Background()))
		}
	}()

	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	a.accuracy = 0.5
	for at := t0.Add(-295 * time.Second); at.Before(t0); at = at.Add(10 * time.Second) {
		a.serve(20, 20)
		require.NoError(t, mp.ConsumeMetrics(context.Background(), a.export(at)))
	}
	p.evaluate(context.Background(), t0)
	require.Equal(t, 1, countRecords(first.AllLogs()))
	require.Equal(t, 1, countRecords(second.AllLogs()))
	// Each pipeline owns what it received: changing one leaves the other intact.
	first.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes().PutStr("changed", "yes")
	_, changed := second.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes().Get("changed")
	assert.False(t, changed)
}

// Delta explicit points whose bounds the window already holds are added straight into the slot;
// one that turns out bad there must leave the window as it was and still be counted.
func TestDeltaHistogramPointsAreAddedWhole(t *testing.T) {
	h := newHarness(t, testConfig(), t0)
	ts := pcommon.NewTimestampFromTime(t0.Add(-time.Second))
	send := func(unit string, bounds []float64, counts []uint64, count uint64) {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("ml.model.id", "m")
		lat := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		lat.SetName("ml.model.latency")
		lat.SetUnit(unit)
		hist := lat.SetEmptyHistogram()
		hist.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		appendHistogramPoint(hist, ts, bounds, counts, count)
		h.consume(md)
	}
	send("ms", []float64{10, 100}, []uint64{1, 2, 3}, 6)          // the window adopts these bounds
	send("ms", []float64{10, 100}, []uint64{4, 0, 0}, 5)          // counts do not sum to count
	send("ms", []float64{10, 100}, []uint64{^uint64(0), 1, 0}, 0) // sums to count only by wrapping around
	send("ms", []float64{10, 200}, []uint64{4, 0, 0}, 4)          // other bounds
	send("s", []float64{0.01, 0.1}, []uint64{0, 0, 2}, 2)         // the same bounds in seconds

	var s window.Summary
	m := h.p.models.snapshot(nil)
	require.Len(t, m, 1)
	m[0].window.Summarize(t0.Add(time.Minute).UnixNano(), &s)
	assert.Equal(t, uint64(8), s.Count(), "only the two good points")
	// 1, 2, 5 observations in (0,10], (10,100], (100,+Inf).
	p10, _ := s.Quantile(0.1)
	assert.LessOrEqual(t, p10.Value, 10.0)
	p20, _ := s.Quantile(0.2)
	assert.Greater(t, p20.Value, 10.0)
	p50, _ := s.Quantile(0.5)
	assert.Equal(t, 100.0, p50.Value, "the +Inf bucket reports the highest bound")

	reason := func(r string, n int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: withID(attribute.String("reason", r)), Value: n}
	}
	metadatatest.AssertEqualProcessorRetrainDataPointsSkipped(t, h.tel, []metricdata.DataPoint[int64]{
		reason("bad_value", 2),
		reason("layout_mismatch", 1),
	}, metricdatatest.IgnoreTimestamp())
}

// appendHistogramPoint appends a point covering the second before ts.
func appendHistogramPoint(hist pmetric.Histogram, ts pcommon.Timestamp, bounds []float64, counts []uint64, count uint64) {
	dp := hist.DataPoints().AppendEmpty()
	dp.SetTimestamp(ts)
	dp.SetStartTimestamp(ts - 1e9)
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(counts)
	dp.SetCount(count)
}
