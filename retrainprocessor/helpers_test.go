package retrainprocessor

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
)

// t0 is an evaluation tick: a multiple of every interval the tests use.
var t0 = time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)

// clock is a settable time source safe to read from the processor's goroutines.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }

// harness is the processor built by the real factory into a metrics and a logs pipeline whose
// next consumers are sinks. Its ticker never fires on its own: tests call evaluate.
type harness struct {
	t       *testing.T
	tel     *componenttest.Telemetry
	clock   *clock
	metrics *consumertest.MetricsSink
	logs    *consumertest.LogsSink
	mp      processor.Metrics
	lp      processor.Logs
	p       *retrainProcessor
	ticks   chan time.Time
	waits   chan time.Duration // what the loop asked to wait for
}

func newHarness(t *testing.T, cfg *Config, now time.Time) *harness {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) }) // after the processor's
	return newHarnessOn(t, cfg, now, tel, component.NewID(metadata.Type))
}

// newHarnessOn is newHarness with the component ID id, recording its telemetry into tel.
func newHarnessOn(t *testing.T, cfg *Config, now time.Time, tel *componenttest.Telemetry, id component.ID) *harness {
	t.Helper()
	require.NoError(t, cfg.Validate())
	h := &harness{
		t:       t,
		tel:     tel,
		clock:   newClock(now),
		metrics: new(consumertest.MetricsSink),
		logs:    new(consumertest.LogsSink),
		ticks:   make(chan time.Time),
		waits:   make(chan time.Duration, 64),
	}
	f := NewFactory()
	set := metadatatest.NewSettings(h.tel)
	set.ID = id
	var err error
	h.mp, err = f.CreateMetrics(context.Background(), set, cfg, h.metrics)
	require.NoError(t, err)
	h.lp, err = f.CreateLogs(context.Background(), set, cfg, h.logs)
	require.NoError(t, err)
	h.p = h.mp.(*metricsProcessor).shared
	require.Same(t, h.p, h.lp.(*logsProcessor).shared, "one instance per component")
	h.p.now = h.clock.now
	h.p.wait = func(d time.Duration) <-chan time.Time {
		select {
		case h.waits <- d:
		default:
		}
		return h.ticks
	}
	host := componenttest.NewNopHost()
	require.NoError(t, h.mp.Start(context.Background(), host))
	require.NoError(t, h.lp.Start(context.Background(), host))
	t.Cleanup(func() {
		require.NoError(t, h.mp.Shutdown(context.Background()))
		require.NoError(t, h.lp.Shutdown(context.Background()))
	})
	return h
}

func (h *harness) consume(md pmetric.Metrics) {
	h.t.Helper()
	require.NoError(h.t, h.mp.ConsumeMetrics(context.Background(), md))
}

func (h *harness) evaluate(at time.Time) {
	h.p.evaluate(context.Background(), at)
}

// jobs decodes every RetrainJob record the logs sink received so far.
func (h *harness) jobs() []job.Job {
	h.t.Helper()
	return decodeJobs(h.t, h.logs.AllLogs())
}

// decodeJobs decodes every RetrainJob record in lds.
func decodeJobs(t *testing.T, lds []plog.Logs) []job.Job {
	t.Helper()
	var out []job.Job
	for _, ld := range lds {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				lrs := rl.ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					jb, err := job.Decode(rl.Resource(), lrs.At(k))
					require.NoError(t, err)
					out = append(out, jb)
				}
			}
		}
	}
	return out
}

func testConfig() *Config {
	return createDefaultConfig().(*Config)
}

// sdkBounds are the OpenTelemetry Go SDK's default explicit bucket boundaries.
var sdkBounds = []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}

// app plays a serving app instrumented with the OpenTelemetry Go SDK's defaults: cumulative
// temporality, an explicit-bucket latency histogram in ms, a prediction counter and an accuracy gauge.
type app struct {
	resource    map[string]any
	start       time.Time
	counts      []uint64
	total       uint64
	sum         float64
	predictions int64
	accuracy    float64
}

func newApp(service, model, version string, start time.Time) *app {
	res := map[string]any{"service.name": service, "ml.model.id": model}
	if version != "" {
		res["ml.model.version"] = version
	}
	return &app{resource: res, start: start, counts: make([]uint64, len(sdkBounds)+1)}
}

// serve records n predictions of the given latency.
func (a *app) serve(n int, latencyMS float64) {
	i := 0
	for i < len(sdkBounds) && latencyMS > sdkBounds[i] {
		i++
	}
	a.counts[i] += uint64(n)
	a.total += uint64(n)
	a.sum += float64(n) * latencyMS
	a.predictions += int64(n)
}

// export renders what the SDK's periodic reader would send at `at`.
func (a *app) export(at time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	if err := rm.Resource().Attributes().FromRaw(a.resource); err != nil {
		panic(err)
	}
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("github.com/acme/serving")
	start, now := pcommon.NewTimestampFromTime(a.start), pcommon.NewTimestampFromTime(at)

	lat := sm.Metrics().AppendEmpty()
	lat.SetName("ml.model.latency")
	lat.SetUnit("ms")
	hist := lat.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := hist.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(now)
	dp.SetCount(a.total)
	dp.SetSum(a.sum)
	dp.ExplicitBounds().FromRaw(sdkBounds)
	dp.BucketCounts().FromRaw(a.counts)

	pred := sm.Metrics().AppendEmpty()
	pred.SetName("ml.model.predictions")
	pred.SetUnit("{prediction}")
	sum := pred.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	sdp := sum.DataPoints().AppendEmpty()
	sdp.SetStartTimestamp(start)
	sdp.SetTimestamp(now)
	sdp.SetIntValue(a.predictions)

	acc := sm.Metrics().AppendEmpty()
	acc.SetName("ml.model.accuracy")
	acc.SetUnit("1")
	gdp := acc.SetEmptyGauge().DataPoints().AppendEmpty()
	gdp.SetTimestamp(now)
	gdp.SetDoubleValue(a.accuracy)
	return md
}

func countRecords(lds []plog.Logs) int {
	n := 0
	for _, ld := range lds {
		n += ld.LogRecordCount()
	}
	return n
}

// observerConfig returns cfg's settings of the observer named name, typed, to change in a test.
func observerConfig[C observer.Config](t testing.TB, cfg *Config, name string) C {
	t.Helper()
	c, ok := cfg.Observers.get(name).(C)
	require.True(t, ok, "observer %q", name)
	return c
}

// override is an override of model setting keys per observer, as if decoded from YAML.
func override(model string, keys map[string]map[string]any) OverrideConfig {
	return OverrideConfig{Model: model, observers: keys}
}

// withID is the attribute set kvs plus the component ID every measurement of the processor's own
// metrics carries: processor="retrain", the ID metadatatest.NewSettings gives the instances the tests build.
func withID(kvs ...attribute.KeyValue) attribute.Set {
	return attribute.NewSet(append(kvs, attribute.String("processor", "retrain"))...)
}
