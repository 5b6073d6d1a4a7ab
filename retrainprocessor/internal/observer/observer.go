// Package observer holds the checks run on each model's window at every evaluation. An observer
// reads window statistics and returns evidence (statistic, value, threshold, flagged), or abstains
// when its signal has no data.
package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"math"

	"github.com/visutility/otelcol-retrain/internal/job"
)

// Latency answers percentile questions about a window's latency distribution, in milliseconds.
type Latency interface {
	Quantile(q float64) (ms float64, ok bool)
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
}

// Observer checks one aspect of a model's window.
type Observer interface {
	// Name is the observer's config key, used as the job's reason.
	Name() string
	// Observe returns the evidence, or ok=false to abstain for lack of data.
	Observe(s *Stats) (e job.Evidence, ok bool)
}

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
