package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/visutility/otelcol-retrain/internal/job"
)

// LatencySLAConfig flags a model whose latency percentile exceeds a threshold.
type LatencySLAConfig struct {
	Enabled    bool          `mapstructure:"enabled"`
	Percentile float64       `mapstructure:"percentile"`
	Threshold  time.Duration `mapstructure:"threshold"`
	_          struct{}
}

// LatencySLAOverride replaces the keys it sets for one model.
type LatencySLAOverride struct {
	Enabled    *bool          `mapstructure:"enabled"`
	Percentile *float64       `mapstructure:"percentile"`
	Threshold  *time.Duration `mapstructure:"threshold"`
	_          struct{}
}

// With returns the config with the override's keys applied.
func (c LatencySLAConfig) With(o *LatencySLAOverride) LatencySLAConfig {
	if o == nil {
		return c
	}
	if o.Enabled != nil {
		c.Enabled = *o.Enabled
	}
	if o.Percentile != nil {
		c.Percentile = *o.Percentile
	}
	if o.Threshold != nil {
		c.Threshold = *o.Threshold
	}
	return c
}

// Validate names the key (prefixed with prefix) and the bad value.
func (c LatencySLAConfig) Validate(prefix string) []error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	if err := validUnitInterval(prefix+"::percentile", c.Percentile, true, true); err != nil {
		errs = append(errs, err)
	}
	if c.Threshold <= 0 {
		errs = append(errs, fmt.Errorf("%s::threshold must be a positive duration (got %s)", prefix, c.Threshold))
	}
	return errs
}

type latencySLA struct {
	q           float64
	thresholdMS float64
	statistic   string
}

// NewLatencySLA builds the latency_sla observer.
func NewLatencySLA(c LatencySLAConfig) Observer {
	return &latencySLA{
		q:           c.Percentile,
		thresholdMS: float64(c.Threshold) / float64(time.Millisecond),
		statistic:   "p" + strconv.FormatFloat(c.Percentile*100, 'f', -1, 64),
	}
}

func (*latencySLA) Name() string { return "latency_sla" }

// Observe needs latency data and min_samples predictions. The bucket's bounds decide: every value
// the bucket holds is above the threshold (Lower >= threshold, as a bucket excludes its lower
// bound) or none is (Upper <= threshold); otherwise the estimate is Unresolved.
func (o *latencySLA) Observe(s *Stats) (ev job.Evidence, outcome Outcome) {
	// Named results filled once: a fresh job.Evidence on every return path tripled this code
	// and made the observer loop a third slower (BenchmarkObserve).
	var n uint64
	if s.Latency != nil {
		n = s.Latency.Count()
	}
	if n == 0 {
		return ev, NoData
	}
	if s.Predictions < s.MinSamples {
		return ev, FewSamples
	}
	est, ok := s.Latency.Quantile(o.q)
	switch {
	case !ok:
		return ev, NoData
	case !finite(est.Value) || !finite(est.Lower) || math.IsNaN(est.Upper) || math.IsInf(est.Upper, -1):
		return ev, NonFinite
	case est.Upper <= o.thresholdMS:
		outcome = Observed
	case est.Lower >= o.thresholdMS:
		ev.Flagged, outcome = true, Observed
	default:
		outcome = Unresolved
	}
	ev.Observer, ev.Statistic, ev.Unit = o.Name(), o.statistic, "ms"
	ev.Value, ev.Lower, ev.Upper, ev.Bounded = est.Value, est.Lower, est.Upper, true
	ev.Threshold, ev.Samples = o.thresholdMS, n
	return ev, outcome
}
