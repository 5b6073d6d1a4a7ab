package retrainprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter/debugexporter"
	"go.opentelemetry.io/collector/otelcol"
	"go.opentelemetry.io/collector/otelcol/otelcoltest"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/receiver/nopreceiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"

	"github.com/visutility/otelcol-retrain/retrainexporter"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
)

// TestDemoConfigLoadsWithShortSettings guards testdata/demo.yaml, the config `make run` starts:
// it must load and validate with the components it names, and keep its short demo settings.
func TestDemoConfigLoadsWithShortSettings(t *testing.T) {
	var (
		factories otelcol.Factories
		err       error
	)
	factories.Receivers, err = otelcol.MakeFactoryMap(otlpreceiver.NewFactory(), nopreceiver.NewFactory())
	require.NoError(t, err)
	factories.Processors, err = otelcol.MakeFactoryMap(NewFactory())
	require.NoError(t, err)
	factories.Exporters, err = otelcol.MakeFactoryMap(debugexporter.NewFactory(), retrainexporter.NewFactory())
	require.NoError(t, err)

	cfg, err := otelcoltest.LoadConfigAndValidate(filepath.Join("..", "testdata", "demo.yaml"), factories)
	require.NoError(t, err)

	retrainID := component.MustNewID("retrain")
	got, ok := cfg.Processors[retrainID].(*Config)
	require.True(t, ok, "processor %s has config type %T", retrainID, cfg.Processors[retrainID])

	want := createDefaultConfig().(*Config)
	want.EvaluationInterval = 5 * time.Second
	want.Window = 30 * time.Second
	want.MinSamples = 20
	want.Strategy.Cooldown = time.Minute
	// loan-approver's scores: the label-free estimate, with its default settings.
	want.Score.Metric = "ml.model.score"
	want.Status.NetAddr.Endpoint = "127.0.0.1:8089"
	want.Observers.get("estimated_accuracy").(*observer.EstimatedAccuracyConfig).Enabled = true
	assert.Equal(t, want, got)

	// Start fails unless the processor sits in a metrics and a logs pipeline.
	for _, p := range []pipeline.ID{pipeline.NewID(pipeline.SignalMetrics), pipeline.NewIDWithName(pipeline.SignalLogs, "retrain")} {
		pc, ok := cfg.Service.Pipelines[p]
		require.True(t, ok, "pipeline %s missing", p)
		assert.Contains(t, pc.Processors, retrainID, "pipeline %s", p)
	}
}
