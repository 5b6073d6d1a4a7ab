// Package strategy turns the observers' flags for one model into a decision: the vote (any,
// majority, all), Prometheus-style `for` (the vote must hold at every evaluation for a duration)
// and a per-model cooldown after each job. Time is always passed in, so tests drive the clock.
package strategy // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/strategy"

import (
	"fmt"
	"time"
)

// Vote says how many enabled observers must flag for the vote to hold.
type Vote int

const (
	// VoteAny holds when at least one observer flags.
	VoteAny Vote = iota
	// VoteMajority holds when more than half of the enabled observers flag.
	VoteMajority
	// VoteAll holds when every enabled observer flags; an abstaining observer does not flag.
	VoteAll
)

var voteNames = [...]string{VoteAny: "any", VoteMajority: "majority", VoteAll: "all"}

func (v Vote) String() string {
	if int(v) < len(voteNames) && v >= 0 {
		return voteNames[v]
	}
	return fmt.Sprintf("Vote(%d)", int(v))
}

// ParseVote reads a vote from its config name.
func ParseVote(s string) (Vote, error) {
	for i, name := range voteNames {
		if s == name {
			return Vote(i), nil
		}
	}
	return 0, fmt.Errorf("must be one of any, majority, all (got %q)", s)
}

// Holds reports whether flagged of enabled observers carry the vote.
func (v Vote) Holds(flagged, enabled int) bool {
	if flagged <= 0 || enabled <= 0 {
		return false
	}
	switch v {
	case VoteMajority:
		return 2*flagged > enabled
	case VoteAll:
		return flagged >= enabled
	default:
		return true
	}
}

// Decision is what the strategy concluded for one model at one evaluation.
type Decision int

const (
	// Quiet: the vote does not hold.
	Quiet Decision = iota
	// Pending: the vote holds but not yet for the `for` duration.
	Pending
	// Fire: emit a job now.
	Fire
	// Suppressed: a job would fire but the model is in its cooldown.
	Suppressed
)

func (d Decision) String() string {
	switch d {
	case Pending:
		return "pending"
	case Fire:
		return "fire"
	case Suppressed:
		return "suppressed"
	default:
		return "quiet"
	}
}

// Verdict is what the observers concluded for one model at one evaluation.
type Verdict int

const (
	// Abstains: no observer could judge (too few samples, no data): the vote neither holds nor
	// fails, and a pending streak is kept, for at most Strategy.Gap.
	Abstains Verdict = iota
	// Fails: observers judged and the vote does not hold.
	Fails
	// Holds: the vote holds.
	Holds
)

// State is the decision state of one model; its zero value is a model never seen.
type State struct {
	// PendingSince is when the vote started to hold without a break; zero when it does not hold.
	PendingSince time.Time
	// HeldAt is the last evaluation at which the vote held, while PendingSince is set.
	HeldAt time.Time
	// CooldownUntil is the end of the quiet time after the last job.
	CooldownUntil time.Time
	// LastJobID and LastJobAt name the last job fired.
	LastJobID string
	LastJobAt time.Time
}

// Idle reports whether the state carries nothing worth keeping at now.
func (s State) Idle(now time.Time) bool {
	return s.PendingSince.IsZero() && !now.Before(s.CooldownUntil)
}

// Strategy holds the settings shared by every model.
type Strategy struct {
	Vote     Vote
	For      time.Duration
	Cooldown time.Duration
	// Gap is how long evaluations that abstain may interrupt a pending streak, such as while a
	// restarted collector refills its windows; past it the streak starts again.
	Gap time.Duration
}

// Decide advances one model's state for an evaluation at now. On Fire the caller records the job
// with Fired once it is sure the job can be sent; st is otherwise already advanced.
func (s Strategy) Decide(st *State, now time.Time, v Verdict) Decision {
	switch v {
	case Abstains:
		if !st.PendingSince.IsZero() && now.Sub(st.HeldAt) > s.Gap {
			st.PendingSince, st.HeldAt = time.Time{}, time.Time{}
		}
		return Quiet
	case Fails:
		st.PendingSince, st.HeldAt = time.Time{}, time.Time{}
		return Quiet
	}
	if st.PendingSince.IsZero() {
		st.PendingSince = now
	}
	st.HeldAt = now
	if now.Sub(st.PendingSince) < s.For {
		return Pending
	}
	if now.Before(st.CooldownUntil) {
		return Suppressed
	}
	return Fire
}

// Fired records a job fired at now: the cooldown starts, and the next job needs the vote to hold
// for a fresh `for` period.
func (s Strategy) Fired(st *State, now time.Time, id string) {
	st.CooldownUntil = now.Add(s.Cooldown)
	st.PendingSince, st.HeldAt = time.Time{}, time.Time{}
	st.LastJobID, st.LastJobAt = id, now
}
