package retrainprocessor

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
)

// TestEachInstanceReportsItsOwnComponentID builds two processors with different IDs through the
// real factory, recording into one telemetry as a collector's instances do, and checks that every
// series of their own metrics carries the ID of the instance that recorded it, as processorhelper's
// otelcol_processor_incoming_items does: `processor="retrain"`, `processor="retrain/x"`.
func TestEachInstanceReportsItsOwnComponentID(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	plain := newHarnessOn(t, testConfig(), t0, tel, component.NewID(metadata.Type))
	named := newHarnessOn(t, testConfig(), t0, tel, component.NewIDWithName(metadata.Type, "x"))
	// plain: one model with 2 accuracy points; named: two models with 3 each, and 4 unattributed.
	plain.consume(accuracyGauges(t0, 2, "model-a"))
	named.consume(accuracyGauges(t0, 3, "model-b", "model-c", ""))
	named.consume(accuracyGauges(t0.Add(time.Second), 1, ""))
	plain.evaluate(t0.Add(time.Minute))
	named.evaluate(t0.Add(time.Minute))
	named.evaluate(t0.Add(2 * time.Minute))

	id := func(name string, kvs ...attribute.KeyValue) attribute.Set {
		return attribute.NewSet(append(kvs, attribute.String("processor", name))...)
	}
	ignore := []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}
	metadatatest.AssertEqualProcessorRetrainModels(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: id("retrain")},
		{Value: 2, Attributes: id("retrain/x")},
	}, ignore...)
	metadatatest.AssertEqualProcessorRetrainDataPoints(t, tel, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: id("retrain", attribute.String("signal", "accuracy"))},
		{Value: 6, Attributes: id("retrain/x", attribute.String("signal", "accuracy"))},
	}, ignore...)
	metadatatest.AssertEqualProcessorRetrainDataPointsSkipped(t, tel, []metricdata.DataPoint[int64]{
		{Value: 4, Attributes: id("retrain/x", attribute.String("reason", "unattributed"))},
	}, ignore...)
	metadatatest.AssertEqualProcessorRetrainEvaluations(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: id("retrain")},
		{Value: 2, Attributes: id("retrain/x")},
	}, ignore...)
	metadatatest.AssertEqualProcessorRetrainEvaluationDuration(t, tel, []metricdata.HistogramDataPoint[float64]{
		{Count: 1, Attributes: id("retrain"), Bounds: evaluationDurationBounds},
		{Count: 2, Attributes: id("retrain/x"), Bounds: evaluationDurationBounds},
	}, append(ignore, metricdatatest.IgnoreValue())...)
	// The models have accuracy points only: latency_sla abstains for want of data and
	// accuracy_drift for want of predictions, once per model and tick.
	noData := []attribute.KeyValue{attribute.String("observer", "latency_sla"), attribute.String("outcome", "no_data")}
	few := []attribute.KeyValue{attribute.String("observer", "accuracy_drift"), attribute.String("outcome", "few_samples")}
	metadatatest.AssertEqualProcessorRetrainAbstentions(t, tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: id("retrain", noData...)},
		{Value: 1, Attributes: id("retrain", few...)},
		{Value: 4, Attributes: id("retrain/x", noData...)},
		{Value: 4, Attributes: id("retrain/x", few...)},
	}, ignore...)
}

// evaluationDurationBounds are the bucket boundaries of processor_retrain_evaluation_duration
// (metadata.yaml).
var evaluationDurationBounds = []float64{0.0001, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// accuracyGauges is a request of one resource per model, each with n accuracy points one second
// apart from `from`; the model "" stands for a resource without the model attribute.
func accuracyGauges(from time.Time, n int, models ...string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	for _, model := range models {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "serving")
		if model != "" {
			rm.Resource().Attributes().PutStr("ml.model.id", model)
		}
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("ml.model.accuracy")
		m.SetUnit("1")
		dps := m.SetEmptyGauge().DataPoints()
		for i := range n {
			dp := dps.AppendEmpty()
			dp.SetTimestamp(pcommon.NewTimestampFromTime(from.Add(time.Duration(i) * time.Second)))
			dp.SetDoubleValue(0.9)
		}
	}
	return md
}
