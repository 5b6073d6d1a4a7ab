package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

func init() {
	register(Kind{
		Name:  "latency_sla",
		Rank:  10,
		Needs: []Signal{Latency},
		Gauge: Gauge{Name: "retrain.model.latency", Unit: "ms", ByStatistic: true, Description: "The model's latency percentile over the window, as latency_sla judged it."},
		Doc:   "Flags when the latency `percentile` is above `threshold`; needs `min_samples` predictions.",
		Keys: map[string]string{
			"percentile": "In (0, 1). The evidence statistic is named after it (`p99`, `p99.9`).",
			"threshold":  "Flags when the percentile is above it — when the whole bucket holding it is (see *Percentile estimates*). At least `1µs`.",
		},
		Default: func() Config {
			return &LatencySLAConfig{Enabled: true, Percentile: 0.99, Threshold: 100 * time.Millisecond}
		},
	})
}

// LatencySLAConfig flags a model whose latency percentile exceeds a threshold.
type LatencySLAConfig struct {
	Enabled    bool          `mapstructure:"enabled"`
	Percentile float64       `mapstructure:"percentile"`
	Threshold  time.Duration `mapstructure:"threshold"`
	_          struct{}
}

// minThreshold: a duration without a unit is nanoseconds, and a threshold of 100 flagged a
// healthy model. No sensible SLA is that short.
const minThreshold = time.Microsecond

func (c *LatencySLAConfig) IsEnabled() bool { return c.Enabled }

// Validate names the key (prefixed with prefix) and the bad value.
func (c *LatencySLAConfig) Validate(prefix string) []error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if err := validUnitInterval(prefix+"::percentile", c.Percentile, true, true); err != nil {
		errs = append(errs, err)
	}
	switch {
	case c.Threshold <= 0:
		errs = append(errs, fmt.Errorf("%s::threshold must be a positive duration (got %s)", prefix, c.Threshold))
	case c.Threshold < minThreshold:
		errs = append(errs, fmt.Errorf("%s::threshold must be at least %s (got %s%s)", prefix, minThreshold, c.Threshold, UnitHint(c.Threshold, "ms")))
	}
	return errs
}

func (c *LatencySLAConfig) New() Observer {
	return &latencySLA{
		q:           c.Percentile,
		thresholdMS: float64(c.Threshold) / float64(time.Millisecond),
		statistic:   "p" + strconv.FormatFloat(c.Percentile*100, 'f', -1, 64),
	}
}

type latencySLA struct {
	q           float64
	thresholdMS float64
	statistic   string
}

func (*latencySLA) Name() string { return "latency_sla" }

// Observe needs latency data and min_samples predictions. The bucket's bounds decide: every value
// the bucket holds is above the threshold (Lower >= threshold, as a bucket excludes its lower
// bound) or none is (Upper <= threshold); otherwise the estimate is Unresolved.
func (o *latencySLA) Observe(s *Stats) (f Finding, outcome Outcome) {
	// Named results filled once: a fresh Finding on every return path tripled this code and
	// made the observer loop a third slower (BenchmarkObserve).
	var n uint64
	if s.Latency != nil {
		n = s.Latency.Count()
	}
	if n == 0 {
		return f, NoData
	}
	if s.Predictions < s.MinSamples {
		return f, FewSamples
	}
	est, ok := s.Latency.Quantile(o.q)
	switch {
	case !ok:
		return f, NoData
	case !finite(est.Value) || !finite(est.Lower) || math.IsNaN(est.Upper) || math.IsInf(est.Upper, -1):
		return f, NonFinite
	case est.Upper <= o.thresholdMS:
		outcome = Observed
	case est.Lower >= o.thresholdMS:
		f.Flagged, outcome = true, Observed
	default:
		outcome = Unresolved
	}
	f.Statistic, f.Unit = o.statistic, "ms"
	f.Value, f.Lower, f.Upper, f.Bounded = est.Value, est.Lower, est.Upper, true
	f.Threshold, f.Samples = o.thresholdMS, n
	return f, outcome
}
