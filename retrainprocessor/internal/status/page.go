package status

import (
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageStates is the order of the page's summary: what needs a look first.
var pageStates = []string{StatePending, StateCooldown, StateSilenced, StateInsufficientData, StateOK}

// gateWords say each gate in words, for the table's "why" column.
var gateWords = map[string]string{
	GateFired:     "fired",
	GateWouldFire: "would fire (dry run)",
	GateSamples:   "too little data",
	GateAbstained: "every observer abstained",
	GateVote:      "vote did not carry",
	GateFor:       "for not yet elapsed",
	GateCooldown:  "held by cooldown",
	GateSilence:   "held by silence",
}

// words says a model's gate in words: a vote that did not carry because no observer flagged is
// a healthy model.
func words(m Model) string {
	if m.Gate == GateVote && !slices.ContainsFunc(m.Findings, func(f Finding) bool { return f.Flagged }) {
		return "healthy"
	}
	return gateWords[m.Gate]
}

// maxJobs is how many of a model's last jobs a row shows.
const maxJobs = 3

// Chart size, in CSS pixels.
const (
	chartW, chartH, chartPad = 120, 28, 2
)

type pageView struct {
	Title     string
	Component string
	DryRun    bool
	Refresh   int // seconds; 0 for none
	Settings  []setting
	Now       timeView
	LastEval  timeView
	Stale     bool // no evaluation for three intervals

	All     stateLink
	Summary []stateLink

	State, Model string
	Limit        string // kept in the form when not the page size
	Options      []option

	Showing                 string
	First, Prev, Next, Last string
	Rows                    []rowView

	Silences []silenceView
	API      string // absolute URL of the API, for the curl hints
}

type setting struct{ Name, Value string }

type stateLink struct {
	State, Label, Href string
	Count              int
	Current            bool
}

type option struct {
	Value, Label string
	Selected     bool
}

type timeView struct {
	Zero            bool
	ISO, Short, Rel string
}

type rowView struct {
	ID, Version, VersionLabel, State, StateLabel, Href string
	LastEval                                           timeView
	Evidence                                           []evidenceView
	Pending, Cooldown, Silenced                        timeView
	PendingFor                                         string
	Jobs                                               []jobView
	MoreJobs                                           int
	Gate, GateWords, Reason                            string
}

type evidenceView struct {
	Observer, Statistic, Outcome, OutcomeWords string
	Value, Range, Threshold, Samples           string
	Flagged, Observed                          bool
	Chart                                      *chartView
}

type chartView struct {
	Observer, Title string
	W, H, N         int
	Line            string // polyline points
	HasThreshold    bool
	ThresholdY      string
	LastX, LastY    string
	HasLast         bool
}

type jobView struct {
	ID, Reasons string
	At          timeView
	DryRun      bool
}

type silenceView struct {
	ID, Model, Version, Comment string
	Until, Created              timeView
}

// view gathers what the page shows. Only the page's models are read with their history, so a
// page costs the same whatever the number of models.
func (h *handler) view(r *http.Request, f Filter) pageView {
	now := h.opts.Now()
	info := h.src.Info()
	p := h.models(f)
	v := pageView{
		Title:     "retrain status",
		Component: info.Component,
		DryRun:    info.DryRun,
		Now:       at(now, now),
		LastEval:  at(info.LastEvaluation, now),
		State:     f.State,
		Model:     f.Model,
		API:       apiBase(r),
	}
	if info.Component != "" {
		v.Title += " · " + info.Component
	}
	if h.opts.Refresh > 0 {
		v.Refresh = max(1, int(h.opts.Refresh.Round(time.Second)/time.Second))
	}
	if info.EvaluationInterval > 0 && !info.LastEvaluation.IsZero() {
		v.Stale = now.Sub(info.LastEvaluation) > 3*info.EvaluationInterval
	}
	v.Settings = []setting{
		{"evaluation every", human(info.EvaluationInterval)},
		{"window", human(info.Window)},
		{"vote", info.Vote},
		{"for", human(info.For)},
		{"cooldown", human(info.Cooldown)},
	}
	if f.Limit != h.opts.PageSize {
		v.Limit = strconv.Itoa(f.Limit)
	}

	all := 0
	for _, n := range p.Counts {
		all += n
	}
	// Counts are over every model, so their links drop the model filter: a link shows its count.
	v.All = stateLink{Label: "all", Count: all, Href: h.link(Filter{Limit: f.Limit}), Current: f.State == "" && f.Model == ""}
	v.Options = append(v.Options, option{Value: "", Label: "any state", Selected: f.State == ""})
	for _, s := range pageStates {
		v.Summary = append(v.Summary, stateLink{
			State: s, Label: stateLabel(s), Count: p.Counts[s], Current: f.State == s && f.Model == "",
			Href: h.link(Filter{State: s, Limit: f.Limit}),
		})
		v.Options = append(v.Options, option{Value: s, Label: stateLabel(s), Selected: f.State == s})
	}

	n := len(p.Models)
	switch {
	case p.Total == 0:
		v.Showing = "no models"
		if f.State != "" || f.Model != "" {
			v.Showing = "no models match"
		}
	case n == 0:
		v.Showing = fmt.Sprintf("none past %d of %d", f.Offset, p.Total)
	case n == 1:
		v.Showing = fmt.Sprintf("showing %d of %d", f.Offset+1, p.Total)
	default:
		v.Showing = fmt.Sprintf("showing %d–%d of %d", f.Offset+1, f.Offset+n, p.Total)
	}
	if f.Offset > 0 {
		first, prev := f, f
		first.Offset, prev.Offset = 0, max(0, min(f.Offset-f.Limit, lastOffset(p.Total, f.Limit)))
		v.First, v.Prev = h.link(first), h.link(prev)
	}
	if f.Offset+n < p.Total {
		next, last := f, f
		next.Offset, last.Offset = f.Offset+n, lastOffset(p.Total, f.Limit)
		v.Next, v.Last = h.link(next), h.link(last)
	}

	for _, m := range p.Models {
		if full, ok := h.src.Model(m.ModelID, m.ModelVersion); ok {
			m = full
		}
		v.Rows = append(v.Rows, row(m, info, now))
	}
	for _, s := range h.silences() {
		sv := silenceView{ID: s.ID, Model: s.ModelID, Version: s.ModelVersion, Comment: s.Comment,
			Until: at(s.Until, now), Created: at(s.CreatedAt, now)}
		v.Silences = append(v.Silences, sv)
	}
	return v
}

func lastOffset(total, limit int) int {
	if total == 0 {
		return 0
	}
	return (total - 1) / limit * limit
}

// link is the page's relative URL for a filter, leaving out what is the default.
func (h *handler) link(f Filter) string {
	q := url.Values{}
	if f.State != "" {
		q.Set("state", f.State)
	}
	if f.Model != "" {
		q.Set("model", f.Model)
	}
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(f.Offset))
	}
	if f.Limit != h.opts.PageSize {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if len(q) == 0 {
		return "./"
	}
	return "?" + q.Encode()
}

// apiBase is the absolute URL of the API as the client reached the page, for copy-paste.
func apiBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	base := r.URL.Path
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && u.Path != "" {
		base = u.Path // the path before any http.StripPrefix
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return scheme + "://" + r.Host + base + "api/v1"
}

func row(m Model, info Info, now time.Time) rowView {
	rv := rowView{
		ID: m.ModelID, Version: m.ModelVersion, State: m.State, StateLabel: stateLabel(m.State),
		Href:     "api/v1/models/" + url.PathEscape(m.ModelID) + "?" + url.Values{"version": {m.ModelVersion}}.Encode(),
		LastEval: at(m.LastEvaluation, now),
		Pending:  at(m.PendingSince, now), Cooldown: at(m.CooldownUntil, now), Silenced: at(m.SilencedUntil, now),
		Gate: m.Gate, GateWords: words(m), Reason: m.Reason,
	}
	if v := m.ModelVersion; v != "" && v[0] >= '0' && v[0] <= '9' {
		rv.VersionLabel = "v" + v
	} else {
		rv.VersionLabel = v
	}
	if rv.GateWords == "" {
		rv.GateWords = strings.ReplaceAll(m.Gate, "_", " ")
	}
	if !m.PendingSince.IsZero() && info.For > 0 {
		rv.PendingFor = human(info.For)
	}
	series := make(map[string]*Series, len(m.History))
	for i := range m.History {
		series[m.History[i].Observer] = &m.History[i]
	}
	for _, f := range m.Findings {
		ev := evidence(f)
		if s := series[f.Observer]; s != nil {
			ev.Chart = chart(s)
			delete(series, f.Observer)
		}
		rv.Evidence = append(rv.Evidence, ev)
	}
	// History of an observer with no finding at the last evaluation: still worth its chart.
	for _, s := range m.History {
		if series[s.Observer] != nil {
			rv.Evidence = append(rv.Evidence, evidenceView{
				Observer: s.Observer, Statistic: s.Statistic, Outcome: "no_finding",
				OutcomeWords: "no finding at the last evaluation", Threshold: withUnit(s.Threshold, s.Unit),
				Chart: chart(&s),
			})
		}
	}
	jobs := slices.Clone(m.LastJobs)
	slices.SortStableFunc(jobs, func(a, b Job) int { return b.At.Compare(a.At) })
	if len(jobs) > maxJobs {
		rv.MoreJobs = len(jobs) - maxJobs
		jobs = jobs[:maxJobs]
	}
	for _, j := range jobs {
		rv.Jobs = append(rv.Jobs, jobView{ID: j.ID, At: at(j.At, now), DryRun: j.DryRun, Reasons: strings.Join(j.Reasons, "; ")})
	}
	return rv
}

var outcomeWords = map[string]string{
	"no_data":     "no data",
	"few_samples": "too few samples",
	"unresolved":  "unresolved: the estimate's bounds straddle the threshold",
	"non_finite":  "not finite",
	"not_a_bound": "threshold is not a bucket bound",
}

func evidence(f Finding) evidenceView {
	ev := evidenceView{
		Observer: f.Observer, Statistic: f.Statistic, Outcome: f.Outcome, Flagged: f.Flagged,
		Observed: f.Outcome == "observed" || f.Outcome == "",
		Samples:  strconv.FormatUint(f.Samples, 10),
	}
	if !ev.Observed {
		ev.OutcomeWords = outcomeWords[f.Outcome]
		if ev.OutcomeWords == "" {
			ev.OutcomeWords = strings.ReplaceAll(f.Outcome, "_", " ")
		}
	}
	// Value and Threshold mean something only when observed or unresolved.
	if ev.Observed || f.Outcome == "unresolved" {
		ev.Value = withUnit(f.Value, f.Unit)
		ev.Threshold = withUnit(f.Threshold, f.Unit)
		if f.Bounded {
			if math.IsInf(f.Upper, 1) {
				ev.Range = num(f.Lower) + "–∞"
			} else {
				ev.Range = num(f.Lower) + "–" + num(f.Upper)
			}
		}
	}
	return ev
}

// chart draws a series as a sparkline, scaled to hold both its values and its threshold.
func chart(s *Series) *chartView {
	c := &chartView{Observer: s.Observer, W: chartW, H: chartH, N: len(s.Points)}
	lo, hi := math.Inf(1), math.Inf(-1)
	var last float64
	finite := 0
	for _, p := range s.Points {
		if isFinite(p.Value) {
			lo, hi = min(lo, p.Value), max(hi, p.Value)
			last = p.Value
			finite++
		}
	}
	c.HasThreshold = isFinite(s.Threshold)
	if c.HasThreshold {
		lo, hi = min(lo, s.Threshold), max(hi, s.Threshold)
	}
	if finite == 0 && !c.HasThreshold {
		c.Title = fmt.Sprintf("%s: no finite values", s.Observer)
		return c
	}
	if hi == lo { // a flat line sits in the middle
		lo, hi = lo-1, hi+1
	}
	y := func(v float64) float64 {
		return chartPad + (hi-v)/(hi-lo)*(chartH-2*chartPad)
	}
	x := func(i int) float64 {
		if len(s.Points) < 2 {
			return chartW / 2
		}
		return chartPad + float64(i)*(chartW-2*chartPad)/float64(len(s.Points)-1)
	}
	var b strings.Builder
	for i, p := range s.Points {
		if !isFinite(p.Value) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		c.LastX, c.LastY, c.HasLast = coord(x(i)), coord(y(p.Value)), true
		b.WriteString(c.LastX)
		b.WriteByte(',')
		b.WriteString(c.LastY)
	}
	c.Line = b.String()
	if c.HasThreshold {
		c.ThresholdY = coord(y(s.Threshold))
	}
	name := s.Observer
	if s.Statistic != "" {
		name += " " + s.Statistic
	}
	if finite > 0 {
		c.Title = fmt.Sprintf("%s over %d evaluations: last %s, min %s, max %s; threshold %s",
			name, len(s.Points), withUnit(last, s.Unit), num(minFinite(s.Points)), num(maxFinite(s.Points)), withUnit(s.Threshold, s.Unit))
	} else {
		c.Title = fmt.Sprintf("%s: no finite values; threshold %s", name, withUnit(s.Threshold, s.Unit))
	}
	return c
}

// coord writes a chart coordinate to a tenth of a pixel, without a trailing ".0".
func coord(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
}

func minFinite(ps []Point) float64 {
	v := math.Inf(1)
	for _, p := range ps {
		if isFinite(p.Value) {
			v = min(v, p.Value)
		}
	}
	return v
}

func maxFinite(ps []Point) float64 {
	v := math.Inf(-1)
	for _, p := range ps {
		if isFinite(p.Value) {
			v = max(v, p.Value)
		}
	}
	return v
}

func isFinite(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }

func stateLabel(s string) string { return strings.ReplaceAll(s, "_", " ") }

// at shows t in UTC, short when it is today, with how long ago or until.
func at(t, now time.Time) timeView {
	if t.IsZero() {
		return timeView{Zero: true}
	}
	u, n := t.UTC(), now.UTC()
	tv := timeView{ISO: u.Format(time.RFC3339)}
	switch {
	case u.YearDay() == n.YearDay() && u.Year() == n.Year():
		tv.Short = u.Format("15:04:05")
	case u.Year() == n.Year():
		tv.Short = u.Format("Jan 2 15:04")
	default:
		tv.Short = u.Format("2006-01-02 15:04")
	}
	switch d := t.Sub(now); {
	case d > -time.Second && d < time.Second:
		tv.Rel = "now"
	case d > 0:
		tv.Rel = "in " + human(d)
	default:
		tv.Rel = human(-d) + " ago"
	}
	return tv
}

// human writes a duration the way people say it: 45s, 12m, 1h30m, 3d4h.
func human(d time.Duration) string {
	if d < 0 {
		return "-" + human(-d)
	}
	switch {
	case d == 0:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		d = d.Round(time.Second)
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%02ds", m, s)
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%02dm", h, m)
	default:
		d = d.Round(time.Hour)
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return fmt.Sprintf("%dd", days)
		}
		return fmt.Sprintf("%dd%dh", days, h)
	}
}

// num writes a statistic with the digits that matter: 412, 12.5, 0.912, 0.0123.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+∞"
	case math.IsInf(v, -1):
		return "−∞"
	case v == 0:
		return "0"
	}
	a := math.Abs(v)
	var s string
	switch {
	case a >= 1e6 || a < 1e-4:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1:
		s = strconv.FormatFloat(v, 'f', 2, 64)
	default:
		s = strconv.FormatFloat(v, 'g', 3, 64)
		if strings.ContainsAny(s, "e") {
			return s
		}
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// annotation drops the braces of a UCUM annotation: {prediction}/s is prediction/s.
var annotation = strings.NewReplacer("{", "", "}", "")

// withUnit writes a statistic with its unit: 412 ms, 2/s, 0.91 (unit 1 is no unit).
func withUnit(v float64, unit string) string {
	unit = annotation.Replace(unit)
	switch {
	case unit == "" || unit == "1":
		return num(v)
	case strings.HasPrefix(unit, "/") || unit == "%":
		return num(v) + unit
	default:
		return num(v) + " " + unit
	}
}
