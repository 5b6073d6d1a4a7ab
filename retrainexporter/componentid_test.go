package retrainexporter

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadatatest"
)

// TestEachExporterReportsItsOwnComponentID builds three exporters, retrain/a, retrain/b and
// retrain/c, through the real factory, recording into one telemetry as a collector's exporters do,
// and checks that every series of their own metrics carries the ID of the exporter that recorded
// it, under the key exporterhelper uses for its own: `exporter="retrain/a"`.
func TestEachExporterReportsItsOwnComponentID(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	start := func(name, url string) exporter.Logs {
		set := metadatatest.NewSettings(tel)
		set.ID = component.NewIDWithName(metadata.Type, name)
		exp, err := NewFactory().CreateLogs(context.Background(), set, testConfig(url))
		require.NoError(t, err)
		require.NoError(t, exp.Start(context.Background(), nopHost()))
		t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
		return exp
	}
	accepting := newTrainer(t, nil)
	rejecting := newTrainer(t, func(_ int, _ string, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusBadRequest)
		return true
	})
	busyOnce := newTrainer(t, func(n int, _ string, w http.ResponseWriter) bool {
		if n == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	a, b, c := start("a", accepting.URL), start("b", rejecting.URL), start("c", busyOnce.URL)

	ctx := context.Background()
	require.NoError(t, a.ConsumeLogs(ctx, jobLogs(testJob("m1"), testJob("m2"))))
	require.NoError(t, b.ConsumeLogs(ctx, jobLogs(testJob("m1"))))
	withOther := jobLogs(testJob("m1"))
	withOther.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr("GET /predict 200")
	require.NoError(t, c.ConsumeLogs(ctx, withOther))

	id := func(name string, kvs ...attribute.KeyValue) attribute.Set {
		return attribute.NewSet(append(kvs, attribute.String("exporter", name))...)
	}
	ignore := []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars()}
	metadatatest.AssertEqualExporterRetrainJobsDelivered(t, tel, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: id("retrain/a")},
		{Value: 1, Attributes: id("retrain/c")},
	}, ignore...)
	metadatatest.AssertEqualExporterRetrainDeliveryLatency(t, tel, []metricdata.HistogramDataPoint[float64]{
		{Count: 2, Attributes: id("retrain/a"), Bounds: deliveryLatencyBounds},
		{Count: 1, Attributes: id("retrain/c"), Bounds: deliveryLatencyBounds},
	}, append(ignore, metricdatatest.IgnoreValue())...)
	metadatatest.AssertEqualExporterRetrainJobsFailed(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: id("retrain/b", attribute.String("reason", "rejected"))},
	}, ignore...)
	metadatatest.AssertEqualExporterRetrainJobsRetried(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: id("retrain/c", attribute.String("cause", "status"))},
	}, ignore...)
	metadatatest.AssertEqualExporterRetrainRecordsIgnored(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: id("retrain/c")},
	}, ignore...)

	// exporterhelper's own series of the same exporters carry the same key and values.
	sent, err := tel.GetMetric("otelcol_exporter_sent_log_records")
	require.NoError(t, err)
	var ids []string
	for _, dp := range sent.Data.(metricdata.Sum[int64]).DataPoints {
		v, ok := dp.Attributes.Value("exporter")
		require.True(t, ok, "exporterhelper's series %v has an exporter attribute", dp.Attributes)
		ids = append(ids, v.AsString())
	}
	assert.ElementsMatch(t, []string{"retrain/a", "retrain/b", "retrain/c"}, ids)
}

// deliveryLatencyBounds are the bucket boundaries of exporter_retrain_delivery_latency
// (metadata.yaml).
var deliveryLatencyBounds = []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600}
