package retrainprocessor

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// FuzzIngest feeds arbitrary OTLP payloads to the processor and evaluates: whatever arrives, it
// must neither panic nor hang, and every request must reach the next consumer.
func FuzzIngest(f *testing.F) {
	m := &pmetric.ProtoMarshaler{}
	seed := func(md pmetric.Metrics) {
		b, err := m.MarshalMetrics(md)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	a := newApp("fraud-api", "fraud-detector", "3", t0.Add(-time.Hour))
	a.serve(20, 150)
	seed(a.export(t0.Add(-time.Minute)))
	a.serve(20, 150)
	seed(a.export(t0.Add(-30 * time.Second)))

	// Exponential, empty and zero-count points, delta and cumulative.
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("ml.model.id", "m")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	exp := ms.AppendEmpty()
	exp.SetName("ml.model.latency")
	exp.SetUnit("s")
	eh := exp.SetEmptyExponentialHistogram()
	eh.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := eh.DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(-time.Second)))
	dp.SetScale(20)
	dp.Positive().SetOffset(-5)
	dp.Positive().BucketCounts().FromRaw([]uint64{1, 0, 3})
	dp.SetZeroCount(1)
	dp.SetCount(5)
	eh.DataPoints().AppendEmpty() // empty
	hist := ms.AppendEmpty()
	hist.SetName("ml.model.latency")
	h := hist.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	h.DataPoints().AppendEmpty().SetCount(0) // zero count, no buckets
	seed(md)

	f.Fuzz(func(t *testing.T, payload []byte) {
		md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(payload)
		if err != nil {
			return
		}
		cfg := testConfig()
		cfg.HealthMetrics.Enabled = false // only what the request carried reaches the sink
		h := newHarness(t, cfg, t0)
		h.consume(md)
		h.consume(md) // the same points again: duplicates
		h.evaluate(t0)
		h.evaluate(t0.Add(time.Hour))
		if got := len(h.metrics.AllMetrics()); got != 2 {
			t.Fatalf("forwarded %d requests, want 2", got)
		}
	})
}
