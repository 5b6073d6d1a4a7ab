package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

func init() {
	register(Kind{
		Name:    "accuracy_drift",
		Rank:    20,
		Needs:   []Signal{Accuracy},
		Gauge:   Gauge{Name: "retrain.model.accuracy", Unit: "1", Description: "The mean of the model's accuracy readings over the window, as accuracy_drift judged it."},
		Doc:     "Flags when the mean of the window's accuracy readings (where labels arrive) is below `min_accuracy`; needs `min_samples` predictions.",
		Keys:    map[string]string{"min_accuracy": "In (0, 1]."},
		Default: func() Config { return &AccuracyDriftConfig{Enabled: true, MinAccuracy: 0.8} },
	})
}

// AccuracyDriftConfig flags a model whose mean accuracy in the window falls below a floor.
type AccuracyDriftConfig struct {
	Enabled     bool    `mapstructure:"enabled"`
	MinAccuracy float64 `mapstructure:"min_accuracy"`
	_           struct{}
}

func (c *AccuracyDriftConfig) IsEnabled() bool { return c.Enabled }

// Validate names the key (prefixed with prefix) and the bad value.
func (c *AccuracyDriftConfig) Validate(prefix string) []error {
	if !c.Enabled {
		return nil
	}
	if err := validUnitInterval(prefix+"::min_accuracy", c.MinAccuracy, true, false); err != nil {
		return []error{err}
	}
	return nil
}

func (c *AccuracyDriftConfig) New() Observer { return &accuracyDrift{min: c.MinAccuracy} }

type accuracyDrift struct{ min float64 }

func (*accuracyDrift) Name() string { return "accuracy_drift" }

// Observe needs accuracy readings and min_samples predictions.
func (o *accuracyDrift) Observe(s *Stats) (f Finding, outcome Outcome) {
	switch {
	case s.AccuracySamples == 0:
		return f, NoData
	case s.Predictions < s.MinSamples:
		return f, FewSamples
	case !finite(s.AccuracyMean):
		return f, NonFinite
	}
	f.Statistic, f.Unit = "mean", "1"
	f.Value, f.Threshold, f.Samples = s.AccuracyMean, o.min, s.AccuracySamples
	f.Flagged = s.AccuracyMean < o.min
	return f, Observed
}
