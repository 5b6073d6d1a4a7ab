package retrainprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config), confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	threshold := 500 * time.Millisecond
	minAccuracy := 0.9
	enabled, disabled := true, false

	tests := []struct {
		name string
		want *Config
	}{
		{name: "", want: createDefaultConfig().(*Config)},
		{name: "full", want: &Config{
			ModelAttribute:     "model",
			VersionAttribute:   "model.revision",
			EvaluationInterval: 30 * time.Second,
			Window:             10 * time.Minute,
			MinSamples:         50,
			MaxModels:          500,
			MaxStreamsPerModel: 200,
			MaxBucketsPerPoint: 2048,
			MaxAttributeLength: 64,
			Latency:            SignalConfig{Metric: "inference.duration"},
			Throughput:         SignalConfig{Metric: ""},
			Accuracy:           SignalConfig{Metric: "inference.accuracy"},
			Observers: ObserversConfig{
				LatencySLA:      observer.LatencySLAConfig{Enabled: true, Percentile: 0.95, Threshold: 250 * time.Millisecond},
				AccuracyDrift:   observer.AccuracyDriftConfig{Enabled: false, MinAccuracy: 0.7},
				ThroughputFloor: observer.ThroughputFloorConfig{Enabled: true, MinRate: 2.5},
			},
			Strategy: StrategyConfig{Vote: "majority", For: 2 * time.Minute, Cooldown: time.Hour},
			Overrides: []OverrideConfig{
				{
					Model:         "fraud-detector",
					LatencySLA:    &observer.LatencySLAOverride{Threshold: &threshold},
					AccuracyDrift: &observer.AccuracyDriftOverride{Enabled: &enabled, MinAccuracy: &minAccuracy},
				},
				{Model: "recommender", ThroughputFloor: &observer.ThroughputFloorOverride{Enabled: &disabled}},
			},
		}},
	}
	for _, tt := range tests {
		t.Run("load "+tt.name, func(t *testing.T) {
			cfg, err := loadConfig(t, tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestDefaultConfigMatchesTheDesign(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "ml.model.id", cfg.ModelAttribute)
	assert.Equal(t, 60*time.Second, cfg.EvaluationInterval)
	assert.Equal(t, 5*time.Minute, cfg.Window)
	assert.Equal(t, 100, cfg.MinSamples)
	assert.Equal(t, 10000, cfg.MaxModels)
	assert.Equal(t, 1000, cfg.MaxStreamsPerModel)
	assert.Equal(t, 1024, cfg.MaxBucketsPerPoint)
	assert.Equal(t, 256, cfg.MaxAttributeLength)
	assert.Equal(t, "any", cfg.Strategy.Vote)
	assert.Equal(t, 30*time.Minute, cfg.Strategy.Cooldown)
}

func TestOverridesMergeIntoTheTopLevelObservers(t *testing.T) {
	cfg, err := loadConfig(t, "full")
	require.NoError(t, err)
	fraud := cfg.observersFor(cfg.Overrides[0])
	assert.Equal(t, 500*time.Millisecond, fraud.LatencySLA.Threshold)
	assert.Equal(t, 0.95, fraud.LatencySLA.Percentile, "kept from the top level")
	assert.True(t, fraud.AccuracyDrift.Enabled)
	assert.Equal(t, 0.9, fraud.AccuracyDrift.MinAccuracy)
	assert.Len(t, fraud.build(), 3)

	rec := cfg.observersFor(cfg.Overrides[1])
	assert.False(t, rec.ThroughputFloor.Enabled)
	assert.Len(t, rec.build(), 1)
}

func TestValidateRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		want string // the error names the key and the value
	}{
		{"bad_model_attribute", "model_attribute must not be empty"},
		{"bad_version_attribute", `version_attribute must differ from model_attribute (both "ml.model.id")`},
		{"bad_evaluation_interval", "evaluation_interval must be a positive duration (got 0s)"},
		{"bad_evaluation_interval_without_unit", "evaluation_interval must be at least 1s (got 5ns; did you mean 5s?)"},
		{"bad_evaluation_interval_under_a_second", "evaluation_interval must be at least 1s (got 500ms)"},
		{"bad_window", "window must be a positive duration (got -1m0s)"},
		{"bad_window_shorter_than_interval", "window must be at least evaluation_interval (got window 30s, evaluation_interval 1m0s)"},
		{"bad_min_samples", "min_samples must not be negative (got -1)"},
		{"bad_max_models", "max_models must be positive (got 0)"},
		{"bad_max_streams_per_model", "max_streams_per_model must be positive (got 0)"},
		{"bad_max_buckets_per_point", "max_buckets_per_point must be positive (got -1)"},
		{"bad_max_attribute_length", "max_attribute_length must be positive (got 0)"},
		{"bad_metric_reused", `accuracy::metric "ml.model.latency" is already used by latency::metric`},
		{"bad_percentile", "observers::latency_sla::percentile must be in (0, 1) (got 1.5)"},
		{"bad_threshold", "observers::latency_sla::threshold must be a positive duration (got 0s)"},
		{"bad_threshold_without_unit", "observers::latency_sla::threshold must be at least 1µs (got 100ns; did you mean 100ms?)"},
		{"bad_min_accuracy", "observers::accuracy_drift::min_accuracy must be in (0, 1] (got 1.2)"},
		{"bad_min_rate", "observers::throughput_floor::min_rate must be a positive number of predictions per second (got 0)"},
		{"bad_no_observer", "observers: at least one observer must be enabled"},
		{"bad_observer_without_metric", "observers::accuracy_drift is enabled but accuracy::metric is empty"},
		{"bad_vote", `strategy::vote: must be one of any, majority, all (got "most")`},
		{"bad_for", "strategy::for must not be negative (got -1s)"},
		{"bad_cooldown", "strategy::cooldown must not be negative (got -5m0s)"},
		{"bad_override_model", "overrides[0]::model must not be empty"},
		{"bad_override_duplicate", `overrides[1]::model "a" is already overridden by overrides[0]`},
		{"bad_override_threshold", "overrides[0]::latency_sla::threshold must be a positive duration (got -1s)"},
		{"bad_override_threshold_without_unit", "overrides[0]::latency_sla::threshold must be at least 1µs (got 250ns; did you mean 250ms?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.name)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
