package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"github.com/visutility/otelcol-retrain/internal/job"
)

// AccuracyDriftConfig flags a model whose mean accuracy in the window falls below a floor.
type AccuracyDriftConfig struct {
	Enabled     bool    `mapstructure:"enabled"`
	MinAccuracy float64 `mapstructure:"min_accuracy"`
	_           struct{}
}

// AccuracyDriftOverride replaces the keys it sets for one model.
type AccuracyDriftOverride struct {
	Enabled     *bool    `mapstructure:"enabled"`
	MinAccuracy *float64 `mapstructure:"min_accuracy"`
	_           struct{}
}

// With returns the config with the override's keys applied.
func (c AccuracyDriftConfig) With(o *AccuracyDriftOverride) AccuracyDriftConfig {
	if o == nil {
		return c
	}
	if o.Enabled != nil {
		c.Enabled = *o.Enabled
	}
	if o.MinAccuracy != nil {
		c.MinAccuracy = *o.MinAccuracy
	}
	return c
}

// Validate names the key (prefixed with prefix) and the bad value.
func (c AccuracyDriftConfig) Validate(prefix string) []error {
	if !c.Enabled {
		return nil
	}
	if err := validUnitInterval(prefix+"::min_accuracy", c.MinAccuracy, true, false); err != nil {
		return []error{err}
	}
	return nil
}

type accuracyDrift struct{ min float64 }

// NewAccuracyDrift builds the accuracy_drift observer.
func NewAccuracyDrift(c AccuracyDriftConfig) Observer { return &accuracyDrift{min: c.MinAccuracy} }

func (*accuracyDrift) Name() string { return "accuracy_drift" }

// Observe needs accuracy readings and min_samples predictions.
func (o *accuracyDrift) Observe(s *Stats) (job.Evidence, Outcome) {
	if s.AccuracySamples == 0 {
		return job.Evidence{}, NoData
	}
	if s.Predictions < s.MinSamples {
		return job.Evidence{}, FewSamples
	}
	if !finite(s.AccuracyMean) {
		return job.Evidence{}, NonFinite
	}
	return job.Evidence{
		Observer:  o.Name(),
		Statistic: "mean",
		Value:     s.AccuracyMean,
		Threshold: o.min,
		Unit:      "1",
		Samples:   s.AccuracySamples,
		Flagged:   s.AccuracyMean < o.min,
	}, Observed
}
