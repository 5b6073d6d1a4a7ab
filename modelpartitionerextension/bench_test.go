package modelpartitionerextension

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/visutility/otelcol-retrain/modelpartitionerextension/internal/metadata"
)

func extensionSettings() extension.Settings { return extensiontest.NewNopSettings(metadata.Type) }

// benchPayload is a realistic record value: one resource of 8 attributes, the model second
// (early) or last, and a latency histogram of 100 points of 16 buckets, a few KB in all.
func benchPayload(t testing.TB, early bool) []byte {
	t.Helper()
	return benchPayloadOf(t, early, "fraud-detector", "2024-06-01")
}

// benchPayloadOf is benchPayload with the given model and version values (strings or ints).
func benchPayloadOf(t testing.TB, early bool, model, version any) []byte {
	t.Helper()
	attrs := []attr{
		{"service.name", "fraud-api"},
		{"service.instance.id", "3f2c8a4e-5b1d-4c7e-9a0f-2d6b8e1c4a7f"},
		{"host.name", "ip-10-0-12-34.eu-west-1.compute.internal"},
		{"k8s.pod.name", "fraud-api-7d9f8b6c5d-x2k4p"},
		{"k8s.namespace.name", "serving"},
		{"cloud.region", "eu-west-1"},
		{versionAttr, version},
	}
	m := attr{modelAttr, model}
	if early {
		attrs = append([]attr{attrs[0], m}, attrs[1:]...)
	} else {
		attrs = append(attrs, m)
	}
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	putAttrs(rm.Resource().Attributes(), attrs)
	hist := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	hist.SetName("ml.model.latency")
	hist.SetUnit("s")
	h := hist.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30}
	for i := range 100 {
		dp := h.DataPoints().AppendEmpty()
		dp.Attributes().PutStr("endpoint", fmt.Sprintf("/predict/%d", i%5))
		dp.SetStartTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000 + i))
		dp.SetTimestamp(pcommon.Timestamp(1_700_000_060_000_000_000 + i))
		dp.ExplicitBounds().FromRaw(bounds)
		counts := make([]uint64, len(bounds)+1)
		var total uint64
		for j := range counts {
			counts[j] = uint64((i*7 + j*13) % 50)
			total += counts[j]
		}
		dp.BucketCounts().FromRaw(counts)
		dp.SetCount(total)
		dp.SetSum(float64(total) * 0.12)
	}
	b, err := (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	return b
}

// BenchmarkPartition compares the model partitioner with the kafka exporter's default
// (sticky_key with the sarama_compat hasher) on the same records.
func BenchmarkPartition(b *testing.B) {
	ext, err := newExtension(defaultConfig(), extensionSettings())
	require.NoError(b, err)
	for _, pos := range []struct {
		name           string
		early          bool
		model, version any
	}{
		{"early", true, "fraud-detector", "2024-06-01"},
		{"last", false, "fraud-detector", "2024-06-01"},
		{"int", true, int64(-4_611_686_018_427_387_904), int64(20240601)}, // an int model and version
	} {
		r := &kgo.Record{Key: []byte("0123456789abcdef"), Value: benchPayloadOf(b, pos.early, pos.model, pos.version)}
		for _, p := range []struct {
			name string
			tp   kgo.TopicPartitioner
		}{
			{"model", ext.GetPartitioner().ForTopic("otlp_metrics")},
			{"sticky_key", newStickyKey()},
		} {
			b.Run(fmt.Sprintf("attribute=%s/partitioner=%s", pos.name, p.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(r.Value)))
				for b.Loop() {
					// kgo asks both, once per record.
					if p.tp.RequiresConsistency(r) {
						p.tp.Partition(r, 12)
					}
				}
			})
		}
	}
}
