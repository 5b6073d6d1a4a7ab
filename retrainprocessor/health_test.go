package retrainprocessor

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
)

// healthByModel reads one health batch: per model id, each gauge keyed as name{attr=value}.
func healthByModel(t *testing.T, md pmetric.Metrics) map[string]map[string]float64 {
	t.Helper()
	out := map[string]map[string]float64{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		id, ok := rm.Resource().Attributes().Get("ml.model.id")
		require.True(t, ok, "a health resource is the model's")
		gauges := map[string]float64{}
		require.Equal(t, 1, rm.ScopeMetrics().Len())
		sm := rm.ScopeMetrics().At(0)
		assert.Equal(t, metadata.ScopeName, sm.Scope().Name())
		for j := 0; j < sm.Metrics().Len(); j++ {
			m := sm.Metrics().At(j)
			require.Equal(t, pmetric.MetricTypeGauge, m.Type(), m.Name())
			require.Equal(t, 1, m.Gauge().DataPoints().Len())
			dp := m.Gauge().DataPoints().At(0)
			key := m.Name()
			dp.Attributes().Range(func(k string, v pcommon.Value) bool {
				key += "{" + k + "=" + v.AsString() + "}"
				return true
			})
			v := dp.DoubleValue()
			if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
				v = float64(dp.IntValue())
			}
			gauges[key] = v
		}
		out[id.Str()] = gauges
	}
	return out
}

func roundGauges(in map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(in))
	for k, v := range in {
		out[k] = math.Round(v*1e9) / 1e9
	}
	return out
}

// healthBatches returns what the sink got that is health metrics, by evaluation.
func healthBatches(t *testing.T, sink *consumertest.MetricsSink) []map[string]map[string]float64 {
	t.Helper()
	var out []map[string]map[string]float64
	for _, md := range sink.AllMetrics() {
		rms := md.ResourceMetrics()
		if rms.Len() > 0 && rms.At(0).ScopeMetrics().Len() > 0 && rms.At(0).ScopeMetrics().At(0).Scope().Name() == metadata.ScopeName {
			out = append(out, healthByModel(t, md))
		}
	}
	return out
}

func TestHealthStatesFollowTheDecision(t *testing.T) {
	cfg := testConfig()
	cfg.Strategy.For = 2 * time.Minute
	h := newHarness(t, cfg, t0)
	sick := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	sick.accuracy = 0.5
	quiet := newApp("reco-api", "recommender", "", t0.Add(-time.Hour))
	quiet.accuracy = 0.95
	at := t0.Add(-5 * time.Minute)
	for _, end := range []time.Time{t0, t0.Add(time.Minute), t0.Add(2 * time.Minute), t0.Add(3 * time.Minute)} {
		for ; at.Before(end); at = at.Add(10 * time.Second) {
			h.clock.set(at)
			sick.serve(20, 20)
			h.consume(sick.export(at))
			quiet.serve(1, 20) // a prediction per 10 s: 30 a window, below min_samples
			h.consume(quiet.export(at))
		}
		h.clock.set(end)
		h.evaluate(end)
	}
	batches := healthBatches(t, h.metrics)
	require.Len(t, batches, 4, "one batch per evaluation")
	var sickStates, quietStates []string
	for _, b := range batches {
		sickStates = append(sickStates, stateOf(t, b["fraud-detector"]))
		quietStates = append(quietStates, stateOf(t, b["recommender"]))
	}
	assert.Equal(t, []string{"pending", "pending", "cooldown", "cooldown"}, sickStates, "for: 2m, then the job and its cooldown")
	assert.Equal(t, []string{"insufficient_data", "insufficient_data", "insufficient_data", "insufficient_data"}, quietStates)
	require.Len(t, h.jobs(), 1)
	assert.InDelta(t, 0.5, batches[3]["fraud-detector"]["retrain.model.accuracy"], 1e-9)
	_, judged := batches[0]["recommender"]["retrain.model.accuracy"]
	assert.False(t, judged, "an observer that abstained has no gauge")
}

func stateOf(t *testing.T, gauges map[string]float64) string {
	t.Helper()
	var states []string
	for k := range gauges {
		if s, ok := cutPrefixSuffix(k, "retrain.model.state{state=", "}"); ok {
			states = append(states, s)
		}
	}
	require.Len(t, states, 1, "one state per model: %v", gauges)
	return states[0]
}

func cutPrefixSuffix(s, prefix, suffix string) (string, bool) {
	if len(s) < len(prefix)+len(suffix) || s[:len(prefix)] != prefix || s[len(s)-len(suffix):] != suffix {
		return "", false
	}
	return s[len(prefix) : len(s)-len(suffix)], true
}

func TestHealthMetricsCanBeTurnedOff(t *testing.T) {
	cfg := testConfig()
	cfg.HealthMetrics.Enabled = false
	h := newHarness(t, cfg, t0)
	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	h.consume(a.export(t0.Add(-time.Minute)))
	h.evaluate(t0)
	assert.Len(t, h.metrics.AllMetrics(), 1, "only the app's request")
}

func TestHealthGoesToEveryMetricsPipelineAsItsOwnCopy(t *testing.T) {
	cfg := testConfig()
	f := NewFactory()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := metadatatest.NewSettings(tel)
	sinks := []*consumertest.MetricsSink{new(consumertest.MetricsSink), new(consumertest.MetricsSink)}
	var p *retrainProcessor
	for _, sink := range sinks {
		mp, err := f.CreateMetrics(context.Background(), set, cfg, sink)
		require.NoError(t, err)
		p = mp.(*metricsProcessor).shared
	}
	_, err := f.CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	p.now = newClock(t0).now
	a := newApp("fraud-api", "fraud-detector", "", t0.Add(-time.Hour))
	p.ingest(context.Background(), a.export(t0.Add(-time.Minute)))
	p.evaluate(context.Background(), t0)
	require.Len(t, healthBatches(t, sinks[0]), 1)
	require.Len(t, healthBatches(t, sinks[1]), 1)
	first, other := sinks[0].AllMetrics()[0], sinks[1].AllMetrics()[0]
	first.ResourceMetrics().At(0).Resource().Attributes().PutStr("changed", "by the first pipeline")
	_, changed := other.ResourceMetrics().At(0).Resource().Attributes().Get("changed")
	assert.False(t, changed, "one pipeline's change does not reach the other")
}
