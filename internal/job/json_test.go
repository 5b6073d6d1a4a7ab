package job

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/job.json from MarshalJSON")

func TestMarshalJSONRendersTheDesignBody(t *testing.T) {
	golden := filepath.Join("testdata", "job.json")
	body, err := json.Marshal(designJob())
	require.NoError(t, err)
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, body, "", "  "))
	pretty.WriteByte('\n')
	if *update {
		require.NoError(t, os.WriteFile(golden, pretty.Bytes(), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), pretty.String())
}

func TestMarshalJSONThenUnmarshalGivesBackTheJob(t *testing.T) {
	for name, j := range map[string]Job{"design": designJob(), "quiet": quietJob(), "bare": {
		ID: "x", ModelID: "m", RequestedAt: requestedAt, WindowStart: windowStart, WindowEnd: requestedAt,
	}} {
		t.Run(name, func(t *testing.T) {
			body, err := json.Marshal(j)
			require.NoError(t, err)
			var got Job
			require.NoError(t, json.Unmarshal(body, &got))
			assert.Equal(t, j, got)
		})
	}
}

func TestUnmarshalJSONReadsTheGoldenBody(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "job.json"))
	require.NoError(t, err)
	var got Job
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, designJob(), got)
}

func TestMarshalJSONRendersEmptyCollectionsAndOmitsUnknownVersion(t *testing.T) {
	body, err := json.Marshal(Job{ID: "x", ModelID: "m", RequestedAt: requestedAt, WindowStart: windowStart, WindowEnd: requestedAt})
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"schema_version": 1, "id": "x", "type": "ml.model.retrain_requested", "model_id": "m",
		"reasons": [], "strategy": "", "requested_at": "2026-11-27T23:00:00Z",
		"window": {"start": "2026-11-27T22:55:00Z", "end": "2026-11-27T23:00:00Z"},
		"evidence": [], "resource": {}
	}`, string(body))
	assert.NotContains(t, string(body), "model_version")
}

func TestMarshalJSONWritesTimesInUTCWithNanoseconds(t *testing.T) {
	j := quietJob()
	j.RequestedAt = j.RequestedAt.In(time.FixedZone("PST", -8*60*60))
	body, err := json.Marshal(j)
	require.NoError(t, err)
	assert.Contains(t, string(body), `"requested_at":"2026-01-02T03:04:05.123456789Z"`)
	assert.Contains(t, string(body), `"window":{"start":"2026-01-02T03:03:05.123456789Z","end":"2026-01-02T03:04:05.123456789Z"}`)
}

func TestMarshalJSONRejectsNonFiniteNumbers(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(j *Job)
		wantMsg string
	}{
		{name: "nan_value", mutate: func(j *Job) { j.Evidence[1].Value = math.NaN() }, wantMsg: "evidence[1] (accuracy_drift): value NaN is not finite"},
		{name: "infinite_threshold", mutate: func(j *Job) { j.Evidence[0].Threshold = math.Inf(1) }, wantMsg: "evidence[0] (latency_sla): threshold +Inf is not finite"},
		{name: "nan_resource_attribute", mutate: func(j *Job) {
			j.Resource["load"] = []any{1.0, map[string]any{"p": math.NaN()}}
		}, wantMsg: `resource["load"][1]["p"] = NaN is not finite`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := designJob()
			tt.mutate(&j)
			_, err := j.MarshalJSON()
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.wantMsg)
			_, err = json.Marshal(j)
			assert.ErrorContains(t, err, tt.wantMsg)
		})
	}
}

func TestUnmarshalJSONRejectsMalformedBodies(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "job.json"))
	require.NoError(t, err)
	tests := []struct {
		name    string
		mutate  func(m map[string]any)
		wantIs  error
		wantMsg string
	}{
		{name: "schema_version_missing", mutate: func(m map[string]any) { delete(m, "schema_version") }, wantIs: ErrUnsupportedSchema, wantMsg: "schema_version: missing"},
		{name: "schema_version_2", mutate: func(m map[string]any) { m["schema_version"] = 2 }, wantIs: ErrUnsupportedSchema, wantMsg: "got 2, want 1"},
		{name: "other_type", mutate: func(m map[string]any) { m["type"] = "ml.model.deployed" }, wantIs: ErrNotJob, wantMsg: `type "ml.model.deployed"`},
		{name: "type_missing", mutate: func(m map[string]any) { delete(m, "type") }, wantMsg: "type: missing"},
		{name: "id_missing", mutate: func(m map[string]any) { delete(m, "id") }, wantMsg: "id: missing"},
		{name: "id_number", mutate: func(m map[string]any) { m["id"] = 5 }, wantMsg: "id"},
		{name: "model_id_empty", mutate: func(m map[string]any) { m["model_id"] = "" }, wantMsg: "model_id: empty"},
		{name: "reasons_missing", mutate: func(m map[string]any) { delete(m, "reasons") }, wantMsg: "reasons: missing"},
		{name: "strategy_missing", mutate: func(m map[string]any) { delete(m, "strategy") }, wantMsg: "strategy: missing"},
		{name: "requested_at_malformed", mutate: func(m map[string]any) { m["requested_at"] = "now" }, wantMsg: "requested_at: parsing time"},
		{name: "window_missing", mutate: func(m map[string]any) { delete(m, "window") }, wantMsg: "window: missing"},
		{name: "window_end_missing", mutate: func(m map[string]any) { delete(m["window"].(map[string]any), "end") }, wantMsg: "window.end: missing"},
		{name: "window_reversed", mutate: func(m map[string]any) { m["window"].(map[string]any)["start"] = "2026-11-27T23:00:01Z" }, wantMsg: "window: end"},
		{name: "evidence_missing", mutate: func(m map[string]any) { delete(m, "evidence") }, wantMsg: "evidence: missing"},
		{name: "evidence_samples_missing", mutate: func(m map[string]any) {
			delete(m["evidence"].([]any)[1].(map[string]any), "samples")
		}, wantMsg: "evidence[1].samples: missing"},
		{name: "evidence_samples_negative", mutate: func(m map[string]any) {
			m["evidence"].([]any)[0].(map[string]any)["samples"] = -1
		}, wantMsg: "samples"},
		{name: "resource_missing", mutate: func(m map[string]any) { delete(m, "resource") }, wantMsg: "resource: missing"},
		{name: "resource_list", mutate: func(m map[string]any) { m["resource"] = []any{} }, wantMsg: "resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal(golden, &m))
			tt.mutate(m)
			body, err := json.Marshal(m)
			require.NoError(t, err)
			got := Job{ID: "untouched"}
			err = json.Unmarshal(body, &got)
			require.Error(t, err)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			assert.ErrorContains(t, err, tt.wantMsg)
			assert.Equal(t, Job{ID: "untouched"}, got)
		})
	}
}

func TestUnmarshalJSONIgnoresUnknownKeys(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "job.json"))
	require.NoError(t, err)
	body := strings.Replace(string(golden), `"strategy": "any",`, `"strategy": "any", "priority": "high", "links": [{"rel": "dashboard"}],`, 1)
	require.NotEqual(t, string(golden), body)
	var got Job
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, designJob(), got)
}
