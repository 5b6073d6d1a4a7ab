package strategy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVoteHolds(t *testing.T) {
	tests := []struct {
		vote             Vote
		flagged, enabled int
		want             bool
	}{
		{VoteAny, 0, 3, false},
		{VoteAny, 1, 3, true},
		{VoteMajority, 1, 3, false},
		{VoteMajority, 2, 3, true},
		{VoteMajority, 1, 2, false}, // half is not more than half
		{VoteMajority, 2, 2, true},
		{VoteMajority, 1, 1, true},
		{VoteAll, 2, 3, false},
		{VoteAll, 3, 3, true},
		{VoteAll, 0, 0, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.vote.Holds(tt.flagged, tt.enabled), "%s %d/%d", tt.vote, tt.flagged, tt.enabled)
	}
}

func TestParseVote(t *testing.T) {
	for _, name := range []string{"any", "majority", "all"} {
		v, err := ParseVote(name)
		require.NoError(t, err)
		assert.Equal(t, name, v.String())
	}
	_, err := ParseVote("most")
	require.ErrorContains(t, err, `"most"`)
}

var t0 = time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)

// H, F and A are the verdicts in the tables below: holds, fails, abstains.
const (
	H = Holds
	F = Fails
	A = Abstains
)

// run feeds one evaluation a minute with the given verdicts and returns the decisions, recording
// each fired job as the processor does.
func run(s Strategy, verdicts ...Verdict) []Decision {
	var st State
	out := make([]Decision, len(verdicts))
	for i, v := range verdicts {
		now := t0.Add(time.Duration(i) * time.Minute)
		out[i] = s.Decide(&st, now, v)
		if out[i] == Fire {
			s.Fired(&st, now, "job")
		}
	}
	return out
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		s        Strategy
		verdicts []Verdict
		want     []Decision
	}{
		{
			name:     "without for a held vote fires at once",
			s:        Strategy{},
			verdicts: []Verdict{F, H},
			want:     []Decision{Quiet, Fire},
		},
		{
			name:     "for waits until the vote has held long enough",
			s:        Strategy{For: 2 * time.Minute},
			verdicts: []Verdict{H, H, H},
			want:     []Decision{Pending, Pending, Fire},
		},
		{
			name:     "a break in the vote restarts for",
			s:        Strategy{For: 2 * time.Minute},
			verdicts: []Verdict{H, H, F, H, H, H},
			want:     []Decision{Pending, Pending, Quiet, Pending, Pending, Fire},
		},
		{
			name:     "abstentions within the gap keep the streak",
			s:        Strategy{For: 3 * time.Minute, Gap: 2 * time.Minute},
			verdicts: []Verdict{H, A, A, H},
			want:     []Decision{Pending, Quiet, Quiet, Fire},
		},
		{
			name:     "abstentions past the gap restart the streak",
			s:        Strategy{For: 3 * time.Minute, Gap: 2 * time.Minute},
			verdicts: []Verdict{H, A, A, A, H, H, H, H},
			want:     []Decision{Pending, Quiet, Quiet, Quiet, Pending, Pending, Pending, Fire},
		},
		{
			name:     "abstentions alone never fire",
			s:        Strategy{Gap: time.Hour},
			verdicts: []Verdict{A, A, A},
			want:     []Decision{Quiet, Quiet, Quiet},
		},
		{
			name:     "cooldown suppresses the second job",
			s:        Strategy{Cooldown: 3 * time.Minute},
			verdicts: []Verdict{H, H, H, H},
			want:     []Decision{Fire, Suppressed, Suppressed, Fire},
		},
		{
			name:     "after a job the next one needs a fresh for period",
			s:        Strategy{For: time.Minute, Cooldown: time.Minute},
			verdicts: []Verdict{H, H, H, H},
			want:     []Decision{Pending, Fire, Pending, Fire},
		},
		{
			name:     "zero cooldown fires at every evaluation",
			s:        Strategy{},
			verdicts: []Verdict{H, H},
			want:     []Decision{Fire, Fire},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, run(tt.s, tt.verdicts...))
		})
	}
}

func TestAFireNotRecordedLeavesNoCooldown(t *testing.T) {
	s := Strategy{Cooldown: time.Hour}
	var st State
	require.Equal(t, Fire, s.Decide(&st, t0, Holds))
	// The caller could not send the job (Fired not called): the next evaluation may fire again.
	assert.Equal(t, Fire, s.Decide(&st, t0.Add(time.Minute), Holds))
	s.Fired(&st, t0.Add(time.Minute), "id")
	assert.Equal(t, State{CooldownUntil: t0.Add(61 * time.Minute), LastJobID: "id", LastJobAt: t0.Add(time.Minute)}, st)
}

func TestStateIdle(t *testing.T) {
	var st State
	assert.True(t, st.Idle(t0))
	s := Strategy{Cooldown: time.Minute}
	require.Equal(t, Fire, s.Decide(&st, t0, Holds))
	s.Fired(&st, t0, "id")
	assert.False(t, st.Idle(t0.Add(30*time.Second)), "in cooldown")
	assert.True(t, st.Idle(t0.Add(time.Minute)))
	require.Equal(t, Pending, Strategy{For: time.Hour}.Decide(&st, t0.Add(2*time.Minute), Holds))
	assert.False(t, st.Idle(t0.Add(2*time.Minute)), "pending")
}
