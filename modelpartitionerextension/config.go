package modelpartitionerextension // import "github.com/visutility/otelcol-retrain/modelpartitionerextension"

import (
	"errors"

	"go.opentelemetry.io/collector/component"

	"github.com/visutility/otelcol-retrain/internal/modelattr"
)

// Config is the model_partitioner's configuration. The keys and defaults are the retrain
// processor's, so one pair of attribute names configures both tiers.
type Config struct {
	// ModelAttribute is the resource attribute that names the model.
	ModelAttribute string `mapstructure:"model_attribute"`
	// VersionAttribute optionally names the model version: records are partitioned by
	// (model, version). Empty partitions by model alone.
	VersionAttribute string `mapstructure:"version_attribute"`

	_ struct{}
}

var _ component.Config = (*Config)(nil)

func createDefaultConfig() component.Config {
	return &Config{
		ModelAttribute:   modelattr.DefaultModel,
		VersionAttribute: modelattr.DefaultVersion,
	}
}

// Validate checks the keys at load; each error names the key and the bad value.
func (cfg *Config) Validate() error {
	var errs []error
	errs = append(errs, modelattr.Validate(cfg.ModelAttribute, cfg.VersionAttribute))
	return errors.Join(errs...)
}
