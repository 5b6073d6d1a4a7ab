// Package observer holds the checks run on each model's window at every evaluation. An observer
// reads window statistics and returns evidence (statistic, value, bounds, threshold, flagged) with
// an Outcome: Observed when the evidence stands, or why it abstains (no data, too few samples, an
// estimate whose bounds straddle the threshold, a statistic that is not finite).
package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"math"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
)

// Outcome is what an observer concluded from a window. Only Observed evidence goes into a job.
type Outcome uint8

const (
	Observed   Outcome = iota // the evidence is valid, flagged or not
	NoData                    // the observer's signal has no data in the window
	FewSamples                // data, but less than the observer needs to judge
	Unresolved                // a bucket-based estimate straddles the threshold: its bounds disagree
	NonFinite                 // the statistic is NaN or ±Inf
)

var outcomeNames = [...]string{"observed", "no_data", "few_samples", "unresolved", "non_finite"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Estimate is a percentile estimate and the bounds of the bucket it comes from, in ms for latency:
// Lower <= Value <= Upper, and the true percentile lies in [Lower, Upper], above Lower unless
// Lower is 0 or equals Upper (a bucket excludes its lower bound). Upper may be +Inf.
type Estimate = quantile.Estimate

// Latency answers percentile questions about a window's latency distribution, in milliseconds.
type Latency interface {
	Quantile(q float64) (Estimate, bool)
	Count() uint64
}

// Stats is what an observer sees of one model's window.
type Stats struct {
	// Latency is nil or empty when the window holds no latency observations.
	Latency Latency
	// ThroughputRate is in predictions per second; valid when ThroughputSamples > 0.
	ThroughputRate    float64
	ThroughputSamples uint64
	// AccuracyMean is a fraction in [0, 1]; valid when AccuracySamples > 0.
	AccuracyMean    float64
	AccuracySamples uint64
	// Predictions in the window (window.Summary.Predictions()), judged against MinSamples.
	Predictions uint64
	// MinSamples is the processor's min_samples.
	MinSamples uint64
	// Coverage is the part of the window, in [0, 1], the model has been observed for.
	Coverage float64
}

// Observer checks one aspect of a model's window.
type Observer interface {
	// Name is the observer's config key, used as the job's reason.
	Name() string
	// Observe returns the evidence and what was concluded. Evidence is filled for Observed and
	// Unresolved (value, bounds, threshold) so callers can log and show it; a job carries only
	// Observed evidence.
	Observe(s *Stats) (job.Evidence, Outcome)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func validUnitInterval(key string, v float64, lowOpen, highOpen bool) error {
	bad := math.IsNaN(v) || v < 0 || v > 1 || (lowOpen && v == 0) || (highOpen && v == 1)
	if !bad {
		return nil
	}
	lo, hi := "[", "]"
	if lowOpen {
		lo = "("
	}
	if highOpen {
		hi = ")"
	}
	return fmt.Errorf("%s must be in %s0, 1%s (got %v)", key, lo, hi, v)
}
