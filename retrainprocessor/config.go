package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/confmap"

	"github.com/visutility/otelcol-retrain/internal/modelattr"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/strategy"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
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
	// Score is a histogram of prediction scores in [0, 1], for the drift observers.
	Score SignalConfig `mapstructure:"score"`

	// Status serves the status page and API (confighttp server settings); an empty endpoint
	// turns it off.
	Status confighttp.ServerConfig `mapstructure:"status"`

	// HealthMetrics are gauges per model and statistic appended to the metrics pipelines at each
	// evaluation.
	HealthMetrics HealthMetricsConfig `mapstructure:"health_metrics"`

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

// ObserversConfig holds the settings of every observer, keyed by its name. The keys, their
// defaults and their validation come from the observer registry (internal/observer): each
// observer declares them in its own file.
type ObserversConfig struct {
	byName map[string]observer.Config
}

var (
	_ confmap.Unmarshaler = (*ObserversConfig)(nil)
	_ confmap.Marshaler   = (*ObserversConfig)(nil)
	_ confmap.Unmarshaler = (*OverrideConfig)(nil)
	_ confmap.Marshaler   = (*OverrideConfig)(nil)
)

func defaultObservers() ObserversConfig {
	obs := ObserversConfig{byName: make(map[string]observer.Config, len(observer.Kinds()))}
	for _, k := range observer.Kinds() {
		obs.byName[k.Name] = k.Default()
	}
	return obs
}

// get returns the settings of the observer named name, or nil.
func (obs ObserversConfig) get(name string) observer.Config { return obs.byName[name] }

// Unmarshal decodes the keys given over the defaults; an unknown observer is an error.
func (obs *ObserversConfig) Unmarshal(conf *confmap.Conf) error {
	if obs.byName == nil {
		*obs = defaultObservers()
	}
	for name := range conf.ToStringMap() {
		c, ok := obs.byName[name]
		if !ok {
			return unknownObserver(name)
		}
		sub, err := conf.Sub(name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := sub.Unmarshal(c); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// Marshal writes every observer's settings, for the collector's printed config.
func (obs ObserversConfig) Marshal(conf *confmap.Conf) error {
	out := make(map[string]any, len(obs.byName))
	for name, c := range obs.byName {
		out[name] = c
	}
	return conf.Marshal(out)
}

func unknownObserver(name string) error {
	return fmt.Errorf("unknown observer %q (known: %s)", name, strings.Join(observer.Names(), ", "))
}

// HealthMetricsConfig turns the health metrics on or off.
type HealthMetricsConfig struct {
	Enabled bool `mapstructure:"enabled"`
	_       struct{}
}

// StrategyConfig decides when flagged observers become a job.
type StrategyConfig struct {
	// Vote is any, majority (more than half of the enabled observers) or all.
	Vote string `mapstructure:"vote"`
	// For is how long the vote must hold at every evaluation before a job fires.
	For time.Duration `mapstructure:"for"`
	// Cooldown is the quiet time per model after a job.
	Cooldown time.Duration `mapstructure:"cooldown"`
	// DryRun decides, logs and counts as usual, starts cooldowns, and sends no job.
	DryRun bool `mapstructure:"dry_run"`
	_      struct{}
}

// OverrideConfig replaces observer settings for one model: under each observer's name, the keys
// it sets replace the top-level value; keys left out keep it.
type OverrideConfig struct {
	Model string `mapstructure:"model"`
	// observers holds, per observer name, the keys the override sets, as decoded YAML.
	observers map[string]map[string]any
}

// Unmarshal decodes model and, under each observer's name, the keys to replace. The keys are
// checked here against the observer's config, so a typo fails at load with its name.
func (o *OverrideConfig) Unmarshal(conf *confmap.Conf) error {
	var model struct {
		Model string `mapstructure:"model"`
	}
	if err := conf.Unmarshal(&model, confmap.WithIgnoreUnused()); err != nil {
		return err
	}
	o.Model = model.Model
	for name, v := range conf.ToStringMap() {
		if name == "model" {
			continue
		}
		k, ok := observer.Lookup(name)
		if !ok {
			return unknownObserver(name)
		}
		keys, ok := v.(map[string]any)
		if !ok && v != nil {
			return fmt.Errorf("%s: must be a map of the observer's keys (got %v)", name, v)
		}
		if err := confmap.NewFromStringMap(keys).Unmarshal(k.Default()); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if o.observers == nil {
			o.observers = map[string]map[string]any{}
		}
		o.observers[name] = keys
	}
	return nil
}

// Marshal writes the override as it was given.
func (o OverrideConfig) Marshal(conf *confmap.Conf) error {
	out := map[string]any{"model": o.Model}
	for name, keys := range o.observers {
		out[name] = keys
	}
	return conf.Marshal(out)
}

var _ component.Config = (*Config)(nil)

// defaultStatus is the status server off: confighttp's defaults with no endpoint.
func defaultStatus() confighttp.ServerConfig {
	s := confighttp.NewDefaultServerConfig()
	s.NetAddr.Endpoint = ""
	return s
}

func createDefaultConfig() component.Config {
	return &Config{
		ModelAttribute:     modelattr.DefaultModel,
		VersionAttribute:   modelattr.DefaultVersion,
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
		Score:              SignalConfig{Metric: "ml.model.score"},
		HealthMetrics:      HealthMetricsConfig{Enabled: true},
		Status:             defaultStatus(),
		Observers:          defaultObservers(),
		Strategy:           StrategyConfig{Vote: strategy.VoteAny.String(), For: 0, Cooldown: 30 * time.Minute},
	}
}

// Validate checks every key at load; each error names the key and the bad value.
func (cfg *Config) Validate() error {
	var errs []error
	errs = append(errs, modelattr.Validate(cfg.ModelAttribute, cfg.VersionAttribute))
	if cfg.EvaluationInterval <= 0 {
		errs = append(errs, fmt.Errorf("evaluation_interval must be a positive duration (got %s)", cfg.EvaluationInterval))
	} else if cfg.EvaluationInterval < minEvaluationInterval {
		errs = append(errs, fmt.Errorf("evaluation_interval must be at least %s (got %s%s)",
			minEvaluationInterval, cfg.EvaluationInterval, observer.UnitHint(cfg.EvaluationInterval, "s")))
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

	errs = append(errs, cfg.validateObservers("observers", cfg.Observers)...)
	if len(cfg.Observers.build()) == 0 {
		errs = append(errs, errors.New("observers: at least one observer must be enabled"))
	}

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
		merged, err := cfg.observersFor(o)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s::%w", key, err))
			continue
		}
		errs = append(errs, cfg.validateObservers(key, merged)...)
	}
	return errors.Join(errs...)
}

// A duration without a unit is nanoseconds: an evaluation_interval of 5 ran 4.5 million
// evaluations in 8 s. No sensible value is that short.
const minEvaluationInterval = time.Second

func (cfg *Config) validateSignals() []error {
	var errs []error
	names := map[string]string{}
	for _, s := range []struct{ key, metric string }{
		{"latency::metric", cfg.Latency.Metric},
		{"throughput::metric", cfg.Throughput.Metric},
		{"accuracy::metric", cfg.Accuracy.Metric},
		{"score::metric", cfg.Score.Metric},
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

// signal is the config of one of the signals observers read.
func (cfg *Config) signal(s observer.Signal) SignalConfig {
	switch s {
	case observer.Latency:
		return cfg.Latency
	case observer.Throughput:
		return cfg.Throughput
	case observer.Accuracy:
		return cfg.Accuracy
	case observer.Score:
		return cfg.Score
	}
	return SignalConfig{}
}

// validateObservers validates each enabled observer's settings and rejects one whose signal no
// metric carries.
func (cfg *Config) validateObservers(prefix string, obs ObserversConfig) []error {
	var errs []error
	for _, k := range observer.Kinds() {
		c := obs.get(k.Name)
		if c == nil || !c.IsEnabled() {
			continue
		}
		key := prefix + "::" + k.Name
		errs = append(errs, c.Validate(key)...)
		if r, ok := c.(observer.Referencer); ok && r.Reference().Trailing && cfg.Window > 0 &&
			r.Reference().Window > (window.MaxScoreSlots-1)*cfg.Window {
			// The score ring keeps the window and the trailing reference in slots no wider
			// than the window.
			errs = append(errs, fmt.Errorf("%s::reference_window must be at most %d windows (%s) for a trailing reference (got %s); use a longer window or reference: pinned",
				key, window.MaxScoreSlots-1, (window.MaxScoreSlots-1)*cfg.Window, r.Reference().Window))
		}
		var missing []string
		for _, s := range k.Needs {
			if cfg.signal(s).Metric != "" {
				missing = nil
				break
			}
			missing = append(missing, s.Key()+"::metric")
		}
		switch len(missing) {
		case 0:
		case 1:
			errs = append(errs, fmt.Errorf("%s is enabled but %s is empty", key, missing[0]))
		case 2:
			errs = append(errs, fmt.Errorf("%s is enabled but both %s and %s are empty", key, missing[0], missing[1]))
		default:
			errs = append(errs, fmt.Errorf("%s is enabled but %s are all empty", key, strings.Join(missing, ", ")))
		}
	}
	return errs
}

// observersFor returns the top-level observer settings with one override applied.
func (cfg *Config) observersFor(o OverrideConfig) (ObserversConfig, error) {
	out := ObserversConfig{byName: make(map[string]observer.Config, len(cfg.Observers.byName))}
	for name, c := range cfg.Observers.byName {
		if keys, ok := o.observers[name]; ok {
			c = observer.Clone(c)
			if err := confmap.NewFromStringMap(keys).Unmarshal(c); err != nil {
				return ObserversConfig{}, fmt.Errorf("%s: %w", name, err)
			}
		}
		out.byName[name] = c
	}
	return out, nil
}

// reference is the score reference the enabled observers compare with, or nil when none does.
func (obs ObserversConfig) reference() *observer.Reference {
	for _, k := range observer.Kinds() {
		if c, ok := obs.get(k.Name).(observer.Referencer); ok && obs.get(k.Name).IsEnabled() {
			r := c.Reference()
			return &r
		}
	}
	return nil
}

// build turns observer settings into the observers an evaluation runs, in the registry's order.
func (obs ObserversConfig) build() []observer.Observer {
	var out []observer.Observer
	for _, k := range observer.Kinds() {
		if c := obs.get(k.Name); c != nil && c.IsEnabled() {
			out = append(out, c.New())
		}
	}
	return out
}
