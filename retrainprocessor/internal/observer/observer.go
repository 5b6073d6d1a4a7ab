// Package observer holds the checks run on each model's window at every evaluation. Each
// observer is one file: its config (keys, defaults, validation), registered in the registry
// (registry.go), and what it computes from a model's window (Stats). An observer returns a plain
// Finding (statistic, value, bounds, threshold, flagged) with an Outcome: Observed when the
// finding stands, or why it abstains (no data, too few samples, an estimate whose bounds straddle
// the threshold, a statistic that is not finite). The processor turns findings into job evidence.
package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"time"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
)

// Outcome is what an observer concluded from a window. Only Observed findings go into a job.
type Outcome uint8

const (
	Observed   Outcome = iota // the finding is valid, flagged or not
	NoData                    // the observer's signal has no data in the window
	FewSamples                // data, but less than the observer needs to judge
	Unresolved                // a bucket-based estimate straddles the threshold: its bounds disagree
	NonFinite                 // the statistic is NaN or ±Inf
	NotABound                 // a threshold the statistic needs as a bucket bound is not one
	// Outcomes is the number of outcomes; counters keep one entry per outcome.
	Outcomes
)

var outcomeNames = [...]string{"observed", "no_data", "few_samples", "unresolved", "non_finite", "not_a_bound"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Finding is what an observer computed from one window.
type Finding struct {
	Statistic string  // p99, mean, rate, psi, estimated, ...
	Value     float64 // in Unit
	// Lower and Upper bound a bucket-based estimate (Bounded): the true statistic lies in
	// [Lower, Upper]. Upper may be +Inf.
	Lower, Upper float64
	Bounded      bool
	Threshold    float64
	Unit         string // ms, 1, /s
	Samples      uint64 // the observations, readings or points the statistic rests on
	Flagged      bool
	// ReferenceStart and ReferenceEnd (unix ns, end exclusive) bound the window a comparison
	// was made against; 0 when the statistic compares with nothing.
	ReferenceStart, ReferenceEnd int64
}

// Estimate is a percentile estimate and the bounds of the bucket it comes from, in ms for latency:
// Lower <= Value <= Upper, and the true percentile lies in [Lower, Upper], above Lower unless
// Lower is 0 or equals Upper (a bucket excludes its lower bound). Upper may be +Inf.
type Estimate = quantile.Estimate

// Distribution answers percentile questions about a window's latency distribution, in milliseconds.
type Distribution interface {
	Quantile(q float64) (Estimate, bool)
	Count() uint64
}

// Stats is what an observer sees of one model's window.
type Stats struct {
	// Latency is nil or empty when the window holds no latency observations.
	Latency Distribution
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
	// Score is the window's histogram of prediction scores; nil or empty without score data.
	Score *drift.Histogram
	// Reference is the score histogram an observer that compares (a Referencer) compares Score
	// with, as its config asks: nil until there is one.
	Reference *drift.Histogram
}

// Referencer is implemented by the config of an observer that compares the score window with a
// reference; the processor keeps the reference it asks for.
type Referencer interface {
	Reference() Reference
}

// Reference is the score reference an observer needs.
type Reference struct {
	// Trailing: the Window that ends where the evaluation window starts. Otherwise pinned: the
	// first Window of scores of each (model, version), frozen once it holds MinSamples.
	Trailing   bool
	Window     time.Duration
	MinSamples uint64
}

// Observer checks one aspect of a model's window.
type Observer interface {
	// Name is the observer's config key, used as the job's reason.
	Name() string
	// Observe returns the finding and what was concluded. The finding is filled for Observed
	// and Unresolved (value, bounds, threshold) so callers can log and show it; a job carries
	// only Observed findings.
	Observe(s *Stats) (Finding, Outcome)
}
