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
	full := createDefaultConfig().(*Config)
	full.ModelAttribute = "model"
	full.VersionAttribute = "model.revision"
	full.EvaluationInterval = 30 * time.Second
	full.Window = 10 * time.Minute
	full.MinSamples = 50
	full.MaxModels = 500
	full.MaxStreamsPerModel = 200
	full.MaxBucketsPerPoint = 2048
	full.MaxAttributeLength = 64
	full.Latency = SignalConfig{Metric: "inference.duration"}
	full.Throughput = SignalConfig{Metric: ""}
	full.Accuracy = SignalConfig{Metric: "inference.accuracy"}
	full.Score = SignalConfig{Metric: "inference.score"}
	full.HealthMetrics.Enabled = false
	full.Status.NetAddr.Endpoint = "127.0.0.1:8089"
	threshold := 0.12
	*observerConfig[*observer.PredictionDriftConfig](t, full, "prediction_drift") = observer.PredictionDriftConfig{
		Enabled: true, Statistic: "js", Threshold: &threshold, ReferenceMode: "trailing", ReferenceWindow: 30 * time.Minute, MinSamples: 1000, Bins: 20,
	}
	*observerConfig[*observer.EstimatedAccuracyConfig](t, full, "estimated_accuracy") = observer.EstimatedAccuracyConfig{Enabled: true, MinAccuracy: 0.75, DecisionThreshold: 0.6}
	*observerConfig[*observer.LatencySLAConfig](t, full, "latency_sla") = observer.LatencySLAConfig{Enabled: true, Percentile: 0.95, Threshold: 250 * time.Millisecond}
	*observerConfig[*observer.AccuracyDriftConfig](t, full, "accuracy_drift") = observer.AccuracyDriftConfig{Enabled: false, MinAccuracy: 0.7}
	*observerConfig[*observer.ThroughputFloorConfig](t, full, "throughput_floor") = observer.ThroughputFloorConfig{Enabled: true, MinRate: 2.5}
	full.Strategy = StrategyConfig{Vote: "majority", For: 2 * time.Minute, Cooldown: time.Hour, DryRun: true}
	full.Overrides = []OverrideConfig{
		override("fraud-detector", map[string]map[string]any{
			"latency_sla":    {"threshold": "500ms"},
			"accuracy_drift": {"enabled": true, "min_accuracy": 0.9},
		}),
		override("recommender", map[string]map[string]any{"throughput_floor": {"enabled": false}}),
	}

	tests := []struct {
		name string
		want *Config
	}{
		{name: "", want: createDefaultConfig().(*Config)},
		{name: "full", want: full},
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
	fraud, err := cfg.observersFor(cfg.Overrides[0])
	require.NoError(t, err)
	sla := fraud.get("latency_sla").(*observer.LatencySLAConfig)
	assert.Equal(t, 500*time.Millisecond, sla.Threshold)
	assert.Equal(t, 0.95, sla.Percentile, "kept from the top level")
	acc := fraud.get("accuracy_drift").(*observer.AccuracyDriftConfig)
	assert.True(t, acc.Enabled)
	assert.Equal(t, 0.9, acc.MinAccuracy)
	assert.Len(t, fraud.build(), 5, "the four enabled at the top level, and accuracy_drift")
	assert.Equal(t, 250*time.Millisecond, cfg.Observers.get("latency_sla").(*observer.LatencySLAConfig).Threshold,
		"the top level is not changed by an override")

	rec, err := cfg.observersFor(cfg.Overrides[1])
	require.NoError(t, err)
	assert.False(t, rec.get("throughput_floor").IsEnabled())
	assert.Len(t, rec.build(), 3, "latency_sla and the two score observers")
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
		{"bad_drift_statistic", `observers::prediction_drift::statistic: must be one of psi, js, hellinger (got "kl")`},
		{"bad_drift_threshold", "observers::prediction_drift::threshold must be a positive number (got -0.1)"},
		{"bad_drift_threshold_above_one", "observers::prediction_drift::threshold must be at most 1 for hellinger (got 1.5)"},
		{"bad_drift_reference", `observers::prediction_drift::reference must be pinned or trailing (got "rolling")`},
		{"bad_drift_reference_window", "observers::prediction_drift::reference_window must be at least 1s (got 60ns; did you mean 60m?)"},
		{"bad_drift_min_samples", "observers::prediction_drift::min_samples must be at least 1 (got 0)"},
		{"bad_drift_bins", "observers::prediction_drift::bins must be in [2, 1000] (got 1)"},
		{"bad_drift_without_score", "observers::prediction_drift is enabled but score::metric is empty"},
		{"bad_decision_threshold", "observers::estimated_accuracy::decision_threshold must be in (0, 1) (got 1)"},
		{"bad_estimated_min_accuracy", "observers::estimated_accuracy::min_accuracy must be in (0, 1] (got 0)"},
		{"bad_score_metric_reused", `score::metric "ml.model.accuracy" is already used by accuracy::metric`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.name)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestAnOverrideOfAnOptionalKeyLeavesTheTopLevelAlone(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	conf := confmap.NewFromStringMap(map[string]any{
		"observers": map[string]any{"prediction_drift": map[string]any{"enabled": true, "threshold": 0.2}},
		"overrides": []any{map[string]any{"model": "a", "prediction_drift": map[string]any{"threshold": 0.9}}},
	})
	require.NoError(t, conf.Unmarshal(cfg))
	require.NoError(t, cfg.Validate())
	merged, err := cfg.observersFor(cfg.Overrides[0])
	require.NoError(t, err)
	assert.Equal(t, 0.9, *merged.get("prediction_drift").(*observer.PredictionDriftConfig).Threshold)
	assert.Equal(t, 0.2, *cfg.Observers.get("prediction_drift").(*observer.PredictionDriftConfig).Threshold,
		"the top level keeps its threshold")
}

func TestUnmarshalRejectsUnknownObserversAndKeys(t *testing.T) {
	tests := []struct {
		name string
		want []string // the error names the observer and the key
	}{
		{"bad_unknown_observer", []string{`unknown observer "latency_slo" (known: latency_sla, accuracy_drift, throughput_floor`}},
		{"bad_unknown_observer_key", []string{"observers", "latency_sla: ", "invalid keys: treshold"}},
		{"bad_override_unknown_observer", []string{"overrides[0]", `unknown observer "latency_slo"`}},
		{"bad_override_unknown_key", []string{"overrides[0]", "accuracy_drift: ", "invalid keys: min_acc"}},
		{"bad_override_not_a_map", []string{"overrides[0]", "accuracy_drift: must be a map of the observer's keys (got 0.9)"}},
	}
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.name).String())
			require.NoError(t, err)
			err = sub.Unmarshal(NewFactory().CreateDefaultConfig())
			require.Error(t, err)
			t.Log(err)
			for _, want := range tt.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestConfigMarshalsAndLoadsBack(t *testing.T) {
	cfg, err := loadConfig(t, "full")
	require.NoError(t, err)
	conf := confmap.New()
	require.NoError(t, conf.Marshal(cfg))
	assert.Equal(t, 0.95, conf.Get("observers::latency_sla::percentile"))
	assert.Equal(t, "fraud-detector", conf.Get("overrides").([]any)[0].(map[string]any)["model"])
	back := NewFactory().CreateDefaultConfig()
	require.NoError(t, conf.Unmarshal(back))
	assert.Equal(t, cfg, back)
}
