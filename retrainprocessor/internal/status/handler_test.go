package status

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoutesAnswerWithTheirStatusAndType(t *testing.T) {
	tests := []struct {
		name, method, target, body string
		code                       int
		contentType                string
		allow                      string
	}{
		{name: "page", method: "GET", target: "/", code: 200, contentType: "text/html; charset=utf-8"},
		{name: "page head", method: "HEAD", target: "/", code: 200, contentType: "text/html; charset=utf-8"},
		{name: "models", method: "GET", target: "/api/v1/models", code: 200, contentType: jsonContentType},
		{name: "one model", method: "GET", target: "/api/v1/models/fraud-detector?version=3", code: 200, contentType: jsonContentType},
		{name: "unknown model", method: "GET", target: "/api/v1/models/nope?version=1", code: 404, contentType: jsonContentType},
		{name: "unknown version", method: "GET", target: "/api/v1/models/fraud-detector?version=9", code: 404, contentType: jsonContentType},
		{name: "silences", method: "GET", target: "/api/v1/silences", code: 200, contentType: jsonContentType},
		{name: "add silence", method: "POST", target: "/api/v1/silences", body: `{"model_id":"recsys","duration":"2h"}`, code: 201, contentType: jsonContentType},
		{name: "delete silence", method: "DELETE", target: "/api/v1/silences/s1", code: 204},
		{name: "delete unknown silence", method: "DELETE", target: "/api/v1/silences/nope", code: 404, contentType: jsonContentType},
		{name: "unknown page", method: "GET", target: "/nope", code: 404, contentType: "text/plain; charset=utf-8"},
		{name: "unknown api route", method: "GET", target: "/api/v1/nope", code: 404, contentType: jsonContentType},
		{name: "unknown api version", method: "GET", target: "/api/v2/models", code: 404, contentType: jsonContentType},
		{name: "too deep", method: "GET", target: "/api/v1/models/a/b", code: 404, contentType: jsonContentType},
		{name: "post models", method: "POST", target: "/api/v1/models", code: 405, contentType: jsonContentType, allow: "GET, HEAD"},
		{name: "put silences", method: "PUT", target: "/api/v1/silences", code: 405, contentType: jsonContentType, allow: "GET, HEAD, POST"},
		{name: "get one silence", method: "GET", target: "/api/v1/silences/s1", code: 405, contentType: jsonContentType, allow: "DELETE"},
		{name: "delete model", method: "DELETE", target: "/api/v1/models/recsys", code: 405, contentType: jsonContentType, allow: "GET, HEAD"},
		{name: "post page", method: "POST", target: "/", code: 405, allow: "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, newTestHandler(newFake(), Options{}), tt.method, tt.target, tt.body)
			assert.Equal(t, tt.code, resp.code, resp.body)
			if tt.contentType != "" {
				assert.Equal(t, tt.contentType, resp.header.Get("Content-Type"))
			}
			if tt.allow != "" {
				assert.Equal(t, tt.allow, resp.header.Get("Allow"))
			}
			if tt.contentType == jsonContentType && tt.code >= 400 {
				var e apiError
				require.NoError(t, json.Unmarshal([]byte(resp.body), &e), resp.body)
				assert.NotEmpty(t, e.Error)
			}
			assert.Equal(t, "no-store", resp.header.Get("Cache-Control"))
		})
	}
}

func TestAPIFallbackNamesTheRouteAndTheAllowedMethods(t *testing.T) {
	h := newTestHandler(newFake(), Options{})
	resp := do(t, h, "GET", "/api/v1/nope", "")
	assert.JSONEq(t, `{"error":"no route GET /api/v1/nope"}`, resp.body)
	resp = do(t, h, "PATCH", "/api/v1/silences/s1", "")
	assert.JSONEq(t, `{"error":"method PATCH not allowed on /api/v1/silences/s1 (allowed: DELETE)"}`, resp.body)
}

func TestListModelsReturnsAPageOfModelsWithoutHistory(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		ids    []string
		total  int
		offset int
		limit  int
	}{
		{name: "all", query: "", ids: []string{"churn-model", "fraud-detector", "recsys", "search-ranker", "spam-filter"}, total: 5, limit: 100},
		{name: "by state", query: "?state=pending", ids: []string{"churn-model"}, total: 1, limit: 100},
		{name: "by model", query: "?model=s", ids: []string{"recsys", "search-ranker", "spam-filter"}, total: 3, limit: 100},
		{name: "by state and model", query: "?state=ok&model=rec", ids: []string{"recsys"}, total: 1, limit: 100},
		{name: "paged", query: "?offset=1&limit=2", ids: []string{"fraud-detector", "recsys"}, total: 5, offset: 1, limit: 2},
		{name: "past the end", query: "?offset=10", ids: []string{}, total: 5, offset: 10, limit: 100},
		{name: "no match", query: "?model=zzz", ids: []string{}, total: 0, limit: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := do(t, newTestHandler(newFake(), Options{}), "GET", "/api/v1/models"+tt.query, "")
			require.Equal(t, 200, resp.code, resp.body)
			var p Page
			require.NoError(t, json.Unmarshal([]byte(resp.body), &p))
			ids := []string{}
			for _, m := range p.Models {
				ids = append(ids, m.ModelID)
				assert.Nil(t, m.History)
			}
			assert.Equal(t, tt.ids, ids)
			assert.Equal(t, tt.total, p.Total)
			assert.Equal(t, tt.offset, p.Offset)
			assert.Equal(t, tt.limit, p.Limit)
			assert.Equal(t, map[string]int{StateOK: 1, StateInsufficientData: 1, StatePending: 1, StateCooldown: 1, StateSilenced: 1}, p.Counts)
			assert.Contains(t, resp.body, `"models":[`) // never null
		})
	}
}

func TestListModelsFillsEveryStateCount(t *testing.T) {
	src := &fakeSource{models: []Model{{ModelID: "a", State: StatePending}}}
	resp := do(t, newTestHandler(src, Options{}), "GET", "/api/v1/models", "")
	var p Page
	require.NoError(t, json.Unmarshal([]byte(resp.body), &p))
	assert.Equal(t, map[string]int{StateOK: 0, StateInsufficientData: 0, StatePending: 1, StateCooldown: 0, StateSilenced: 0}, p.Counts)
	assert.Equal(t, []Finding{}, p.Models[0].Findings)
}

func TestBadListingParamsAreRefusedNamingTheParam(t *testing.T) {
	tests := []struct {
		query, field string
	}{
		{"state=broken", "state"},
		{"state=OK", "state"},
		{"limit=0", "limit"},
		{"limit=-5", "limit"},
		{"limit=ten", "limit"},
		{"limit=1001", "limit"},
		{"offset=-1", "offset"},
		{"offset=1.5", "offset"},
		{"model=" + strings.Repeat("m", 257), "model"},
	}
	for _, tt := range tests {
		t.Run(tt.query[:min(len(tt.query), 20)], func(t *testing.T) {
			h := newTestHandler(newFake(), Options{})
			resp := do(t, h, "GET", "/api/v1/models?"+tt.query, "")
			require.Equal(t, 400, resp.code)
			var e apiError
			require.NoError(t, json.Unmarshal([]byte(resp.body), &e))
			assert.Equal(t, tt.field, e.Field)
			assert.True(t, strings.HasPrefix(e.Error, tt.field+" must"), e.Error)

			page := do(t, h, "GET", "/?"+tt.query, "")
			require.Equal(t, 400, page.code)
			assert.True(t, strings.HasPrefix(page.body, tt.field+" must"), page.body)
		})
	}
}

func TestLimitUpToTheMaximumIsAccepted(t *testing.T) {
	resp := do(t, newTestHandler(newFake(), Options{}), "GET", "/api/v1/models?limit=1000", "")
	require.Equal(t, 200, resp.code, resp.body)
}

func TestModelReturnsHistoryAndWhyItDidOrDidNotFire(t *testing.T) {
	src := newFake()
	resp := do(t, newTestHandler(src, Options{}), "GET", "/api/v1/models/fraud-detector?version=3", "")
	require.Equal(t, 200, resp.code, resp.body)
	var m Model
	require.NoError(t, json.Unmarshal([]byte(resp.body), &m))
	assert.Equal(t, src.models[0], m)
	assert.Equal(t, GateCooldown, m.Gate)
	assert.NotEmpty(t, m.Reason)
	require.Len(t, m.History, 2)
	assert.Len(t, m.History[0].Points, HistoryLength)

	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.body), &raw))
	for _, key := range []string{"model_id", "model_version", "state", "last_evaluation", "gate", "reason", "findings", "history", "cooldown_until", "last_jobs", "resource"} {
		assert.Contains(t, raw, key)
	}
	assert.NotContains(t, raw, "pending_since") // omitzero
	assert.NotContains(t, raw, "silenced_until")
	f := raw["findings"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{
		"observer": "latency_sla", "statistic": "p99", "value": 412.0, "threshold": 300.0, "unit": "ms",
		"samples": 5120.0, "flagged": true, "outcome": "observed",
	}, f)
}

func TestAnInfiniteUpperBoundIsEncodedAsNull(t *testing.T) {
	resp := do(t, newTestHandler(newFake(), Options{}), "GET", "/api/v1/models/churn-model?version=1", "")
	require.Equal(t, 200, resp.code, resp.body)
	var raw struct {
		Findings []map[string]any `json:"findings"`
	}
	require.NoError(t, json.Unmarshal([]byte(resp.body), &raw))
	f := raw.Findings[0]
	require.Contains(t, f, "upper")
	assert.Nil(t, f["upper"])
	assert.Equal(t, 400.0, f["lower"])
	assert.Equal(t, true, f["bounded"])

	// The listing holds the same finding.
	list := do(t, newTestHandler(newFake(), Options{}), "GET", "/api/v1/models?state=pending", "")
	require.Equal(t, 200, list.code, list.body)
	assert.Contains(t, list.body, `"upper":null`)
}

func TestNonFiniteNumbersAnywhereAreEncodedAsNull(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	m := Model{
		ModelID: "m", State: StateOK,
		Findings: []Finding{{Observer: "o", Value: nan, Lower: math.Inf(-1), Upper: inf, Threshold: inf, Outcome: "non_finite"}},
		History:  []Series{{Observer: "o", Threshold: nan, Points: []Point{{At: testNow, Value: inf}, {At: testNow, Value: 1.5}}}},
		Resource: map[string]any{"a": nan, "nested": map[string]any{"b": []any{1.0, inf}}, "c": "x"},
	}
	src := &fakeSource{models: []Model{m}}
	resp := do(t, newTestHandler(src, Options{}), "GET", "/api/v1/models/m?version=", "")
	require.Equal(t, 200, resp.code, resp.body)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.body), &raw))
	f := raw["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"value", "lower", "upper", "threshold"} {
		assert.Contains(t, f, k)
		assert.Nil(t, f[k], k)
	}
	h := raw["history"].([]any)[0].(map[string]any)
	assert.Nil(t, h["threshold"])
	pts := h["points"].([]any)
	assert.Nil(t, pts[0].(map[string]any)["value"])
	assert.Equal(t, 1.5, pts[1].(map[string]any)["value"])
	assert.Equal(t, map[string]any{"a": nil, "nested": map[string]any{"b": []any{1.0, nil}}, "c": "x"}, raw["resource"])
	assert.True(t, math.IsNaN(src.models[0].Resource["a"].(float64)), "the source's resource is not changed")

	list := do(t, newTestHandler(src, Options{}), "GET", "/api/v1/models", "")
	require.Equal(t, 200, list.code, list.body)
}

func TestFindingJSONKeepsItsKeys(t *testing.T) {
	b, err := json.Marshal(Finding{Observer: "o", Statistic: "p99", Value: 1, Lower: 0.5, Upper: 2, Bounded: true, Threshold: 1.5, Unit: "ms", Samples: 3, Flagged: true, Outcome: "observed"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"observer":"o","statistic":"p99","value":1,"lower":0.5,"upper":2,"bounded":true,"threshold":1.5,"unit":"ms","samples":3,"flagged":true,"outcome":"observed"}`, string(b))
	b, err = json.Marshal(Finding{Observer: "o", Outcome: "no_data"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"observer":"o","value":0,"threshold":0,"samples":0,"flagged":false,"outcome":"no_data"}`, string(b))
}

func TestModelWithoutVersionIsItsOnlyVersion(t *testing.T) {
	src := newFake()
	src.models = append(src.models, Model{ModelID: "fraud-detector", ModelVersion: "4", State: StateOK},
		Model{ModelID: "unversioned", State: StateOK})
	h := newTestHandler(src, Options{})

	resp := do(t, h, "GET", "/api/v1/models/recsys", "")
	require.Equal(t, 200, resp.code, resp.body)
	var m Model
	require.NoError(t, json.Unmarshal([]byte(resp.body), &m))
	assert.Equal(t, "7", m.ModelVersion)
	assert.Len(t, m.History, 1)

	resp = do(t, h, "GET", "/api/v1/models/unversioned", "")
	require.Equal(t, 200, resp.code, resp.body)

	resp = do(t, h, "GET", "/api/v1/models/fraud-detector", "")
	require.Equal(t, 400, resp.code, resp.body)
	assert.JSONEq(t, `{"error":"model \"fraud-detector\" has versions 3, 4: ask for one with version=","field":"version"}`, resp.body)

	resp = do(t, h, "GET", "/api/v1/models/fraud", "")
	require.Equal(t, 404, resp.code, resp.body)
	assert.JSONEq(t, `{"error":"model \"fraud\" not found"}`, resp.body)

	// version= given, even empty, is exact.
	resp = do(t, h, "GET", "/api/v1/models/recsys?version=", "")
	require.Equal(t, 404, resp.code, resp.body)
	assert.JSONEq(t, `{"error":"model \"recsys\" version \"\" not found"}`, resp.body)
}

func TestModelIDsWithSlashesAreEscapedInThePath(t *testing.T) {
	src := &fakeSource{models: []Model{{ModelID: "team/fraud", ModelVersion: "1", State: StateOK}}}
	h := newTestHandler(src, Options{})
	resp := do(t, h, "GET", "/api/v1/models/team%2Ffraud?version=1", "")
	require.Equal(t, 200, resp.code, resp.body)
	page := do(t, h, "GET", "/", "")
	assert.Contains(t, page.body, `href="api/v1/models/team%2Ffraud?version=1"`)
}

func TestListSilences(t *testing.T) {
	src := newFake()
	src.silences = append(src.silences, Silence{ID: "s0", ModelID: "recsys", ModelVersion: "7", CreatedAt: testNow, Until: testNow.Add(time.Hour)})
	resp := do(t, newTestHandler(src, Options{}), "GET", "/api/v1/silences", "")
	require.Equal(t, 200, resp.code, resp.body)
	var got []Silence
	require.NoError(t, json.Unmarshal([]byte(resp.body), &got))
	assert.Equal(t, []Silence{src.silences[1], src.silences[0]}, got, "soonest to end first")

	resp = do(t, newTestHandler(&fakeSource{}, Options{}), "GET", "/api/v1/silences", "")
	assert.Equal(t, "[]\n", resp.body)
}

func TestAddSilenceStoresItAndReturnsItsIDAndEnd(t *testing.T) {
	src := newFake()
	resp := do(t, newTestHandler(src, Options{}), "POST", "/api/v1/silences",
		`{"model_id":"fraud-detector","model_version":"3","duration":"2h30m","comment":"retraining by hand"}`)
	require.Equal(t, 201, resp.code, resp.body)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.body), &raw))
	assert.Equal(t, "new-1", raw["id"])
	assert.Equal(t, "2025-06-01T14:30:00Z", raw["until"])
	assert.Equal(t, "fraud-detector", raw["model_id"])
	until, err := time.Parse(time.RFC3339, raw["until"].(string))
	require.NoError(t, err)
	assert.Equal(t, testNow.Add(150*time.Minute), until)
	assert.Equal(t, []silenceRequest{{ModelID: "fraud-detector", ModelVersion: "3", Duration: "2h30m0s", Comment: "retraining by hand"}}, src.added)

	list := do(t, newTestHandler(src, Options{}), "GET", "/api/v1/silences", "")
	assert.Contains(t, list.body, `"id":"new-1"`)
}

func TestBadSilencesAreRefusedNamingTheField(t *testing.T) {
	tests := []struct {
		name, body string
		code       int
		field      string
		contains   string
	}{
		{name: "empty body", body: "", code: 400, contains: "body is empty"},
		{name: "not JSON", body: `model_id=x`, code: 400, contains: "not valid JSON"},
		{name: "cut short", body: `{"model_id":"x",`, code: 400, contains: "not valid JSON"},
		{name: "an array", body: `["x"]`, code: 400, contains: "must be a JSON object"},
		{name: "unknown field", body: `{"model_id":"x","duration":"1h","model":"y"}`, code: 400, field: "model", contains: `unknown field "model"`},
		{name: "two objects", body: `{"model_id":"x","duration":"1h"}{}`, code: 400, contains: "one JSON object"},
		{name: "missing model_id", body: `{"duration":"1h"}`, code: 400, field: "model_id", contains: "model_id is required"},
		{name: "blank model_id", body: `{"model_id":"  ","duration":"1h"}`, code: 400, field: "model_id"},
		{name: "padded model_id", body: `{"model_id":" fraud-detector","duration":"1h"}`, code: 400, field: "model_id", contains: "must not start or end with spaces"},
		{name: "padded model_version", body: `{"model_id":"x","model_version":"3 ","duration":"1h"}`, code: 400, field: "model_version"},
		{name: "model_id too long", body: `{"model_id":"` + strings.Repeat("m", MaxModelID+1) + `","duration":"1h"}`, code: 400, field: "model_id", contains: "at most 256 bytes (got 257)"},
		{name: "model_id a number", body: `{"model_id":3,"duration":"1h"}`, code: 400, field: "model_id", contains: "model_id must be a JSON string"},
		{name: "missing duration", body: `{"model_id":"x"}`, code: 400, field: "duration", contains: "duration is required"},
		{name: "duration a number", body: `{"model_id":"x","duration":3600}`, code: 400, field: "duration", contains: "duration must be a JSON string (got number)"},
		{name: "days are not Go", body: `{"model_id":"x","duration":"1d"}`, code: 400, field: "duration", contains: `(got "1d")`},
		{name: "negative", body: `{"model_id":"x","duration":"-1h"}`, code: 400, field: "duration", contains: `duration must be positive (got "-1h")`},
		{name: "zero", body: `{"model_id":"x","duration":"0s"}`, code: 400, field: "duration", contains: `(got "0s")`},
		{name: "too long", body: `{"model_id":"x","duration":"721h"}`, code: 400, field: "duration", contains: `at most 720h0m0s (30 days) (got "721h")`},
		{name: "comment too long", body: `{"model_id":"x","duration":"1h","comment":"` + strings.Repeat("c", MaxComment+1) + `"}`, code: 400, field: "comment", contains: "comment must be at most 1024 bytes"},
		{name: "body too large", body: `{"model_id":"x","duration":"1h","comment":"` + strings.Repeat("c", DefaultMaxBody) + `"}`, code: 413, contains: "body must be at most 16384 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newFake()
			resp := do(t, newTestHandler(src, Options{}), "POST", "/api/v1/silences", tt.body)
			require.Equal(t, tt.code, resp.code, resp.body)
			assert.Equal(t, jsonContentType, resp.header.Get("Content-Type"))
			var e apiError
			require.NoError(t, json.Unmarshal([]byte(resp.body), &e), resp.body)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Error, tt.contains)
			assert.Empty(t, src.added, "nothing reaches the source")
		})
	}
}

func TestTheLongestSilenceAndLongestCommentAreAccepted(t *testing.T) {
	body := `{"model_id":"x","duration":"720h","comment":"` + strings.Repeat("c", MaxComment) + `"}`
	resp := do(t, newTestHandler(newFake(), Options{}), "POST", "/api/v1/silences", body)
	require.Equal(t, 201, resp.code, resp.body)
}

func TestMaxBodyIsAnOption(t *testing.T) {
	h := newTestHandler(newFake(), Options{MaxBody: 32})
	resp := do(t, h, "POST", "/api/v1/silences", `{"model_id":"x","duration":"1h","comment":"just a little too long"}`)
	assert.Equal(t, 413, resp.code, resp.body)
	resp = do(t, h, "POST", "/api/v1/silences", `{"model_id":"x","duration":"1h"}`)
	assert.Equal(t, 201, resp.code, resp.body)
}

func TestStorageErrorsAreServerErrors(t *testing.T) {
	src := newFake()
	src.addErr = errors.New("disk full")
	h := newTestHandler(src, Options{})
	resp := do(t, h, "POST", "/api/v1/silences", `{"model_id":"x","duration":"1h"}`)
	require.Equal(t, 500, resp.code)
	assert.JSONEq(t, `{"error":"store silence: disk full"}`, resp.body)

	src.deleteErr = errors.New("disk gone")
	resp = do(t, h, "DELETE", "/api/v1/silences/s1", "")
	require.Equal(t, 500, resp.code)
	assert.JSONEq(t, `{"error":"delete silence \"s1\": disk gone"}`, resp.body)
}

func TestDeleteSilenceEndsIt(t *testing.T) {
	src := newFake()
	h := newTestHandler(src, Options{})
	resp := do(t, h, "DELETE", "/api/v1/silences/s1", "")
	require.Equal(t, 204, resp.code)
	assert.Empty(t, resp.body)
	assert.Empty(t, src.Silences())

	resp = do(t, h, "DELETE", "/api/v1/silences/s1", "")
	require.Equal(t, 404, resp.code)
	assert.JSONEq(t, `{"error":"silence \"s1\" not found"}`, resp.body)
}

func TestHandlerIsSafeForConcurrentUse(t *testing.T) {
	src := newFake()
	srv := httptest.NewServer(newTestHandler(src, Options{}))
	defer srv.Close()
	done := make(chan error)
	for i := range 8 {
		go func() {
			var err error
			for range 20 {
				var resp *http.Response
				switch i % 3 {
				case 0:
					resp, err = http.Get(srv.URL + "/")
				case 1:
					resp, err = http.Get(srv.URL + "/api/v1/models/fraud-detector?version=3")
				default:
					resp, err = http.Post(srv.URL+"/api/v1/silences", "application/json", strings.NewReader(`{"model_id":"x","duration":"1h"}`))
				}
				if err != nil {
					break
				}
				_ = resp.Body.Close() // read nothing: only the status counts
				if resp.StatusCode >= 300 {
					err = errors.New(resp.Status)
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
}

func TestSilencesCannotBeChangedFromAnotherSitesPage(t *testing.T) {
	body := `{"model_id": "fraud-detector", "duration": "1h"}`
	tests := []struct {
		name   string
		method string
		target string
		header http.Header
		want   int
	}{
		{"a form post (text/plain, no preflight)", http.MethodPost, "/api/v1/silences", http.Header{"Content-Type": {"text/plain"}}, http.StatusUnsupportedMediaType},
		{"no content type", http.MethodPost, "/api/v1/silences", http.Header{}, http.StatusUnsupportedMediaType},
		{"a cross-site fetch", http.MethodPost, "/api/v1/silences", http.Header{"Content-Type": {"application/json"}, "Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"another origin", http.MethodPost, "/api/v1/silences", http.Header{"Content-Type": {"application/json"}, "Origin": {"http://evil.example"}}, http.StatusForbidden},
		{"another origin deleting", http.MethodDelete, "/api/v1/silences/s1", http.Header{"Origin": {"http://evil.example"}}, http.StatusForbidden},
		{"the page's own origin", http.MethodPost, "/api/v1/silences", http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Origin": {"http://example.com"}, "Sec-Fetch-Site": {"same-origin"}}, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newFake()
			h := NewHandler(src, Options{})
			got := doWith(t, h, tt.method, tt.target, body, tt.header)
			assert.Equal(t, tt.want, got.code, got.body)
		})
	}
}
