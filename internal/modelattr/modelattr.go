// Package modelattr holds what the retrain processor and the model partitioner share: the keys
// model_attribute and version_attribute, their defaults and their validation, so both tiers of a
// Kafka deployment name a model alike.
package modelattr // import "github.com/visutility/otelcol-retrain/internal/modelattr"

import (
	"errors"
	"fmt"
)

// The resource attributes that name a model and its version unless configured otherwise.
const (
	DefaultModel   = "ml.model.id"
	DefaultVersion = "ml.model.version"
)

// Validate checks model_attribute and version_attribute (empty: no version); each error names
// the key and the bad value.
func Validate(model, version string) error {
	var errs []error
	if model == "" {
		errs = append(errs, errors.New("model_attribute must not be empty"))
	}
	if version != "" && version == model {
		errs = append(errs, fmt.Errorf("version_attribute must differ from model_attribute (both %q)", version))
	}
	return errors.Join(errs...)
}
