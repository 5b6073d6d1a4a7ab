package retrainprocessor

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
)

// fakeObserver flags with whatever value it is given.
type fakeObserver struct{ value float64 }

func (*fakeObserver) Name() string { return "fake" }
func (f *fakeObserver) Observe(*observer.Stats) (observer.Finding, observer.Outcome) {
	return observer.Finding{Statistic: "x", Value: f.value, Threshold: 1, Unit: "1", Samples: 1, Flagged: true}, observer.Observed
}

func TestAJobThatCannotBeEncodedStartsNoCooldown(t *testing.T) {
	sink := new(consumertest.LogsSink)
	n := startNode(t, testConfig(), nodeOptions{logs: sink, now: t0})
	fake := &fakeObserver{value: math.NaN()}
	n.p.observers = []evalObserver{{Observer: fake}}
	n.degradeAndEvaluate(degraded("a"), t0)
	assert.Zero(t, sink.LogRecordCount(), "a job with a NaN statistic is not sent")
	metadatatest.AssertEqualProcessorRetrainJobsDropped(t, n.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: withID(attribute.String("reason", "invalid"))},
	}, metricdatatest.IgnoreTimestamp())
	assert.Equal(t, 1, n.logs.FilterMessageSnippet("no cooldown started").Len())

	fake.value = 2
	n.degradeAndEvaluate(degraded("a"), t0.Add(time.Minute))
	jobs := decodeJobs(t, sink.AllLogs())
	require.Len(t, jobs, 1, "no cooldown hides the next, valid decision")
	assert.Equal(t, t0.Add(time.Minute), jobs[0].RequestedAt)
}

func TestAnUnresolvedPercentileIsCountedAndExplainedOncePerModel(t *testing.T) {
	n := startNode(t, testConfig(), nodeOptions{now: t0})
	for i := range 3 {
		end := t0.Add(time.Duration(i) * time.Minute)
		for at := end.Add(-295 * time.Second); at.Before(end); at = at.Add(10 * time.Second) {
			n.clock.set(at)
			n.p.ingest(context.Background(), deltaLatency("web-model", at, 0.95, explicitLatency("s", jsBounds, 1, 20)))
		}
		n.clock.set(end)
		n.p.evaluate(context.Background(), end)
	}
	metadatatest.AssertEqualProcessorRetrainAbstentions(t, n.tel, []metricdata.DataPoint[int64]{
		{Value: 3, Attributes: withID(attribute.String("observer", "latency_sla"), attribute.String("outcome", "unresolved"))},
	}, metricdatatest.IgnoreTimestamp())
	lines := n.logs.FilterMessageSnippet("straddles its threshold").All()
	require.Len(t, lines, 1, "said once per model, not at every evaluation")
	f := lines[0].ContextMap()
	assert.Equal(t, "web-model", f["model"])
	assert.Equal(t, 0.0, f["bucket_lower"])
	assert.Equal(t, 5000.0, f["bucket_upper"])
	assert.Equal(t, 100.0, f["threshold"])
}

func TestAbstentionsAreCountedByObserverAndOutcome(t *testing.T) {
	cfg := testConfig()
	observerConfig[*observer.ThroughputFloorConfig](t, cfg, "throughput_floor").Enabled = true
	n := startNode(t, cfg, nodeOptions{now: t0})
	a := newApp("svc", "m", "", t0.Add(-time.Hour))
	a.accuracy = 0.95
	n.clock.set(t0.Add(-10 * time.Second))
	for ts := t0.Add(-10 * time.Second); ts.Before(t0); ts = ts.Add(5 * time.Second) {
		a.serve(10, 20)
		n.p.ingest(context.Background(), a.export(ts))
	}
	n.p.evaluate(context.Background(), t0)
	// 10 predictions after the baseline: below min_samples; the model was seen 10 s of a 5 m window.
	metadatatest.AssertEqualProcessorRetrainAbstentions(t, n.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: withID(attribute.String("observer", "latency_sla"), attribute.String("outcome", "few_samples"))},
		{Value: 1, Attributes: withID(attribute.String("observer", "accuracy_drift"), attribute.String("outcome", "few_samples"))},
		{Value: 1, Attributes: withID(attribute.String("observer", "throughput_floor"), attribute.String("outcome", "few_samples"))},
	}, metricdatatest.IgnoreTimestamp())
}
