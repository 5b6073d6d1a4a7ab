package status

import (
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeSource is a Source over a fixed set of models; it counts the calls of Model.
type fakeSource struct {
	mu         sync.Mutex
	models     []Model // with history
	silences   []Silence
	info       Info
	nextID     int
	addErr     error
	deleteErr  error
	modelCalls int
	added      []silenceRequest
	index      map[[2]string]int // models by id and version, built on first use
}

var _ Source = (*fakeSource)(nil)

func (s *fakeSource) Models(f Filter) Page {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := Page{Counts: map[string]int{}, Offset: f.Offset, Limit: f.Limit}
	var sel []int
	for i, m := range s.models {
		p.Counts[m.State]++
		if (f.State == "" || m.State == f.State) && strings.Contains(m.ModelID, f.Model) {
			sel = append(sel, i)
		}
	}
	slices.SortFunc(sel, func(i, j int) int {
		a, b := &s.models[i], &s.models[j]
		return cmp.Or(strings.Compare(a.ModelID, b.ModelID), strings.Compare(a.ModelVersion, b.ModelVersion))
	})
	p.Total = len(sel)
	sel = sel[min(f.Offset, len(sel)):]
	sel = sel[:min(f.Limit, len(sel))]
	for _, i := range sel {
		m := s.models[i]
		m.History = nil
		p.Models = append(p.Models, m)
	}
	return p
}

func (s *fakeSource) Model(id, version string) (Model, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.modelCalls++
	if s.index == nil {
		s.index = make(map[[2]string]int, len(s.models))
		for i, m := range s.models {
			s.index[[2]string{m.ModelID, m.ModelVersion}] = i
		}
	}
	if i, ok := s.index[[2]string{id, version}]; ok {
		return s.models[i], true
	}
	return Model{}, false
}

func (s *fakeSource) Silences() []Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.silences)
}

func (s *fakeSource) AddSilence(model, version string, d time.Duration, comment string) (Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.added = append(s.added, silenceRequest{ModelID: model, ModelVersion: version, Duration: d.String(), Comment: comment})
	if s.addErr != nil {
		return Silence{}, s.addErr
	}
	s.nextID++
	sl := Silence{ID: fmt.Sprintf("new-%d", s.nextID), ModelID: model, ModelVersion: version, Comment: comment,
		CreatedAt: testNow, Until: testNow.Add(d)}
	s.silences = append(s.silences, sl)
	return sl, nil
}

func (s *fakeSource) DeleteSilence(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deleteErr != nil {
		return s.deleteErr
	}
	for i, sl := range s.silences {
		if sl.ID == id {
			s.silences = slices.Delete(s.silences, i, i+1)
			return nil
		}
	}
	return ErrNotFound
}

func (s *fakeSource) Info() Info { return s.info }

func (s *fakeSource) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.modelCalls
}

// history is n evaluations of a statistic, one a minute up to testNow, rising from lo to hi.
func history(observer, statistic, unit string, threshold, lo, hi float64, n int) Series {
	s := Series{Observer: observer, Statistic: statistic, Unit: unit, Threshold: threshold}
	for i := range n {
		v := lo
		if n > 1 {
			v = lo + (hi-lo)*float64(i)/float64(n-1)
		}
		s.Points = append(s.Points, Point{At: testNow.Add(time.Duration(i-n+1) * time.Minute), Value: v})
	}
	return s
}

// newFake holds five models, one in each state, with histories, jobs and one silence.
func newFake() *fakeSource {
	return &fakeSource{
		info: Info{
			Component: "retrain/fraud", EvaluationInterval: 30 * time.Second, Window: 5 * time.Minute,
			Vote: "any", For: 5 * time.Minute, Cooldown: time.Hour, LastEvaluation: testNow.Add(-8 * time.Second),
		},
		models: []Model{
			{
				ModelID: "fraud-detector", ModelVersion: "3", State: StateCooldown, LastEvaluation: testNow.Add(-8 * time.Second),
				Gate: GateCooldown, Reason: "latency_sla p99 is over its threshold, inside the cooldown of the job at 11:12",
				Findings: []Finding{
					{Observer: "latency_sla", Statistic: "p99", Value: 412, Threshold: 300, Unit: "ms", Samples: 5120, Flagged: true, Outcome: "observed"},
					{Observer: "accuracy_drift", Statistic: "mean", Value: 0.93, Threshold: 0.9, Unit: "1", Samples: 800, Outcome: "observed"},
				},
				History: []Series{
					history("latency_sla", "p99", "ms", 300, 180, 412, HistoryLength),
					history("accuracy_drift", "mean", "1", 0.9, 0.95, 0.93, HistoryLength),
				},
				CooldownUntil: testNow.Add(12 * time.Minute),
				LastJobs: []Job{
					{ID: "job-0", At: testNow.Add(-3 * time.Hour), Reasons: []string{"latency_sla"}},
					{ID: "job-1", At: testNow.Add(-48 * time.Minute), Reasons: []string{"latency_sla p99 412 ms > 300 ms"}},
				},
				Resource: map[string]any{"service.name": "fraud"},
			},
			{
				ModelID: "churn-model", ModelVersion: "1", State: StatePending, LastEvaluation: testNow.Add(-8 * time.Second),
				Gate: GateFor, Reason: "the vote has held for 3m of 5m",
				Findings: []Finding{
					{Observer: "latency_sla", Statistic: "p99", Value: 450, Lower: 400, Upper: math.Inf(1), Bounded: true,
						Threshold: 300, Unit: "ms", Samples: 900, Flagged: true, Outcome: "observed"},
				},
				History:      []Series{history("latency_sla", "p99", "ms", 300, 250, 450, 7)},
				PendingSince: testNow.Add(-3 * time.Minute),
			},
			{
				ModelID: "recsys", ModelVersion: "7", State: StateOK, LastEvaluation: testNow.Add(-8 * time.Second),
				Gate: GateVote, Reason: "no observer flagged",
				Findings: []Finding{
					{Observer: "throughput_floor", Statistic: "rate", Value: 12.5, Threshold: 5, Unit: "/s", Samples: 30, Outcome: "observed"},
					{Observer: "estimated_accuracy", Statistic: "estimated", Samples: 4, Outcome: "few_samples"},
				},
				History: []Series{history("throughput_floor", "rate", "/s", 5, 12, 13, 1)},
			},
			{
				ModelID: "search-ranker", ModelVersion: "2", State: StateInsufficientData, LastEvaluation: testNow.Add(-8 * time.Second),
				Gate: GateSamples, Reason: "every observer abstained: no data",
				Findings: []Finding{{Observer: "latency_sla", Statistic: "p99", Threshold: 300, Unit: "ms", Outcome: "no_data"}},
			},
			{
				ModelID: "spam-filter", ModelVersion: "1", State: StateSilenced, LastEvaluation: testNow.Add(-8 * time.Second),
				Gate: GateSilence, Reason: "the vote carried while silenced",
				Findings: []Finding{
					{Observer: "latency_sla", Statistic: "p99", Value: 980, Threshold: 300, Unit: "ms", Samples: 64, Flagged: true, Outcome: "observed"},
				},
				History:       []Series{history("latency_sla", "p99", "ms", 300, 900, 980, 30)},
				SilencedUntil: testNow.Add(2 * time.Hour),
			},
		},
		silences: []Silence{{ID: "s1", ModelID: "spam-filter", Comment: "known bad traffic, INC-1234",
			CreatedAt: testNow.Add(-10 * time.Minute), Until: testNow.Add(2 * time.Hour)}},
	}
}

func newTestHandler(src Source, opts Options) http.Handler {
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	return NewHandler(src, opts)
}

type response struct {
	code   int
	header http.Header
	body   string
}

// do sends a request as curl or a client would: a POST with a JSON body.
func do(t testing.TB, h http.Handler, method, target, body string) response {
	t.Helper()
	return doWith(t, h, method, target, body, http.Header{"Content-Type": {"application/json"}})
}

func doWith(t testing.TB, h http.Handler, method, target, body string, header http.Header) response {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	maps.Copy(req.Header, header)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// node is an element of a parsed page: enough DOM for the tests to query.
type node struct {
	name     string
	attr     map[string]string
	children []*node
	text     strings.Builder
	parent   *node
}

// parsePage parses HTML the way encoding/xml can when lenient; it fails the test on markup it
// cannot balance, which is itself a check that the page is well formed.
func parsePage(t testing.TB, body string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &node{name: "#root", attr: map[string]string{}}
	cur := root
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attr: map[string]string{}, parent: cur}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			cur.children = append(cur.children, n)
			cur = n
		case xml.EndElement:
			require.Equal(t, cur.name, tok.Name.Local, "unbalanced </%s>", tok.Name.Local)
			cur = cur.parent
		case xml.CharData:
			for n := cur; n != nil; n = n.parent {
				n.text.Write(tok)
			}
		}
	}
	require.Same(t, root, cur, "unclosed <%s>", cur.name)
	return root
}

// all returns the elements under n, n included, that match.
func (n *node) all(match func(*node) bool) []*node {
	var out []*node
	if match(n) {
		out = append(out, n)
	}
	for _, c := range n.children {
		out = append(out, c.all(match)...)
	}
	return out
}

// sel matches an element by name and, when given, a class it has.
func sel(name, class string) func(*node) bool {
	return func(n *node) bool {
		return (name == "" || n.name == name) && (class == "" || slices.Contains(strings.Fields(n.attr["class"]), class))
	}
}

func (n *node) first(match func(*node) bool) *node {
	if all := n.all(match); len(all) > 0 {
		return all[0]
	}
	return nil
}

func (n *node) Text() string { return strings.Join(strings.Fields(n.text.String()), " ") }

// rows maps the page's model rows by "model/version".
func rows(root *node) map[string]*node {
	out := map[string]*node{}
	for _, r := range root.all(sel("tr", "model")) {
		out[r.attr["data-model"]+"/"+r.attr["data-version"]] = r
	}
	return out
}
