//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// statusPageShot is where TestStatusPageInABrowser leaves its screenshot, under the repository's
// _build directory (the tests run in e2e/).
const statusPageShot = "../_build/status-page.png"

// Screenshot size, in CSS pixels.
const shotW, shotH = 1500, 1000

// TestStatusPageInABrowser: the collector serves its status page and API on status::endpoint.
// Three apps report, one of them slow from the start; once its latency job was delivered, a real
// browser (headless Chromium) renders the page: a row per model with its state and badge, the
// slow model in cooldown with its job and a chart of its history. Then the API, as curl would use
// it: the models, and a silence created, listed and deleted.
func TestStatusPageInABrowser(t *testing.T) {
	t.Parallel()
	browser := chromiumBinary(t)
	secret := newSecret(t)
	tr := newTrainer(t, secret)
	cfg := newConfig(t, tr.hookURL(), secret)
	cfg.Status = freeAddr(t)
	col := startCollector(t, cfg)
	col.waitListening(15*time.Second, cfg.Status)
	base := "http://" + cfg.Status + "/"
	waitFor(t, 5*time.Second, "the collector to log the status page's URL", func() bool {
		return strings.Contains(col.output(), `Serving the status page and API`) &&
			strings.Contains(col.output(), `"url": "`+base+`"`)
	}, func() string { return col.tail(20) })

	startApp(t, cfg, healthyModel, servingapp.GRPC, false, nil)
	startApp(t, cfg, slowModel, servingapp.GRPC, true, nil)
	startApp(t, cfg, driftingModel, servingapp.GRPC, false, nil)
	waitFor(t, 30*time.Second, "the slow model's job", func() bool { return tr.hasDelivered(slowModel) }, tr.summary)
	jobs := tr.delivered(t)
	require.Equal(t, []string{slowModel}, slices.Sorted(maps.Keys(jobs)), "only the slow model gets a job: %s", tr.summary())
	slowJob := jobs[slowModel].ID

	// Every model evaluated at least once, so each has its state on the page.
	var listing modelsPage
	waitFor(t, 10*time.Second, "three models evaluated in the API", func() bool {
		listing = getModels(t, base)
		if len(listing.Models) != 3 {
			return false
		}
		for _, m := range listing.Models {
			if m.LastEvaluation.IsZero() {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprintf("GET /api/v1/models: %+v", listing) })

	t.Run("page", func(t *testing.T) {
		dom := chromium(t, browser, "--dump-dom", base)
		checkStatusPage(t, dom, slowJob)

		shot, err := filepath.Abs(statusPageShot)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(shot), 0o755))
		_ = os.Remove(shot) // a stale one must not pass for this run's
		chromium(t, browser, "--screenshot="+shot, fmt.Sprintf("--window-size=%d,%d", shotW, shotH), "--hide-scrollbars", base)
		checkScreenshot(t, shot)
		t.Logf("screenshot of %s: %s", base, shot)
	})

	t.Run("api", func(t *testing.T) {
		checkStatusAPI(t, base, listing)
	})
}

// chromiumBinary finds Chromium on PATH; without it the test fails, since a skipped test proves
// nothing.
func chromiumBinary(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not on PATH (%v): the status page test needs a headless browser; "+
			".ci/run installs the Debian package `chromium` (apt-get install --no-install-recommends chromium)", err)
	}
	return path
}

// chromium runs headless Chromium on a fresh profile with args and returns its standard output.
func chromium(t *testing.T, browser string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	all := append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--user-data-dir=" + t.TempDir(),
		"--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
	}, args...)
	cmd := exec.CommandContext(ctx, browser, all...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second // Chromium's helpers may hold the pipes after it was killed
	err := cmd.Run()
	require.NoError(t, err, "%s %s (timeout 60s)\nstderr:\n%s", browser, strings.Join(all, " "), lastLines(stderr.String(), 30))
	return stdout.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// checkStatusPage checks the DOM Chromium rendered: a row per model with its state and badge,
// the slow model in cooldown with its job and charts of its history, the summary's counts.
func checkStatusPage(t *testing.T, dom, slowJob string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(dom))
	require.NoError(t, err)
	require.Contains(t, dom, "retrain status", "the page's title")
	ok := false
	defer func() {
		if !ok {
			t.Logf("the DOM Chromium rendered:\n%s", dom)
		}
	}()

	title := find(doc, func(n *html.Node) bool { return n.Data == "title" && n.Parent.Data == "head" })
	require.Len(t, title, 1, "one <title> in <head>")
	assert.True(t, strings.HasPrefix(text(title[0]), "retrain status"), "title %q", text(title[0]))
	assert.Empty(t, find(doc, byID("dry-run")), "no dry-run banner: the collector sends jobs")
	assert.Empty(t, find(doc, byID("stale")), "no stale banner: the collector evaluates every second")

	rows := find(doc, func(n *html.Node) bool { return n.Data == "tr" && hasClass(n, "model") })
	byModel := map[string]*html.Node{}
	for _, r := range rows {
		m := attr(r, "data-model")
		require.NotContains(t, byModel, m, "one row per model")
		byModel[m] = r
	}
	require.ElementsMatch(t, []string{healthyModel, slowModel, driftingModel}, slices.Collect(maps.Keys(byModel)), "the page's model rows")

	for m, r := range byModel {
		state := attr(r, "data-state")
		assert.Equal(t, "3", attr(r, "data-version"), "%s: data-version", m)
		if m == slowModel {
			assert.Equal(t, "cooldown", state, "%s: data-state", m)
			assert.Contains(t, []string{"fired", "cooldown"}, attr(r, "data-gate"), "%s: data-gate", m)
		} else {
			assert.Contains(t, []string{"ok", "insufficient_data"}, state, "%s: data-state", m)
		}
		badges := find(r, func(n *html.Node) bool {
			return n.Data == "span" && hasClass(n, "state") && hasClass(n, "state-"+state)
		})
		if assert.Len(t, badges, 1, "%s: one badge span.state.state-%s", m, state) {
			assert.Equal(t, strings.ReplaceAll(state, "_", " "), text(badges[0]), "%s: the badge's text", m)
		}
	}

	slow := byModel[slowModel]
	charts := find(slow, func(n *html.Node) bool { return n.Data == "svg" && hasClass(n, "chart") })
	require.NotEmpty(t, charts, "%s: at least one svg.chart", slowModel)
	var latency *html.Node
	for _, c := range charts {
		if attr(c, "data-observer") == "latency_sla" {
			latency = c
		}
	}
	require.NotNil(t, latency, "%s: a chart of latency_sla among %d", slowModel, len(charts))
	assert.NotEqual(t, "0", attr(latency, "data-points"), "latency_sla chart: data-points")
	lines := find(latency, func(n *html.Node) bool { return n.Data == "polyline" && hasClass(n, "line") })
	if assert.Len(t, lines, 1, "latency_sla chart: one polyline.line") {
		assert.NotEmpty(t, strings.Fields(attr(lines[0], "points")), "latency_sla chart: the polyline's points")
	}
	assert.Len(t, find(latency, func(n *html.Node) bool { return n.Data == "line" && hasClass(n, "threshold") }), 1,
		"latency_sla chart: its threshold line (100 ms)")
	flagged := find(slow, func(n *html.Node) bool {
		return n.Data == "li" && hasClass(n, "finding") && attr(n, "data-observer") == "latency_sla"
	})
	if assert.Len(t, flagged, 1, "%s: the latency_sla finding", slowModel) {
		assert.Equal(t, "true", attr(flagged[0], "data-flagged"), "%s: latency_sla is flagged", slowModel)
	}
	assert.Len(t, find(slow, func(n *html.Node) bool { return n.Data == "li" && attr(n, "data-job") == slowJob }), 1,
		"%s: its delivered job %s among the last jobs", slowModel, slowJob)
	assert.Len(t, find(slow, func(n *html.Node) bool { return attr(n, "data-timer") == "cooldown" }), 1,
		"%s: its cooldown timer", slowModel)

	counts := map[string]string{}
	for _, a := range find(doc, func(n *html.Node) bool { return n.Data == "a" && hasClass(n, "count") && inID(n, "summary") }) {
		counts[attr(a, "data-state")] = attr(a, "data-count")
	}
	assert.Equal(t, "3", counts[""], "#summary: all")
	assert.Equal(t, "1", counts["cooldown"], "#summary: cooldown")
	assert.Equal(t, "0", counts["pending"], "#summary: pending")
	ok = !t.Failed()
}

// checkScreenshot checks that the file is a PNG of the window's size with something drawn on it.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err, "Chromium wrote no screenshot")
	defer func() { _ = f.Close() }() // read-only
	img, err := png.Decode(f)
	require.NoError(t, err, "the screenshot is not a PNG")
	assert.Equal(t, image.Rect(0, 0, shotW, shotH), img.Bounds(), "the screenshot's size")
	colors := map[[3]uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 4 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 4 {
			r, g, b, _ := img.At(x, y).RGBA()
			colors[[3]uint32{r >> 8, g >> 8, b >> 8}] = true
		}
	}
	assert.Greater(t, len(colors), 20, "the screenshot looks blank: %d colours", len(colors))
}

// The API's listing, as far as the test reads it.
type modelsPage struct {
	Models []struct {
		ModelID        string    `json:"model_id"`
		ModelVersion   string    `json:"model_version"`
		State          string    `json:"state"`
		Gate           string    `json:"gate"`
		LastEvaluation time.Time `json:"last_evaluation"`
	} `json:"models"`
	Total  int            `json:"total"`
	Counts map[string]int `json:"counts"`
}

type silence struct {
	ID           string    `json:"id"`
	ModelID      string    `json:"model_id"`
	ModelVersion string    `json:"model_version"`
	Comment      string    `json:"comment"`
	CreatedAt    time.Time `json:"created_at"`
	Until        time.Time `json:"until"`
}

// checkStatusAPI uses the API as an operator's curl would: the models, then a silence on the
// healthy model created, listed, shown on the page, and deleted.
func checkStatusAPI(t *testing.T, base string, listing modelsPage) {
	t.Helper()
	states := map[string]string{}
	for _, m := range listing.Models {
		assert.Equal(t, "3", m.ModelVersion, "%s: version", m.ModelID)
		states[m.ModelID] = m.State
	}
	require.ElementsMatch(t, []string{healthyModel, slowModel, driftingModel}, slices.Collect(maps.Keys(states)), "GET /api/v1/models")
	assert.Equal(t, 3, listing.Total, "total")
	assert.Equal(t, "cooldown", states[slowModel], "%s: state", slowModel)
	assert.Equal(t, 1, listing.Counts["cooldown"], "counts: %v", listing.Counts)

	before := time.Now()
	code, body := call(t, http.MethodPost, base+"api/v1/silences",
		`{"model_id": "`+healthyModel+`", "model_version": "3", "duration": "2h", "comment": "e2e: deploying a fix"}`)
	require.Equal(t, http.StatusCreated, code, "POST /api/v1/silences: %s", body)
	var s silence
	require.NoError(t, json.Unmarshal(body, &s), "POST /api/v1/silences: %s", body)
	require.NotEmpty(t, s.ID, "the silence's id: %s", body)
	assert.Equal(t, healthyModel, s.ModelID)
	assert.Equal(t, "3", s.ModelVersion)
	assert.Equal(t, "e2e: deploying a fix", s.Comment)
	assert.WithinDuration(t, before.Add(2*time.Hour), s.Until, time.Minute, "until")

	code, body = call(t, http.MethodGet, base+"api/v1/silences", "")
	require.Equal(t, http.StatusOK, code, "GET /api/v1/silences: %s", body)
	var list []silence
	require.NoError(t, json.Unmarshal(body, &list), "GET /api/v1/silences: %s", body)
	require.Len(t, list, 1, "GET /api/v1/silences: %s", body)
	assert.Equal(t, s, list[0], "the listed silence is the one created")

	// The page lists it, and the model turns silenced by its next evaluation.
	code, body = call(t, http.MethodGet, base, "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, string(body), `data-silence="`+s.ID+`"`, "the page lists the silence")
	waitFor(t, 5*time.Second, healthyModel+" silenced", func() bool { return modelState(t, base, healthyModel) == "silenced" },
		func() string { return "state " + modelState(t, base, healthyModel) })

	code, body = call(t, http.MethodDelete, base+"api/v1/silences/"+s.ID, "")
	require.Equal(t, http.StatusNoContent, code, "DELETE /api/v1/silences/%s: %s", s.ID, body)
	assert.Empty(t, body, "204 has no body")
	code, body = call(t, http.MethodGet, base+"api/v1/silences", "")
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `[]`, string(body), "no silence left")
	code, body = call(t, http.MethodDelete, base+"api/v1/silences/"+s.ID, "")
	assert.Equal(t, http.StatusNotFound, code, "DELETE of a deleted silence: %s", body)
	waitFor(t, 5*time.Second, healthyModel+" no longer silenced", func() bool { return modelState(t, base, healthyModel) != "silenced" },
		func() string { return "state " + modelState(t, base, healthyModel) })
}

func getModels(t *testing.T, base string) modelsPage {
	t.Helper()
	code, body := call(t, http.MethodGet, base+"api/v1/models", "")
	require.Equal(t, http.StatusOK, code, "GET /api/v1/models: %s", body)
	var p modelsPage
	require.NoError(t, json.Unmarshal(body, &p), "GET /api/v1/models: %s", body)
	return p
}

func modelState(t *testing.T, base, model string) string {
	t.Helper()
	code, body := call(t, http.MethodGet, base+"api/v1/models/"+model+"?version=3", "")
	require.Equal(t, http.StatusOK, code, "GET /api/v1/models/%s: %s", model, body)
	var m struct {
		State string `json:"state"`
	}
	require.NoError(t, json.Unmarshal(body, &m), "GET /api/v1/models/%s: %s", model, body)
	return m.State
}

// call makes one request, with a JSON body when body is not empty, and returns the status and body.
// Every answer but the page's must be JSON, or empty.
func call(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	require.NoError(t, err, "%s %s", method, url)
	defer func() { _ = resp.Body.Close() }() // read in full below
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "%s %s", method, url)
	if strings.Contains(url, "/api/") && len(b) > 0 {
		assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"),
			"%s %s: Content-Type %q", method, url, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, b
}

// find returns the element nodes under n (n included) that match.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && match(d) {
			out = append(out, d)
		}
	}
	if n.Type == html.ElementNode && match(n) {
		out = append([]*html.Node{n}, out...)
	}
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return slices.Contains(strings.Fields(attr(n, "class")), class)
}

func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return attr(n, "id") == id }
}

// inID reports whether n lies inside the element with that id.
func inID(n *html.Node, id string) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if attr(p, "id") == id {
			return true
		}
	}
	return false
}

// text is n's text content, its whitespace collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
