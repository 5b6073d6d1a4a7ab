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
func (o *accuracyDrift) Observe(s *Stats) (ev job.Evidence, outcome Outcome) {
	switch {
	case s.AccuracySamples == 0:
		return ev, NoData
	case s.Predictions < s.MinSamples:
		return ev, FewSamples
	case !finite(s.AccuracyMean):
		return ev, NonFinite
	}
	ev.Observer, ev.Statistic, ev.Unit = o.Name(), "mean", "1"
	ev.Value, ev.Threshold, ev.Samples = s.AccuracyMean, o.min, s.AccuracySamples
	ev.Flagged = s.AccuracyMean < o.min
	return ev, Observed
}
