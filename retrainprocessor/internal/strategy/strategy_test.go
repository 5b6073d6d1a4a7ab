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

// run feeds one evaluation a minute with the given votes and returns the decisions.
func run(s Strategy, votes ...bool) []Decision {
	var st State
	out := make([]Decision, len(votes))
	for i, v := range votes {
		out[i] = s.Decide(&st, t0.Add(time.Duration(i)*time.Minute), v)
	}
	return out
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name  string
		s     Strategy
		votes []bool
		want  []Decision
	}{
		{
			name:  "without for a held vote fires at once",
			s:     Strategy{},
			votes: []bool{false, true},
			want:  []Decision{Quiet, Fire},
		},
		{
			name:  "for waits until the vote has held long enough",
			s:     Strategy{For: 2 * time.Minute},
			votes: []bool{true, true, true},
			want:  []Decision{Pending, Pending, Fire},
		},
		{
			name:  "a break in the vote restarts for",
			s:     Strategy{For: 2 * time.Minute},
			votes: []bool{true, true, false, true, true, true},
			want:  []Decision{Pending, Pending, Quiet, Pending, Pending, Fire},
		},
		{
			name:  "cooldown suppresses the second job",
			s:     Strategy{Cooldown: 3 * time.Minute},
			votes: []bool{true, true, true, true},
			want:  []Decision{Fire, Suppressed, Suppressed, Fire},
		},
		{
			name:  "after a job the next one needs a fresh for period",
			s:     Strategy{For: time.Minute, Cooldown: time.Minute},
			votes: []bool{true, true, true, true},
			want:  []Decision{Pending, Fire, Pending, Fire},
		},
		{
			name:  "zero cooldown fires at every evaluation",
			s:     Strategy{},
			votes: []bool{true, true},
			want:  []Decision{Fire, Fire},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, run(tt.s, tt.votes...))
		})
	}
}

func TestStateIdle(t *testing.T) {
	var st State
	assert.True(t, st.Idle(t0))
	s := Strategy{Cooldown: time.Minute}
	require.Equal(t, Fire, s.Decide(&st, t0, true))
	assert.False(t, st.Idle(t0.Add(30*time.Second)), "in cooldown")
	assert.True(t, st.Idle(t0.Add(time.Minute)))
	require.Equal(t, Pending, Strategy{For: time.Hour}.Decide(&st, t0.Add(2*time.Minute), true))
	assert.False(t, st.Idle(t0.Add(2*time.Minute)), "pending")
}
