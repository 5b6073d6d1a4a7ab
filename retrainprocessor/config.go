package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/strategy"
)

// Config is the retrain processor's configuration. Keys and defaults are the public contract
// written in docs/design.md and the README.
type Config struct {
	// ModelAttribute is the resource attribute that names the model.
	ModelAttribute string `mapstructure:"model_attribute"`
	// VersionAttribute optionally names the model version; windows are keyed by (model, version).
	VersionAttribute string `mapstructure:"version_attribute"`
	// EvaluationInterval is the period of the evaluation ticks, aligned to wall-clock multiples.
	EvaluationInterval time.Duration `mapstructure:"evaluation_interval"`
	// Window is the length of the sliding time window kept per model.
	Window time.Duration `mapstructure:"window"`
	// MinSamples is how many predictions a window must hold before its model is evaluated.
	MinSamples int `mapstructure:"min_samples"`
	// MaxModels bounds the number of models tracked at once.
	MaxModels int `mapstructure:"max_models"`
	// MaxStreamsPerModel bounds the cumulative streams (resource + scope + metric + point
	// attributes) kept per model.
	MaxStreamsPerModel int `mapstructure:"max_streams_per_model"`
	// MaxBucketsPerPoint bounds the buckets of one histogram point (explicit: bounds + 1;
	// exponential: positive and negative buckets).
	MaxBucketsPerPoint int `mapstructure:"max_buckets_per_point"`
	// MaxAttributeLength bounds the model and version attribute values, in bytes.
	MaxAttributeLength int `mapstructure:"max_attribute_length"`
	// Storage names a storage extension that keeps the decision state and the outbox across
	// restarts; nil keeps them in memory.
	Storage *component.ID `mapstructure:"storage"`

	Latency    SignalConfig `mapstructure:"latency"`
	Throughput SignalConfig `mapstructure:"throughput"`
	Accuracy   SignalConfig `mapstructure:"accuracy"`

	Observers ObserversConfig  `mapstructure:"observers"`
	Strategy  StrategyConfig   `mapstructure:"strategy"`
	Overrides []OverrideConfig `mapstructure:"overrides"`

	_ struct{}
}

// SignalConfig names the metric that carries one signal.
type SignalConfig struct {
	Metric string `mapstructure:"metric"`
	_      struct{}
}

// ObserversConfig holds one entry per observer. Adding an observer adds a field here, its
// override below, and one file in internal/observer.
type ObserversConfig struct {
	LatencySLA      observer.LatencySLAConfig      `mapstructure:"latency_sla"`
	AccuracyDrift   observer.AccuracyDriftConfig   `mapstructure:"accuracy_drift"`
	ThroughputFloor observer.ThroughputFloorConfig `mapstructure:"throughput_floor"`
	_               struct{}
}

// StrategyConfig decides when flagged observers become a job.
type StrategyConfig struct {
	// Vote is any, majority (more than half of the enabled observers) or all.
	Vote string `mapstructure:"vote"`
	// For is how long the vote must hold at every evaluation before a job fires.
	For time.Duration `mapstructure:"for"`
	// Cooldown is the quiet time per model after a job.
	Cooldown time.Duration `mapstructure:"cooldown"`
	_        struct{}
}

// OverrideConfig replaces observer settings for one model; keys left out keep the top-level value.
type OverrideConfig struct {
	Model           string                            `mapstructure:"model"`
	LatencySLA      *observer.LatencySLAOverride      `mapstructure:"latency_sla"`
	AccuracyDrift   *observer.AccuracyDriftOverride   `mapstructure:"accuracy_drift"`
	ThroughputFloor *observer.ThroughputFloorOverride `mapstructure:"throughput_floor"`
	_               struct{}
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		ModelAttribute:     "ml.model.id",
		VersionAttribute:   "ml.model.version",
		EvaluationInterval: 60 * time.Second,
		Window:             5 * time.Minute,
		MinSamples:         100,
		MaxModels:          10000,
		MaxStreamsPerModel: 1000,
		MaxBucketsPerPoint: 1024,
		MaxAttributeLength: 256,
		Latency:            SignalConfig{Metric: "ml.model.latency"},
		Throughput:         SignalConfig{Metric: "ml.model.predictions"},
		Accuracy:           SignalConfig{Metric: "ml.model.accuracy"},
		Observers: ObserversConfig{
			LatencySLA:      observer.LatencySLAConfig{Enabled: true, Percentile: 0.99, Threshold: 100 * time.Millisecond},
			AccuracyDrift:   observer.AccuracyDriftConfig{Enabled: true, MinAccuracy: 0.8},
			ThroughputFloor: observer.ThroughputFloorConfig{Enabled: false, MinRate: 1},
		},
		Strategy: StrategyConfig{Vote: strategy.VoteAny.String(), For: 0, Cooldown: 30 * time.Minute},
	}
}

// Validate checks every key at load; each error names the key and the bad value.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.ModelAttribute == "" {
		errs = append(errs, errors.New("model_attribute must not be empty"))
	}
	if cfg.VersionAttribute != "" && cfg.VersionAttribute == cfg.ModelAttribute {
		errs = append(errs, fmt.Errorf("version_attribute must differ from model_attribute (both %q)", cfg.VersionAttribute))
	}
	if cfg.EvaluationInterval <= 0 {
		errs = append(errs, fmt.Errorf("evaluation_interval must be a positive duration (got %s)", cfg.EvaluationInterval))
	} else if cfg.EvaluationInterval < minEvaluationInterval {
		errs = append(errs, fmt.Errorf("evaluation_interval must be at least %s (got %s%s)",
			minEvaluationInterval, cfg.EvaluationInterval, unitHint(cfg.EvaluationInterval, "s")))
	}
	if cfg.Window <= 0 {
		errs = append(errs, fmt.Errorf("window must be a positive duration (got %s)", cfg.Window))
	} else if cfg.EvaluationInterval > 0 && cfg.Window < cfg.EvaluationInterval {
		errs = append(errs, fmt.Errorf("window must be at least evaluation_interval (got window %s, evaluation_interval %s)", cfg.Window, cfg.EvaluationInterval))
	}
	if cfg.MinSamples < 0 {
		errs = append(errs, fmt.Errorf("min_samples must not be negative (got %d)", cfg.MinSamples))
	}
	for _, limit := range []struct {
		key   string
		value int
	}{
		{"max_models", cfg.MaxModels},
		{"max_streams_per_model", cfg.MaxStreamsPerModel},
		{"max_buckets_per_point", cfg.MaxBucketsPerPoint},
		{"max_attribute_length", cfg.MaxAttributeLength},
	} {
		if limit.value <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive (got %d)", limit.key, limit.value))
		}
	}
	errs = append(errs, cfg.validateSignals()...)

	obs := cfg.Observers
	errs = append(errs, obs.LatencySLA.Validate("observers::latency_sla")...)
	errs = append(errs, validateThreshold("observers::latency_sla", obs.LatencySLA)...)
	errs = append(errs, obs.AccuracyDrift.Validate("observers::accuracy_drift")...)
	errs = append(errs, obs.ThroughputFloor.Validate("observers::throughput_floor")...)
	if !obs.LatencySLA.Enabled && !obs.AccuracyDrift.Enabled && !obs.ThroughputFloor.Enabled {
		errs = append(errs, errors.New("observers: at least one observer must be enabled"))
	}
	errs = append(errs, cfg.validateObserverSignals("observers", obs)...)

	if _, err := strategy.ParseVote(cfg.Strategy.Vote); err != nil {
		errs = append(errs, fmt.Errorf("strategy::vote: %w", err))
	}
	if cfg.Strategy.For < 0 {
		errs = append(errs, fmt.Errorf("strategy::for must not be negative (got %s)", cfg.Strategy.For))
	}
	if cfg.Strategy.Cooldown < 0 {
		errs = append(errs, fmt.Errorf("strategy::cooldown must not be negative (got %s)", cfg.Strategy.Cooldown))
	}

	seen := make(map[string]int, len(cfg.Overrides))
	for i, o := range cfg.Overrides {
		key := fmt.Sprintf("overrides[%d]", i)
		if o.Model == "" {
			errs = append(errs, fmt.Errorf("%s::model must not be empty", key))
		} else if j, dup := seen[o.Model]; dup {
			errs = append(errs, fmt.Errorf("%s::model %q is already overridden by overrides[%d]", key, o.Model, j))
		} else {
			seen[o.Model] = i
		}
		merged := cfg.observersFor(o)
		errs = append(errs, merged.LatencySLA.Validate(key+"::latency_sla")...)
		errs = append(errs, validateThreshold(key+"::latency_sla", merged.LatencySLA)...)
		errs = append(errs, merged.AccuracyDrift.Validate(key+"::accuracy_drift")...)
		errs = append(errs, merged.ThroughputFloor.Validate(key+"::throughput_floor")...)
		errs = append(errs, cfg.validateObserverSignals(key, merged)...)
	}
	return errors.Join(errs...)
}

// A duration without a unit is nanoseconds: an evaluation_interval of 5 ran 4.5 million
// evaluations in 8 s, a threshold of 100 flagged a healthy model. No sensible value is that short.
const (
	minEvaluationInterval = time.Second
	minLatencyThreshold   = time.Microsecond
)

// unitHint suggests the unit a duration short enough to have been written as a bare number
// probably lacks.
func unitHint(d time.Duration, unit string) string {
	if d <= 0 || d >= time.Microsecond {
		return ""
	}
	return fmt.Sprintf("; did you mean %d%s?", int64(d), unit)
}

// validateThreshold rejects a latency_sla threshold too short to be meant; the observer's own
// Validate rejects one that is not positive.
func validateThreshold(prefix string, c observer.LatencySLAConfig) []error {
	if !c.Enabled || c.Threshold <= 0 || c.Threshold >= minLatencyThreshold {
		return nil
	}
	return []error{fmt.Errorf("%s::threshold must be at least %s (got %s%s)", prefix, minLatencyThreshold, c.Threshold, unitHint(c.Threshold, "ms"))}
}

func (cfg *Config) validateSignals() []error {
	var errs []error
	names := map[string]string{}
	for _, s := range []struct{ key, metric string }{
		{"latency::metric", cfg.Latency.Metric},
		{"throughput::metric", cfg.Throughput.Metric},
		{"accuracy::metric", cfg.Accuracy.Metric},
	} {
		if s.metric == "" {
			continue
		}
		if other, dup := names[s.metric]; dup {
			errs = append(errs, fmt.Errorf("%s %q is already used by %s", s.key, s.metric, other))
			continue
		}
		names[s.metric] = s.key
	}
	return errs
}

// validateObserverSignals rejects an enabled observer whose signal no metric carries.
func (cfg *Config) validateObserverSignals(key string, obs ObserversConfig) []error {
	var errs []error
	if obs.LatencySLA.Enabled && cfg.Latency.Metric == "" {
		errs = append(errs, fmt.Errorf("%s::latency_sla is enabled but latency::metric is empty", key))
	}
	if obs.AccuracyDrift.Enabled && cfg.Accuracy.Metric == "" {
		errs = append(errs, fmt.Errorf("%s::accuracy_drift is enabled but accuracy::metric is empty", key))
	}
	if obs.ThroughputFloor.Enabled && cfg.Throughput.Metric == "" && cfg.Latency.Metric == "" {
		errs = append(errs, fmt.Errorf("%s::throughput_floor is enabled but both throughput::metric and latency::metric are empty", key))
	}
	return errs
}

// observersFor returns the top-level observer settings with one override applied.
func (cfg *Config) observersFor(o OverrideConfig) ObserversConfig {
	obs := cfg.Observers
	obs.LatencySLA = obs.LatencySLA.With(o.LatencySLA)
	obs.AccuracyDrift = obs.AccuracyDrift.With(o.AccuracyDrift)
	obs.ThroughputFloor = obs.ThroughputFloor.With(o.ThroughputFloor)
	return obs
}

// build turns observer settings into the observers an evaluation runs, in a fixed order.
func (obs ObserversConfig) build() []observer.Observer {
	var out []observer.Observer
	if obs.LatencySLA.Enabled {
		out = append(out, observer.NewLatencySLA(obs.LatencySLA))
	}
	if obs.AccuracyDrift.Enabled {
		out = append(out, observer.NewAccuracyDrift(obs.AccuracyDrift))
	}
	if obs.ThroughputFloor.Enabled {
		out = append(out, observer.NewThroughputFloor(obs.ThroughputFloor))
	}
	return out
}
