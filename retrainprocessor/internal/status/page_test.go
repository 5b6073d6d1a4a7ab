package status

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func page(t testing.TB, h http.Handler, target string) (response, *node) {
	t.Helper()
	resp := do(t, h, "GET", target, "")
	require.Equal(t, 200, resp.code, resp.body)
	return resp, parsePage(t, resp.body)
}

func TestPageShowsEveryModelWithItsStateAndEvidence(t *testing.T) {
	resp, root := page(t, newTestHandler(newFake(), Options{}), "/")
	rs := rows(root)
	require.Len(t, rs, 5)
	for key, state := range map[string]string{
		"fraud-detector/3": StateCooldown, "churn-model/1": StatePending, "recsys/7": StateOK,
		"search-ranker/2": StateInsufficientData, "spam-filter/1": StateSilenced,
	} {
		r := rs[key]
		require.NotNil(t, r, key)
		assert.Equal(t, state, r.attr["data-state"], key)
		badge := r.first(sel("span", "state"))
		require.NotNil(t, badge, key)
		assert.Equal(t, "state state-"+state, badge.attr["class"])
		assert.Equal(t, strings.ReplaceAll(state, "_", " "), badge.Text())
	}

	fraud := rs["fraud-detector/3"]
	charts := fraud.all(sel("svg", "chart"))
	require.Len(t, charts, 2)
	for i, observer := range []string{"latency_sla", "accuracy_drift"} {
		c := charts[i]
		assert.Equal(t, observer, c.attr["data-observer"])
		assert.Equal(t, "60", c.attr["data-points"])
		line := c.first(sel("polyline", "line"))
		require.NotNil(t, line)
		assert.Len(t, strings.Fields(line.attr["points"]), HistoryLength)
		th := c.first(sel("line", "threshold"))
		require.NotNil(t, th)
		assert.Equal(t, th.attr["y1"], th.attr["y2"])
		assert.NotEmpty(t, th.attr["stroke-dasharray"])
		assert.NotNil(t, c.first(sel("title", "")))
	}
	// The latency history rises from 180 to 412 across a threshold of 300: the line ends above
	// (smaller y) the threshold, and starts below it.
	pts := strings.Fields(charts[0].first(sel("polyline", "")).attr["points"])
	var x0, y0, xn, yn, ty float64
	_, _ = fmt.Sscanf(pts[0], "%f,%f", &x0, &y0)
	_, _ = fmt.Sscanf(pts[len(pts)-1], "%f,%f", &xn, &yn)
	_, _ = fmt.Sscanf(charts[0].first(sel("line", "threshold")).attr["y1"], "%f", &ty)
	assert.Less(t, x0, xn)
	assert.Greater(t, y0, ty)
	assert.Less(t, yn, ty)

	findings := fraud.all(sel("li", "finding"))
	require.Len(t, findings, 2)
	assert.Equal(t, "finding flagged", findings[0].attr["class"])
	assertFinding(t, findings[0], "latency_sla", "p99 412 ms vs 300 ms n=5120")
	assert.Equal(t, "finding", findings[1].attr["class"])
	assertFinding(t, findings[1], "accuracy_drift", "mean 0.93 vs 0.9 n=800")

	timers := fraud.first(sel("td", "timers")).Text()
	assert.Equal(t, "cooldown until 12:12:00 (in 12m)", timers)
	jobs := fraud.all(sel("li", "job"))
	require.Len(t, jobs, 2)
	assert.Equal(t, "job-1", jobs[0].attr["data-job"], "newest first")
	assert.Equal(t, "job-1 11:12:00 (48m ago)", jobs[0].Text())
	assert.Equal(t, "latency_sla p99 412 ms > 300 ms", jobs[0].attr["title"])
	why := fraud.first(sel("td", "why"))
	assert.Equal(t, GateCooldown, why.first(sel("span", "gate")).attr["data-gate"])
	assert.Contains(t, why.Text(), "held by cooldown")
	assert.Contains(t, why.Text(), "inside the cooldown of the job at 11:12")
	assert.Contains(t, why.Text(), "evaluated 11:59:52 (8s ago)")

	churn := rs["churn-model/1"]
	assert.Equal(t, "pending since 11:57:00 (3m ago; for 5m)", churn.first(sel("td", "timers")).Text())
	assertFinding(t, churn, "latency_sla", "p99 450 ms (400–∞) vs 300 ms n=900")
	assert.Equal(t, "for not yet elapsed", churn.first(sel("span", "gate")).Text())

	recsys := rs["recsys/7"]
	rf := recsys.all(sel("li", "finding"))
	require.Len(t, rf, 2)
	assertFinding(t, rf[0], "throughput_floor", "rate 12.5/s vs 5/s n=30")
	assert.Equal(t, "finding abstained", rf[1].attr["class"])
	assert.Equal(t, "few_samples", rf[1].attr["data-outcome"])
	assertFinding(t, rf[1], "estimated_accuracy", "estimated too few samples n=4")
	require.Len(t, recsys.all(sel("svg", "chart")), 1, "only observers with history have a chart")
	one := recsys.first(sel("svg", "chart"))
	assert.NotNil(t, one.first(sel("circle", "last")), "a single evaluation is a dot")

	ranker := rs["search-ranker/2"]
	assert.Empty(t, ranker.all(sel("svg", "chart")))
	assertFinding(t, ranker, "latency_sla", "p99 no data n=0")
	assert.Equal(t, "—", ranker.first(sel("td", "timers")).Text())

	spam := rs["spam-filter/1"]
	assert.Equal(t, "silenced until 14:00:00 (in 2h)", spam.first(sel("td", "timers")).Text())

	// The page's frame.
	assert.Equal(t, "retrain status retrain/fraud", root.first(sel("h1", "")).Text())
	assert.Equal(t, "evaluation every 30s · window 5m · vote any · for 5m · cooldown 1h", root.first(func(n *node) bool { return n.attr["id"] == "settings" }).Text())
	assert.Contains(t, root.first(func(n *node) bool { return n.attr["id"] == "last-evaluation" }).Text(), "last evaluation 11:59:52 (8s ago)")
	meta := root.first(func(n *node) bool { return n.name == "meta" && n.attr["http-equiv"] == "refresh" })
	require.NotNil(t, meta)
	assert.Equal(t, "10", meta.attr["content"])
	assert.Nil(t, root.first(func(n *node) bool { return n.attr["id"] == "dry-run" }))
	assert.Nil(t, root.first(func(n *node) bool { return n.attr["id"] == "stale" }))
	assert.Contains(t, resp.header.Get("Content-Security-Policy"), "default-src 'none'")
	assert.NotContains(t, resp.body, "http://cdn", "no external assets")
	assert.NotContains(t, resp.body, "<script")
	assert.NotContains(t, resp.body, "<link")

	// Summary counts are filter links.
	summary := root.first(func(n *node) bool { return n.attr["id"] == "summary" })
	links := summary.all(sel("a", "count"))
	require.Len(t, links, 6)
	assert.Equal(t, "all 5", links[0].Text())
	assert.Equal(t, "./", links[0].attr["href"])
	assert.Equal(t, "pending", links[1].attr["data-state"])
	assert.Equal(t, "1", links[1].attr["data-count"])
	assert.Equal(t, "?state=pending", links[1].attr["href"])

	// Silences.
	silences := root.all(sel("tr", "silence"))
	require.Len(t, silences, 1)
	assert.Equal(t, "s1", silences[0].attr["data-silence"])
	assert.Contains(t, silences[0].Text(), "known bad traffic, INC-1234")
	assert.Contains(t, silences[0].Text(), "every version")
	assert.Contains(t, silences[0].Text(), "14:00:00 (in 2h)")
	assert.Contains(t, resp.body, "curl -X POST http://example.com/api/v1/silences")
}

func TestPageShowsTheDryRunBanner(t *testing.T) {
	src := newFake()
	src.info.DryRun = true
	_, root := page(t, newTestHandler(src, Options{}), "/")
	banner := root.first(func(n *node) bool { return n.attr["id"] == "dry-run" })
	require.NotNil(t, banner)
	assert.Equal(t, "DRY RUN — no job leaves this collector", banner.Text())
}

func TestPageWarnsWhenEvaluationStalls(t *testing.T) {
	src := newFake()
	src.info.LastEvaluation = testNow.Add(-5 * time.Minute)
	_, root := page(t, newTestHandler(src, Options{}), "/")
	stale := root.first(func(n *node) bool { return n.attr["id"] == "stale" })
	require.NotNil(t, stale)
	assert.Contains(t, stale.Text(), "5m ago")
}

func TestPageRefreshIsAnOption(t *testing.T) {
	_, root := page(t, newTestHandler(newFake(), Options{Refresh: 30 * time.Second}), "/")
	meta := root.first(func(n *node) bool { return n.name == "meta" && n.attr["http-equiv"] == "refresh" })
	require.NotNil(t, meta)
	assert.Equal(t, "30", meta.attr["content"])

	_, root = page(t, newTestHandler(newFake(), Options{Refresh: -1}), "/")
	assert.Nil(t, root.first(func(n *node) bool { return n.name == "meta" && n.attr["http-equiv"] == "refresh" }))
}

func TestPagePages(t *testing.T) {
	tests := []struct {
		target            string
		showing           string
		ids               []string
		first, prev, next string
		last              string
	}{
		{target: "/", showing: "showing 1–2 of 5", ids: []string{"churn-model", "fraud-detector"}, next: "?offset=2", last: "?offset=4"},
		{target: "/?offset=2", showing: "showing 3–4 of 5", ids: []string{"recsys", "search-ranker"}, first: "./", prev: "./", next: "?offset=4", last: "?offset=4"},
		{target: "/?offset=4", showing: "showing 5 of 5", ids: []string{"spam-filter"}, first: "./", prev: "?offset=2"},
		{target: "/?offset=1", showing: "showing 2–3 of 5", ids: []string{"fraud-detector", "recsys"}, first: "./", prev: "./", next: "?offset=3", last: "?offset=4"},
		{target: "/?offset=9", showing: "none past 9 of 5", first: "./", prev: "?offset=4"},
		{target: "/?limit=3", showing: "showing 1–3 of 5", ids: []string{"churn-model", "fraud-detector", "recsys"}, next: "?limit=3&offset=3", last: "?limit=3&offset=3"},
		{target: "/?model=s&offset=2", showing: "showing 3 of 3", ids: []string{"spam-filter"}, first: "?model=s", prev: "?model=s"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			src := newFake()
			_, root := page(t, newTestHandler(src, Options{PageSize: 2}), tt.target)
			var ids []string
			for _, r := range root.all(sel("tr", "model")) {
				ids = append(ids, r.attr["data-model"])
			}
			assert.Equal(t, tt.ids, ids)
			nav := root.first(sel("nav", "paging"))
			require.NotNil(t, nav)
			assert.Equal(t, tt.showing, nav.first(sel("span", "showing")).Text())
			href := func(rel string) string {
				if a := nav.first(func(n *node) bool { return n.name == "a" && n.attr["rel"] == rel }); a != nil {
					return a.attr["href"]
				}
				return ""
			}
			assert.Equal(t, tt.first, href("first"))
			assert.Equal(t, tt.prev, href("prev"))
			assert.Equal(t, tt.next, href("next"))
			assert.Equal(t, tt.last, href("last"))
			assert.Equal(t, len(tt.ids), src.calls(), "Model is read for the page's models only")
		})
	}
}

func TestPageFilters(t *testing.T) {
	tests := []struct {
		target string
		ids    []string
		empty  string
	}{
		{target: "/?state=pending", ids: []string{"churn-model"}},
		{target: "/?state=insufficient_data", ids: []string{"search-ranker"}},
		{target: "/?model=fraud", ids: []string{"fraud-detector"}},
		{target: "/?model=-", ids: []string{"churn-model", "fraud-detector", "search-ranker", "spam-filter"}},
		{target: "/?state=ok&model=fraud", empty: "no models match — clear the filter"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			_, root := page(t, newTestHandler(newFake(), Options{}), tt.target)
			var ids []string
			for _, r := range root.all(sel("tr", "model")) {
				ids = append(ids, r.attr["data-model"])
			}
			assert.Equal(t, tt.ids, ids)
			if tt.empty != "" {
				assert.Equal(t, tt.empty, root.first(sel("td", "empty-table")).Text())
			}
		})
	}

	_, root := page(t, newTestHandler(newFake(), Options{}), "/?state=cooldown&model=fraud")
	form := root.first(func(n *node) bool { return n.attr["id"] == "filter" })
	selected := form.first(func(n *node) bool { return n.name == "option" && n.attr["selected"] != "" })
	require.NotNil(t, selected)
	assert.Equal(t, StateCooldown, selected.attr["value"])
	assert.Equal(t, "fraud", form.first(func(n *node) bool { return n.attr["id"] == "filter-model" }).attr["value"])
	assert.NotNil(t, form.first(func(n *node) bool { return n.attr["id"] == "filter-clear" }))
	assert.Nil(t, form.first(func(n *node) bool { return n.attr["name"] == "limit" }), "the default limit stays out of the form")
	options := form.all(sel("option", ""))
	require.Len(t, options, 6)
	assert.Equal(t, "", options[0].attr["value"])

	_, root = page(t, newTestHandler(newFake(), Options{}), "/?limit=7")
	form = root.first(func(n *node) bool { return n.attr["id"] == "filter" })
	assert.Equal(t, "7", form.first(func(n *node) bool { return n.attr["name"] == "limit" }).attr["value"])
}

func TestPageEscapesWhatItShows(t *testing.T) {
	src := &fakeSource{
		info: Info{Component: `retrain/<b>x</b>`},
		models: []Model{{
			ModelID: `<script>alert(1)</script>`, ModelVersion: `"><img src=x>`, State: StateOK, LastEvaluation: testNow,
			Gate: GateVote, Reason: `<i>no</i>`, Findings: []Finding{{Observer: `<o>`, Statistic: "p99", Outcome: "observed"}},
		}},
		silences: []Silence{{ID: "<id>", ModelID: "<m>", Comment: `<a href="javascript:x">`, Until: testNow.Add(time.Hour)}},
	}
	resp, root := page(t, newTestHandler(src, Options{}), "/")
	assert.NotContains(t, resp.body, "<script>")
	assert.NotContains(t, resp.body, "<img")
	assert.NotContains(t, resp.body, "<i>no</i>")
	assert.NotContains(t, resp.body, `<a href="javascript`)
	rs := root.all(sel("tr", "model"))
	require.Len(t, rs, 1)
	assert.Equal(t, `<script>alert(1)</script>`, rs[0].attr["data-model"])
	assert.Equal(t, `"><img src=x>`, rs[0].attr["data-version"])
}

func TestPageBeforeAnyModelOrEvaluation(t *testing.T) {
	_, root := page(t, newTestHandler(&fakeSource{}, Options{}), "/")
	assert.Empty(t, root.all(sel("tr", "model")))
	assert.Equal(t, "no models", root.first(sel("td", "empty-table")).Text())
	assert.Contains(t, root.first(func(n *node) bool { return n.attr["id"] == "last-evaluation" }).Text(), "last evaluation none yet")
	assert.NotNil(t, root.first(func(n *node) bool { return n.attr["id"] == "no-silences" }))
}

func TestPageUnderAPrefixKeepsItsLinksRelative(t *testing.T) {
	h := http.StripPrefix("/status", newTestHandler(newFake(), Options{}))
	resp, root := page(t, h, "/status/?state=pending")
	assert.Contains(t, resp.body, "curl -X POST http://example.com/status/api/v1/silences")
	a := root.first(sel("a", "model-id"))
	assert.Equal(t, "api/v1/models/churn-model?version=1", a.attr["href"])
	api := do(t, h, "GET", "/status/api/v1/models/churn-model?version=1", "")
	assert.Equal(t, 200, api.code)
}

// manyModels is a fake of n models spread over the states, each with two observers' history.
func manyModels(n int) *fakeSource {
	src := newFake()
	src.models = nil
	states := []string{StateOK, StateOK, StateOK, StatePending, StateCooldown, StateInsufficientData, StateSilenced}
	for i := range n {
		src.models = append(src.models, Model{
			ModelID: fmt.Sprintf("model-%05d", i), ModelVersion: "1", State: states[i%len(states)],
			LastEvaluation: testNow, Gate: GateVote, Reason: "no observer flagged",
			Findings: []Finding{
				{Observer: "latency_sla", Statistic: "p99", Value: 120, Threshold: 300, Unit: "ms", Samples: 900, Outcome: "observed"},
				{Observer: "throughput_floor", Statistic: "rate", Value: 40, Threshold: 5, Unit: "/s", Samples: 30, Outcome: "observed"},
			},
			History: []Series{
				history("latency_sla", "p99", "ms", 300, 100, 140, HistoryLength),
				history("throughput_floor", "rate", "/s", 5, 35, 45, HistoryLength),
			},
		})
	}
	return src
}

func TestPageOf10kModelsHoldsOnePage(t *testing.T) {
	src := manyModels(10_000)
	resp, root := page(t, newTestHandler(src, Options{}), "/")
	assert.Len(t, root.all(sel("tr", "model")), DefaultPageSize)
	assert.Equal(t, DefaultPageSize, src.calls())
	assert.Equal(t, "showing 1–100 of 10000", root.first(sel("span", "showing")).Text())
	assert.Less(t, len(resp.body), 400<<10, "a page is about a hundred rows, whatever the number of models")

	_, root = page(t, newTestHandler(src, Options{}), "/?state=pending&offset=900")
	rs := root.all(sel("tr", "model"))
	require.Len(t, rs, 100)
	for _, r := range rs {
		assert.Equal(t, StatePending, r.attr["data-state"])
	}
	assert.Equal(t, "showing 901–1000 of 1429", root.first(sel("span", "showing")).Text())
}

func BenchmarkPage10k(b *testing.B) {
	h := newTestHandler(manyModels(10_000), Options{})
	var n int
	for b.Loop() {
		n = len(do(b, h, "GET", "/?offset=5000", "").body)
	}
	b.ReportMetric(float64(n), "bytes/page")
}

// TestTheSamplePageRenders renders the fake's page with a dry run and two silences, as the
// README's screenshot shows it; STATUS_SAMPLE=/tmp/status-sample.html also writes it for a look.
func TestTheSamplePageRenders(t *testing.T) {
	src := newFake()
	src.info.DryRun = true
	src.silences = append(src.silences, Silence{ID: "s2", ModelID: "recsys", ModelVersion: "7", Comment: "A/B test until Monday",
		CreatedAt: testNow.Add(-time.Hour), Until: testNow.Add(50 * time.Hour)})
	resp := do(t, newTestHandler(src, Options{}), "GET", "/", "")
	require.Equal(t, 200, resp.code)
	root := parsePage(t, resp.body)
	assert.NotNil(t, root.first(func(n *node) bool { return n.attr["id"] == "dry-run" }), "the dry-run banner")
	var silenced []string
	for _, n := range root.all(sel("tr", "silence")) {
		silenced = append(silenced, n.attr["data-silence"])
	}
	assert.ElementsMatch(t, []string{"s1", "s2"}, silenced)
	if path := os.Getenv("STATUS_SAMPLE"); path != "" {
		require.NoError(t, os.WriteFile(path, []byte(resp.body), 0o644))
	}
}

// assertFinding checks the first finding under n: its observer and what it read.
func assertFinding(t *testing.T, n *node, observer, reading string) {
	t.Helper()
	f := n.first(sel("li", "finding"))
	require.NotNil(t, f)
	assert.Equal(t, observer, f.first(sel("span", "observer")).Text())
	assert.Equal(t, reading, f.first(sel("span", "reading")).Text())
}
