package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"
)

func init() {
	register(Kind{
		Name:  "prediction_drift",
		Rank:  40,
		Needs: []Signal{Score},
		Gauge: Gauge{Name: "retrain.model.prediction_drift", Unit: "1", ByStatistic: true, Description: "How far the window's score distribution is from its reference, as prediction_drift judged it."},
		Doc: "Flags when the window's score distribution has drifted from a reference: `statistic` at or above `threshold`. " +
			"Label-free: it sees drift long before labels arrive.",
		Keys: map[string]string{
			"statistic": "`psi` (population stability index), `js` (Jensen–Shannon distance, base 2) or `hellinger`, from bucket counts only.",
			"threshold": "Flags at or above it. Unset: the statistic's conventional threshold (Evidently's and whylogs'). `js` and `hellinger` are at most 1.",
			"reference": "`pinned`: the first `reference_window` of scores of each (model, version), frozen once it holds `min_samples`, kept in `storage`; catches slow drift. " +
				"`trailing`: the `reference_window` that ends where the window starts; catches sudden shifts, absorbs slow ones.",
			"reference_window": "How much data the reference holds. At least `1s`.",
			"min_samples":      "Scores needed on each side (window and reference); below it the observer abstains.",
			"bins":             "Native buckets are merged into at most this many bins of about equal reference mass before comparing; 2 to 1000.",
		},
		Defaults: map[string]string{"threshold": "psi 0.2, js 0.1, hellinger 0.15"},
		Default: func() Config {
			return &PredictionDriftConfig{Statistic: "psi", ReferenceMode: "pinned", ReferenceWindow: time.Hour, MinSamples: 500, Bins: 10}
		},
	})
}

// PredictionDriftConfig flags a model whose score distribution drifted from a reference.
type PredictionDriftConfig struct {
	Enabled   bool   `mapstructure:"enabled"`
	Statistic string `mapstructure:"statistic"`
	// Threshold is nil for the statistic's default.
	Threshold       *float64      `mapstructure:"threshold"`
	ReferenceMode   string        `mapstructure:"reference"`
	ReferenceWindow time.Duration `mapstructure:"reference_window"`
	MinSamples      uint64        `mapstructure:"min_samples"`
	Bins            int           `mapstructure:"bins"`
	_               struct{}
}

const (
	referencePinned   = "pinned"
	referenceTrailing = "trailing"
	maxBins           = 1000
)

func (c *PredictionDriftConfig) IsEnabled() bool { return c.Enabled }

// Validate names the key (prefixed with prefix) and the bad value.
func (c *PredictionDriftConfig) Validate(prefix string) []error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	stat, err := drift.ParseStatistic(c.Statistic)
	if err != nil {
		errs = append(errs, fmt.Errorf("%s::statistic: %w", prefix, err))
	}
	if t := c.Threshold; t != nil {
		switch {
		case math.IsNaN(*t) || math.IsInf(*t, 0) || *t <= 0:
			errs = append(errs, fmt.Errorf("%s::threshold must be a positive number (got %v)", prefix, *t))
		case err == nil && stat != drift.PSI && *t > 1:
			errs = append(errs, fmt.Errorf("%s::threshold must be at most 1 for %s (got %v)", prefix, stat, *t))
		}
	}
	if c.ReferenceMode != referencePinned && c.ReferenceMode != referenceTrailing {
		errs = append(errs, fmt.Errorf("%s::reference must be pinned or trailing (got %q)", prefix, c.ReferenceMode))
	}
	if c.ReferenceWindow < time.Second {
		errs = append(errs, fmt.Errorf("%s::reference_window must be at least 1s (got %s%s)", prefix, c.ReferenceWindow, UnitHint(c.ReferenceWindow, "m")))
	}
	if c.MinSamples < 1 {
		errs = append(errs, fmt.Errorf("%s::min_samples must be at least 1 (got %d)", prefix, c.MinSamples))
	}
	if c.Bins < 2 || c.Bins > maxBins {
		errs = append(errs, fmt.Errorf("%s::bins must be in [2, %d] (got %d)", prefix, maxBins, c.Bins))
	}
	return errs
}

// Reference is the reference the processor keeps for the observer.
func (c *PredictionDriftConfig) Reference() Reference {
	return Reference{Trailing: c.ReferenceMode == referenceTrailing, Window: c.ReferenceWindow, MinSamples: c.MinSamples}
}

func (c *PredictionDriftConfig) New() Observer {
	stat, _ := drift.ParseStatistic(c.Statistic) // validated
	o := &predictionDrift{stat: stat, threshold: stat.DefaultThreshold(), min: c.MinSamples, bins: c.Bins}
	if c.Threshold != nil {
		o.threshold = *c.Threshold
	}
	return o
}

type predictionDrift struct {
	stat      drift.Statistic
	threshold float64
	min       uint64
	bins      int
	// cmp holds the comparison's buffers; an evaluation runs one model at a time.
	cmp drift.Comparer
}

func (*predictionDrift) Name() string { return "prediction_drift" }

// Observe compares Score with Reference; both need min_samples, and the same kind of histogram
// (explicit ones the same bounds, which the processor keeps by re-pinning on a change).
func (o *predictionDrift) Observe(s *Stats) (f Finding, outcome Outcome) {
	cur, ref := s.Score, s.Reference
	switch {
	case cur == nil || cur.Count == 0:
		return f, NoData
	case ref == nil || cur.Count < o.min || ref.Count < o.min:
		return f, FewSamples
	}
	var r, c []uint64
	keep := 0
	switch {
	case cur.Exponential && ref.Exponential:
		r, c = o.cmp.AlignExponential(exponential(ref), exponential(cur))
		keep = 1 // the zero count is its own bin
	case !cur.Exponential && !ref.Exponential && slices.Equal(cur.Bounds, ref.Bounds):
		r, c = ref.Counts, cur.Counts
	default:
		return f, NoData // no comparable reference yet
	}
	v, ok := o.cmp.Compare(o.stat, r, c, o.bins, keep)
	switch {
	case !ok:
		return f, NoData
	case !finite(v):
		return f, NonFinite
	}
	f.Statistic, f.Unit = o.stat.String(), "1"
	f.Value, f.Threshold, f.Samples = v, o.threshold, cur.Count
	f.ReferenceStart, f.ReferenceEnd = ref.Start, ref.End
	f.Flagged = v >= o.threshold
	return f, Observed
}

func exponential(h *drift.Histogram) drift.Exponential {
	return drift.Exponential{Scale: h.Scale, Offset: h.Offset, Counts: h.Counts, Zero: h.Zero}
}
