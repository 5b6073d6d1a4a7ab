package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"
)

func init() {
	register(Kind{
		Name:  "estimated_accuracy",
		Rank:  50,
		Needs: []Signal{Score},
		Gauge: Gauge{Name: "retrain.model.estimated_accuracy", Unit: "1", Description: "The accuracy the window's scores imply, as estimated_accuracy judged it."},
		Doc: "Label-free, confidence-based (like NannyML's CBPE): the accuracy calibrated scores imply, Σ countᵢ·f(pᵢ)/N with " +
			"f(p) = p above `decision_threshold` and 1 − p below, bounded by the bucket edges. Flags when the upper bound is below " +
			"`min_accuracy`; needs `min_samples` scores.",
		Keys: map[string]string{
			"min_accuracy":       "In (0, 1].",
			"decision_threshold": "In (0, 1). The score is the positive class's probability, predicted positive above it. Must be a bucket bound of the score histogram; where it is not, the observer abstains (`not_a_bound`).",
		},
		Default: func() Config {
			return &EstimatedAccuracyConfig{MinAccuracy: 0.8, DecisionThreshold: 0.5}
		},
	})
}

// EstimatedAccuracyConfig flags a model whose scores imply an accuracy below a floor.
type EstimatedAccuracyConfig struct {
	Enabled           bool    `mapstructure:"enabled"`
	MinAccuracy       float64 `mapstructure:"min_accuracy"`
	DecisionThreshold float64 `mapstructure:"decision_threshold"`
	_                 struct{}
}

func (c *EstimatedAccuracyConfig) IsEnabled() bool { return c.Enabled }

// Validate names the key (prefixed with prefix) and the bad value.
func (c *EstimatedAccuracyConfig) Validate(prefix string) []error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if err := validUnitInterval(prefix+"::min_accuracy", c.MinAccuracy, true, false); err != nil {
		errs = append(errs, err)
	}
	if err := validUnitInterval(prefix+"::decision_threshold", c.DecisionThreshold, true, true); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func (c *EstimatedAccuracyConfig) New() Observer {
	return &estimatedAccuracy{min: c.MinAccuracy, threshold: c.DecisionThreshold}
}

type estimatedAccuracy struct{ min, threshold float64 }

func (*estimatedAccuracy) Name() string { return "estimated_accuracy" }

// Observe needs min_samples scores and the decision threshold among the bucket bounds. The
// bounds decide, as for a percentile: flagged when even the upper bound is below min_accuracy,
// not flagged when the lower bound reaches it, Unresolved in between.
func (o *estimatedAccuracy) Observe(s *Stats) (f Finding, outcome Outcome) {
	h := s.Score
	switch {
	case h == nil || h.Count == 0:
		return f, NoData
	case h.Count < s.MinSamples:
		return f, FewSamples
	}
	var est, lower, upper float64
	var ok bool
	if h.Exponential {
		est, lower, upper, ok = drift.ExponentialAccuracy(exponential(h), o.threshold)
	} else {
		est, lower, upper, ok = drift.ExplicitAccuracy(h.Bounds, h.Counts, o.threshold)
	}
	switch {
	case !ok:
		return f, NotABound
	case !finite(est) || !finite(lower) || !finite(upper):
		return f, NonFinite
	case upper < o.min:
		f.Flagged, outcome = true, Observed
	case lower >= o.min:
		outcome = Observed
	default:
		outcome = Unresolved
	}
	f.Statistic, f.Unit = "estimated", "1"
	f.Value, f.Lower, f.Upper, f.Bounded = est, lower, upper, true
	f.Threshold, f.Samples = o.min, h.Count
	return f, outcome
}
