package modelpartitionerextension

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap/zapcore"

	"github.com/visutility/otelcol-retrain/modelpartitionerextension/internal/metadatatest"
)

func TestRecordsCounter(t *testing.T) {
	h := newHarness(t, defaultConfig())
	other := h.ext.GetPartitioner().ForTopic("otlp_logs") // the topics share the counters
	send := func(tp kgo.TopicPartitioner, value []byte, times int) {
		for i := range times {
			tp.Partition(&kgo.Record{Key: []byte{byte(i)}, Value: value}, 12)
		}
	}
	send(h.tp, payload(t, signalMetrics, pod("fraud-detector", "3", 0)...), 7)
	send(other, payload(t, signalLogs, pod("churn", "1", 0)...), 3)
	send(h.tp, payload(t, signalMetrics, attr{"service.name", "x"}), 4)
	send(h.tp, payload(t, signalMetrics, attr{modelAttr, int64(5)}), 2) // an int names a model
	send(h.tp, payload(t, signalMetrics, attr{modelAttr, 1.5}), 2)
	send(other, []byte(`{"resourceLogs":[]}`), 1)

	dp := func(o string, v int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Attributes: attribute.NewSet(attribute.String("outcome", o)), Value: v}
	}
	metadatatest.AssertEqualModelPartitionerRecords(t, h.tel, []metricdata.DataPoint[int64]{
		dp("model", 12), dp("no_attribute", 4), dp("not_string", 2), dp("malformed", 1),
	}, metricdatatest.IgnoreTimestamp())

	// RequiresConsistency reads records too, but counts nothing: kgo calls Partition once per
	// record, and that is where a record is counted.
	h.tp.RequiresConsistency(&kgo.Record{Value: payload(t, signalMetrics, attr{"service.name", "x"})})
	metadatatest.AssertEqualModelPartitionerRecords(t, h.tel, []metricdata.DataPoint[int64]{
		dp("model", 12), dp("no_attribute", 4), dp("not_string", 2), dp("malformed", 1),
	}, metricdatatest.IgnoreTimestamp())
}

func TestFallbackIsLoggedOnce(t *testing.T) {
	h := newHarness(t, defaultConfig())
	for range 100 {
		h.tp.Partition(&kgo.Record{Key: []byte("k"), Value: payload(t, signalMetrics, pod("fraud-detector", "3", 0)...)}, 12)
	}
	assert.Zero(t, h.logs.Len(), "routing by model logs nothing")

	for range 100 {
		h.tp.Partition(&kgo.Record{Key: []byte("k"), Value: payload(t, signalMetrics, attr{"service.name", "x"})}, 12)
		h.tp.Partition(&kgo.Record{Key: []byte("k"), Value: []byte("{}")}, 12)
	}
	logs := h.logs.All()
	if assert.Len(t, logs, 2) {
		for _, l := range logs {
			assert.Equal(t, zapcore.WarnLevel, l.Level)
			assert.Contains(t, l.Message, "ml.model.id")
			assert.Equal(t, "ml.model.id", l.ContextMap()["model_attribute"])
		}
		assert.Equal(t, "no_attribute", logs[0].ContextMap()["outcome"])
		assert.Equal(t, "malformed", logs[1].ContextMap()["outcome"])
		assert.Contains(t, logs[1].Message, "otlp_proto")
	}

	// A request of several resources: the exporter does not split by resource.
	two := append(request(kv(modelAttr, strValue("m"))), request(kv(modelAttr, strValue("n")))...)
	for range 10 {
		h.tp.Partition(&kgo.Record{Value: two}, 12)
	}
	more := h.logs.FilterMessageSnippet("partition_metrics_by_resource_attributes").All()
	if assert.Len(t, more, 1) {
		assert.Equal(t, zapcore.WarnLevel, more[0].Level)
	}
	assert.Equal(t, 3, h.logs.Len())
}
