package retrainprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/collector/processor/processortest"
)

// newPassthrough is the pass-through baseline: a processorhelper processor that returns the data
// unchanged to a nop consumer, with the same SDK telemetry as the retrain processor's benchmarks.
func newPassthrough(b *testing.B) consumer.Metrics {
	tel := componenttest.NewTelemetry()
	set := processortest.NewNopSettings(processortest.NopType)
	set.ID = component.MustNewID("passthrough")
	set.TelemetrySettings = tel.NewTelemetrySettings()
	p, err := processorhelper.NewMetrics(context.Background(), set, nil, consumertest.NewNop(),
		func(_ context.Context, md pmetric.Metrics) (pmetric.Metrics, error) { return md, nil })
	require.NoError(b, err)
	require.NoError(b, p.Start(context.Background(), componenttest.NewNopHost()))
	b.Cleanup(func() {
		require.NoError(b, p.Shutdown(context.Background()))
		require.NoError(b, tel.Shutdown(context.Background()))
	})
	return p
}
