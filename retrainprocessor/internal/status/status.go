// Package status serves the retrain processor's status page and API: every model's state, its
// statistics against their thresholds with their recent history, its timers, silences and last
// jobs, and why it did or did not fire at its last evaluation. It is plain net/http over a
// Source the processor implements; it knows no collector types.
package status // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/status"

import (
	"errors"
	"time"
)

// Model states.
const (
	StateOK               = "ok"
	StateInsufficientData = "insufficient_data"
	StatePending          = "pending"
	StateCooldown         = "cooldown"
	StateSilenced         = "silenced"
)

// Gates: why a model did or did not fire at its last evaluation.
const (
	GateFired     = "fired"      // a job fired
	GateWouldFire = "would_fire" // dry run: a job would have fired
	GateSamples   = "samples"    // every observer abstained for lack of data or samples
	GateAbstained = "abstained"  // every observer abstained, some for another reason (unresolved, not finite, not a bound)
	GateVote      = "vote"       // observers judged and the vote did not carry
	GateFor       = "for"        // the vote holds, for `for` not yet
	GateCooldown  = "cooldown"   // the vote carried inside a cooldown
	GateSilence   = "silence"    // the vote carried while the model is silenced
)

// Finding is one observer's statistic at an evaluation.
type Finding struct {
	Observer  string  `json:"observer"`
	Statistic string  `json:"statistic,omitempty"`
	Value     float64 `json:"value"`
	// Lower and Upper are set for a bucket-based estimate (Bounded).
	Lower     float64 `json:"lower,omitempty"`
	Upper     float64 `json:"upper,omitempty"` // +Inf is rendered as null in JSON by the handler
	Bounded   bool    `json:"bounded,omitempty"`
	Threshold float64 `json:"threshold"`
	Unit      string  `json:"unit,omitempty"`
	Samples   uint64  `json:"samples"`
	Flagged   bool    `json:"flagged"`
	// Outcome is "observed", or why the observer abstained (no_data, few_samples, unresolved,
	// non_finite, not_a_bound); Value and Threshold are meaningful only when observed or
	// unresolved.
	Outcome string `json:"outcome"`
}

// Point is one evaluation in a statistic's history.
type Point struct {
	At    time.Time `json:"at"`
	Value float64   `json:"value"`
}

// Series is the recent history of one observer's statistic, oldest first.
type Series struct {
	Observer  string  `json:"observer"`
	Statistic string  `json:"statistic,omitempty"`
	Unit      string  `json:"unit,omitempty"`
	Threshold float64 `json:"threshold"`
	Points    []Point `json:"points"`
}

// Job is a job a model fired (or, in a dry run, would have).
type Job struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Reasons []string  `json:"reasons,omitempty"`
	DryRun  bool      `json:"dry_run,omitempty"`
}

// Model is one (model, version)'s status.
type Model struct {
	ModelID      string `json:"model_id"`
	ModelVersion string `json:"model_version,omitempty"`
	State        string `json:"state"`
	// LastEvaluation is zero until the model was evaluated.
	LastEvaluation time.Time `json:"last_evaluation"`
	// Gate says why the model did or did not fire at LastEvaluation; Reason explains it in words.
	Gate   string `json:"gate"`
	Reason string `json:"reason"`
	// Findings are the last evaluation's, one per enabled observer.
	Findings []Finding `json:"findings"`
	// History holds each observer's statistic over the last evaluations (at most HistoryLength).
	History []Series `json:"history,omitempty"`
	// PendingSince is when the vote started holding (for `for`); zero when it does not.
	PendingSince  time.Time `json:"pending_since,omitzero"`
	CooldownUntil time.Time `json:"cooldown_until,omitzero"`
	// SilencedUntil is when the longest silence on the model ends; zero when none.
	SilencedUntil time.Time `json:"silenced_until,omitzero"`
	LastJobs      []Job     `json:"last_jobs,omitempty"`
	// Resource is the model's resource attributes as received.
	Resource map[string]any `json:"resource,omitempty"`
}

// MaxModelID bounds a silence's model_id and model_version, in bytes.
const MaxModelID = 256

// HistoryLength is how many evaluations a model's history keeps.
const HistoryLength = 60

// Silence stops a model (one version, or every version when ModelVersion is empty) from firing
// until Until. A silenced model is still evaluated, shown and counted.
type Silence struct {
	ID           string    `json:"id"`
	ModelID      string    `json:"model_id"`
	ModelVersion string    `json:"model_version,omitempty"`
	Comment      string    `json:"comment,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	Until        time.Time `json:"until"`
}

// Filter selects models for a listing.
type Filter struct {
	// State, when set, keeps the models in that state.
	State string
	// Model, when set, keeps the models whose id contains it.
	Model string
	// Offset and Limit page the listing, sorted by model id then version.
	Offset, Limit int
}

// Page is one page of a listing.
type Page struct {
	Models []Model `json:"models"`
	// Total is how many models the filter selects; Counts how many are in each state, over all.
	Total  int            `json:"total"`
	Counts map[string]int `json:"counts"`
	Offset int            `json:"offset"`
	Limit  int            `json:"limit"`
}

// ErrNotFound is returned for a silence or model that does not exist.
var ErrNotFound = errors.New("not found")

// Source is what the status server reads and changes; the processor implements it. Every method
// is safe for concurrent use and returns copies the caller may keep.
type Source interface {
	// Models returns a page of models; history is left out of listings.
	Models(f Filter) Page
	// Model returns one model with its history, or false.
	Model(id, version string) (Model, bool)
	// Silences lists the silences that have not expired.
	Silences() []Silence
	// AddSilence stores a silence for model (and version) lasting d from now, with its id and
	// end set; the error is for storage that refused it.
	AddSilence(model, version string, d time.Duration, comment string) (Silence, error)
	// DeleteSilence ends a silence now; ErrNotFound when there is none with that id.
	DeleteSilence(id string) error
	// Info describes the processor for the page's header: component id, dry run, settings.
	Info() Info
}

// Info describes the processor.
type Info struct {
	Component          string        `json:"component"`
	DryRun             bool          `json:"dry_run"`
	EvaluationInterval time.Duration `json:"evaluation_interval"`
	Window             time.Duration `json:"window"`
	Vote               string        `json:"vote"`
	For                time.Duration `json:"for"`
	Cooldown           time.Duration `json:"cooldown"`
	// LastEvaluation is the end of the last evaluation tick.
	LastEvaluation time.Time `json:"last_evaluation"`
}
