package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/status"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/strategy"
)

// board is what the status page and API read (internal/status): every model's last evaluation,
// its recent history and last jobs. The evaluator writes it after each model's decision; the
// server reads copies. It exists only when the status endpoint is on.
type board struct {
	p  *retrainProcessor
	mu sync.RWMutex
	// models by key; a model the table evicted stays until it has been quiet for a window more.
	models map[modelKey]*modelStatus
	last   time.Time // the last evaluation
}

type modelStatus struct {
	status.Model // Findings, timers, state, gate; History and SilencedUntil are filled on read
	// history: evaluation times and, per observer, its statistic at each (NaN when it abstained).
	times   []time.Time
	history map[string][]float64
	series  []string // observers in order of first appearance
	meta    map[string]status.Series
}

// maxLastJobs is how many of a model's last jobs the board shows.
const maxLastJobs = 5

func newBoard(p *retrainProcessor) *board {
	return &board{p: p, models: map[modelKey]*modelStatus{}}
}

// observed records a finding of the model being stepped, observed or not, for the board.
func (e *evaluator) observedForBoard(o *evalObserver, f *observer.Finding, outcome observer.Outcome) {
	e.boardFindings = append(e.boardFindings, status.Finding{
		Observer: o.Name(), Statistic: f.Statistic, Value: f.Value, Lower: f.Lower, Upper: f.Upper,
		Bounded: f.Bounded, Threshold: f.Threshold, Unit: f.Unit, Samples: f.Samples, Flagged: f.Flagged,
		Outcome: outcome.String(),
	})
}

// update records the model just stepped: its findings, state, gate, timers and any job.
func (b *board) update(m *model, dec strategy.Decision, silencedUntil time.Time, job *outboxJob, now time.Time) {
	e := &b.p.eval
	st := &e.st
	silenced := !silencedUntil.IsZero()
	state := modelState(e.verdict, dec, st, silencedUntil, now)
	gate, reason := b.gate(dec, silenced && e.verdict == strategy.Holds, job != nil, now)
	b.mu.Lock()
	defer b.mu.Unlock()
	ms, ok := b.models[m.key]
	if !ok {
		ms = &modelStatus{history: map[string][]float64{}, meta: map[string]status.Series{}}
		ms.ModelID, ms.ModelVersion = m.key.model, m.key.version
		b.models[m.key] = ms
	}
	ms.State, ms.Gate, ms.Reason, ms.LastEvaluation = state, gate, reason, now
	ms.PendingSince, ms.CooldownUntil, ms.SilencedUntil = time.Time{}, st.CooldownUntil, silencedUntil
	if state == status.StatePending { // a streak also runs on inside a cooldown: shown while it is what waits
		ms.PendingSince = st.PendingSince
	}
	ms.Findings = append(ms.Findings[:0], e.boardFindings...)
	if job != nil {
		ms.LastJobs = append([]status.Job{{ID: job.id, At: now, Reasons: slices.Clone(job.reasons), DryRun: b.p.cfg.Strategy.DryRun}}, ms.LastJobs...)
		ms.LastJobs = ms.LastJobs[:min(len(ms.LastJobs), maxLastJobs)]
	}
	// One history point per evaluation and observer; NaN marks an abstention.
	ms.times = appendBounded(ms.times, now)
	for _, f := range e.boardFindings {
		v := math.NaN()
		if f.Outcome == observer.Observed.String() || f.Outcome == observer.Unresolved.String() {
			v = f.Value
		}
		h, ok := ms.history[f.Observer]
		if !ok {
			ms.series = append(ms.series, f.Observer)
			h = nanHistory(len(ms.times) - 1)
		}
		ms.history[f.Observer] = appendBounded(h, v)
		if v == v { // keep the latest statistic, unit and threshold the series is drawn against
			ms.meta[f.Observer] = status.Series{Observer: f.Observer, Statistic: f.Statistic, Unit: f.Unit, Threshold: f.Threshold}
		}
	}
	for _, name := range ms.series { // an observer no longer run (an override changed) keeps its place
		if !slices.ContainsFunc(e.boardFindings, func(f status.Finding) bool { return f.Observer == name }) {
			ms.history[name] = appendBounded(ms.history[name], math.NaN())
		}
	}
}

func nanHistory(n int) []float64 {
	h := make([]float64, n)
	for i := range h {
		h[i] = math.NaN()
	}
	return h
}

func appendBounded[T any](s []T, v T) []T {
	if len(s) >= status.HistoryLength {
		s = append(s[:0], s[len(s)-status.HistoryLength+1:]...)
	}
	return append(s, v)
}

// gate says why the model just stepped did or did not fire.
func (b *board) gate(dec strategy.Decision, silenced, fired bool, now time.Time) (gate, reason string) {
	e := &b.p.eval
	flagged := strings.Join(e.reasons, ", ")
	switch {
	case fired && b.p.cfg.Strategy.DryRun:
		return status.GateWouldFire, "dry run: a job would have fired (" + flagged + "); none was sent"
	case fired:
		return status.GateFired, "a job fired: " + flagged
	case silenced:
		return status.GateSilence, "the vote carried (" + flagged + ") while the model is silenced"
	case dec == strategy.Suppressed || (e.verdict == strategy.Holds && now.Before(e.st.CooldownUntil)):
		return status.GateCooldown, "the vote carried (" + flagged + ") inside the cooldown, until " +
			e.st.CooldownUntil.UTC().Format(time.TimeOnly)
	case dec == strategy.Pending:
		return status.GateFor, fmt.Sprintf("the vote holds (%s) since %s; strategy.for is %s",
			flagged, e.st.PendingSince.UTC().Format(time.TimeOnly), b.p.cfg.Strategy.For)
	case e.verdict == strategy.Fails:
		if len(e.reasons) == 0 {
			return status.GateVote, "no observer flagged"
		}
		return status.GateVote, fmt.Sprintf("%d of %d judging observers flagged; the vote (%s) did not carry",
			len(e.reasons), len(e.findings), b.p.cfg.Strategy.Vote)
	}
	for _, f := range e.boardFindings {
		if f.Outcome != observer.NoData.String() && f.Outcome != observer.FewSamples.String() {
			return status.GateAbstained, "every observer abstained: " + outcomes(e.boardFindings)
		}
	}
	return status.GateSamples, "not enough data: " + outcomes(e.boardFindings)
}

func outcomes(fs []status.Finding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Observer + " " + f.Outcome
	}
	return strings.Join(parts, ", ")
}

// prune drops the models the table no longer holds and that have been quiet for a window.
func (b *board) prune(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last = now
	for k, ms := range b.models {
		if now.Sub(ms.LastEvaluation) > b.p.cfg.Window {
			delete(b.models, k)
		}
	}
}

// The board is the status server's Source.
var _ status.Source = (*board)(nil)

func (b *board) Models(f status.Filter) status.Page {
	b.mu.RLock()
	defer b.mu.RUnlock()
	page := status.Page{Counts: map[string]int{}, Offset: f.Offset, Limit: f.Limit}
	var keys []modelKey
	for k, ms := range b.models {
		page.Counts[ms.State]++
		if (f.State == "" || ms.State == f.State) && (f.Model == "" || strings.Contains(k.model, f.Model)) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b modelKey) int {
		if c := strings.Compare(a.model, b.model); c != 0 {
			return c
		}
		return strings.Compare(a.version, b.version)
	})
	page.Total = len(keys)
	from := min(max(f.Offset, 0), len(keys))
	to := len(keys)
	if f.Limit > 0 {
		to = min(from+f.Limit, len(keys))
	}
	page.Models = make([]status.Model, 0, to-from)
	for _, k := range keys[from:to] {
		page.Models = append(page.Models, b.models[k].copy(false))
	}
	return page
}

func (b *board) Model(id, version string) (status.Model, bool) {
	b.mu.RLock()
	ms, ok := b.models[modelKey{model: id, version: version}]
	var out status.Model
	if ok {
		out = ms.copy(true)
	}
	b.mu.RUnlock()
	if ok {
		out.Resource = b.p.resourceOf(modelKey{model: id, version: version})
	}
	return out, ok
}

// copy is the model's status for a reader; with history when asked.
func (ms *modelStatus) copy(history bool) status.Model {
	out := ms.Model
	out.Findings = slices.Clone(ms.Findings)
	out.LastJobs = slices.Clone(ms.LastJobs)
	if !history {
		return out
	}
	for _, name := range ms.series {
		s := ms.meta[name]
		s.Observer = name
		for i, v := range ms.history[name] {
			if v == v && i < len(ms.times) {
				s.Points = append(s.Points, status.Point{At: ms.times[i], Value: v})
			}
		}
		out.History = append(out.History, s)
	}
	return out
}

// resourceOf is the model's resource attributes as last received, or nil.
func (p *retrainProcessor) resourceOf(k modelKey) map[string]any {
	m := p.models.lookup(k)
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.resource.AsRaw()
}

func (b *board) Silences() []status.Silence { return b.p.silences.active(b.p.now()) }

func (b *board) AddSilence(model, version string, d time.Duration, comment string) (status.Silence, error) {
	return b.p.addSilence(context.Background(), model, version, d, comment)
}

func (b *board) DeleteSilence(id string) error {
	return b.p.deleteSilence(context.Background(), id)
}

func (b *board) Info() status.Info {
	b.mu.RLock()
	last := b.last
	b.mu.RUnlock()
	c := b.p.cfg
	return status.Info{
		Component: b.p.id.String(), DryRun: c.Strategy.DryRun, EvaluationInterval: c.EvaluationInterval,
		Window: c.Window, Vote: c.Strategy.Vote, For: c.Strategy.For, Cooldown: c.Strategy.Cooldown, LastEvaluation: last,
	}
}
