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

var update = flag.Bool("update", false, "rewrite the golden bodies in testdata from MarshalJSON")

// goldenBodies are the jobs of the golden webhook bodies in testdata, by file name.
var goldenBodies = map[string]func() Job{
	"job.json":   designJob,
	"drift.json": driftJob, // an evidence with a reference window
}

func TestMarshalJSONRendersTheDesignBody(t *testing.T) {
	for name, job := range goldenBodies {
		t.Run(name, func(t *testing.T) {
			golden := filepath.Join("testdata", name)
			body, err := json.Marshal(job())
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
		})
	}
}

func TestMarshalJSONOmitsAnAbsentReference(t *testing.T) {
	for name, j := range map[string]Job{"design": designJob(), "quiet": quietJob(), "overflow": overflowJob()} {
		t.Run(name, func(t *testing.T) {
			body, err := json.Marshal(j)
			require.NoError(t, err)
			assert.NotContains(t, string(body), "reference")
		})
	}
}

func TestMarshalJSONThenUnmarshalGivesBackTheJob(t *testing.T) {
	for name, j := range map[string]Job{"design": designJob(), "quiet": quietJob(), "overflow": overflowJob(), "drift": driftJob(), "bare": {
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
	for name, job := range goldenBodies {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", name))
			require.NoError(t, err)
			var got Job
			require.NoError(t, json.Unmarshal(body, &got))
			assert.Equal(t, job(), got)
		})
	}
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

	tokyo := time.FixedZone("JST", 9*60*60)
	j.Evidence[0].ReferenceStart = j.WindowStart.Add(-time.Hour).In(tokyo)
	j.Evidence[0].ReferenceEnd = j.WindowStart.In(tokyo)
	body, err = json.Marshal(j)
	require.NoError(t, err)
	assert.Contains(t, string(body), `"reference":{"start":"2026-01-02T02:03:05.123456789Z","end":"2026-01-02T03:03:05.123456789Z"}`)
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
	// reference gives the accuracy evidence a reference, as raw JSON.
	reference := func(raw string) func(m map[string]any) {
		return func(m map[string]any) {
			m["evidence"].([]any)[1].(map[string]any)["reference"] = json.RawMessage(raw)
		}
	}
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
		{name: "evidence_lower_without_upper", mutate: func(m map[string]any) {
			delete(m["evidence"].([]any)[0].(map[string]any), "upper")
		}, wantMsg: "evidence[0].upper: missing"},
		{name: "evidence_upper_without_lower", mutate: func(m map[string]any) {
			delete(m["evidence"].([]any)[0].(map[string]any), "lower")
		}, wantMsg: "evidence[0].lower: missing"},
		{name: "evidence_lower_null", mutate: func(m map[string]any) {
			m["evidence"].([]any)[0].(map[string]any)["lower"] = nil
		}, wantMsg: "evidence[0].lower: want number, got null"},
		{name: "evidence_upper_str", mutate: func(m map[string]any) {
			m["evidence"].([]any)[0].(map[string]any)["upper"] = "+Inf"
		}, wantMsg: "evidence[0].upper"},
		{name: "evidence_value_below_lower", mutate: func(m map[string]any) {
			m["evidence"].([]any)[0].(map[string]any)["lower"] = 200
		}, wantMsg: "evidence[0] (latency_sla): value 153.2 is outside its bounds [200, 250]"},
		{name: "evidence_reference_str", mutate: reference(`"the last hour"`), wantMsg: "reference"},
		{name: "evidence_reference_empty", mutate: reference(`{}`), wantMsg: "evidence[1].reference.start: missing"},
		{name: "evidence_reference_start_missing", mutate: reference(`{"end": "2026-11-27T22:55:00Z"}`),
			wantMsg: "evidence[1].reference.start: missing"},
		{name: "evidence_reference_end_missing", mutate: reference(`{"start": "2026-11-27T21:55:00Z"}`),
			wantMsg: "evidence[1].reference.end: missing"},
		{name: "evidence_reference_end_null", mutate: reference(`{"start": "2026-11-27T21:55:00Z", "end": null}`),
			wantMsg: "evidence[1].reference.end: missing"},
		{name: "evidence_reference_start_malformed", mutate: reference(`{"start": "an hour ago", "end": "2026-11-27T22:55:00Z"}`),
			wantMsg: `evidence[1].reference.start: parsing time "an hour ago"`},
		{name: "evidence_reference_end_without_zone", mutate: reference(`{"start": "2026-11-27T21:55:00Z", "end": "2026-11-27T22:55:00"}`),
			wantMsg: "evidence[1].reference.end: parsing time"},
		{name: "evidence_reference_end_number", mutate: reference(`{"start": "2026-11-27T21:55:00Z", "end": 1795819500}`),
			wantMsg: "reference.end"},
		{name: "evidence_reference_reversed", mutate: reference(`{"start": "2026-11-27T22:55:00Z", "end": "2026-11-27T21:55:00Z"}`),
			wantMsg: "evidence[1] (accuracy_drift): reference: end 2026-11-27T21:55:00Z is not after start 2026-11-27T22:55:00Z"},
		{name: "evidence_reference_of_no_time", mutate: reference(`{"start": "2026-11-27T22:55:00Z", "end": "2026-11-28T00:55:00+02:00"}`),
			wantMsg: "evidence[1] (accuracy_drift): reference: end 2026-11-27T22:55:00Z is not after start 2026-11-27T22:55:00Z"},
		{name: "evidence_reference_start_zero", mutate: reference(`{"start": "0001-01-01T00:00:00Z", "end": "2026-11-27T22:55:00Z"}`),
			wantMsg: "evidence[1] (accuracy_drift): reference: end 2026-11-27T22:55:00Z is set but start is not"},
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

func TestUnmarshalJSONReadsAReferenceAsWindowIsRead(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("testdata", "drift.json"))
	require.NoError(t, err)
	const reference = `"reference": {
        "start": "2026-11-27T21:55:00Z",
        "end": "2026-11-27T22:55:00Z"
      }`
	require.Contains(t, string(golden), reference)
	withoutReference := driftJob()
	withoutReference.Evidence[2].ReferenceStart, withoutReference.Evidence[2].ReferenceEnd = time.Time{}, time.Time{}
	tests := []struct {
		name string
		with string
		want Job
	}{
		{
			name: "unknown_keys_are_ignored",
			with: `"reference": {"start": "2026-11-27T21:55:00Z", "bins": 10, "end": "2026-11-27T22:55:00Z", "source": {"kind": "window"}}`,
			want: driftJob(),
		},
		{
			name: "another_zone_becomes_utc",
			with: `"reference": {"start": "2026-11-27T23:55:00+02:00", "end": "2026-11-27T14:55:00-08:00"}`,
			want: driftJob(),
		},
		{name: "null_is_absent", with: `"reference": null`, want: withoutReference},
		{name: "both_zero_is_absent", with: `"reference": {"start": "0001-01-01T00:00:00Z", "end": "0001-01-01T00:00:00Z"}`, want: withoutReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(string(golden), reference, tt.with, 1)
			var got Job
			require.NoError(t, json.Unmarshal([]byte(body), &got))
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEvidenceJSONCarriesBoundsAndReferenceOnlyWhenSet(t *testing.T) {
	tests := []struct {
		name string
		ev   Evidence
		want string
	}{
		{
			name: "bounded",
			ev:   Evidence{Observer: "latency_sla", Statistic: "p99", Value: 153.2, Lower: 100, Upper: 250, Bounded: true, Threshold: 100, Unit: "ms", Samples: 5000, Flagged: true},
			want: `{"observer":"latency_sla","statistic":"p99","value":153.2,"lower":100,"upper":250,"threshold":100,"unit":"ms","samples":5000,"flagged":true}`,
		},
		{
			name: "an_upper_bound_of_inf_is_null",
			ev:   overflowJob().Evidence[0],
			want: `{"observer":"latency_sla","statistic":"p99","value":10000,"lower":10000,"upper":null,"threshold":100,"unit":"ms","samples":5000,"flagged":true}`,
		},
		{
			name: "bounds_of_zero_are_written",
			ev:   Evidence{Observer: "latency_sla", Statistic: "p50", Bounded: true, Threshold: 100, Unit: "ms", Samples: 1},
			want: `{"observer":"latency_sla","statistic":"p50","value":0,"lower":0,"upper":0,"threshold":100,"unit":"ms","samples":1,"flagged":false}`,
		},
		{
			name: "unbounded_has_neither",
			ev:   Evidence{Observer: "accuracy_drift", Statistic: "mean", Value: 0.75, Threshold: 0.8, Unit: "1", Samples: 3, Flagged: true},
			want: `{"observer":"accuracy_drift","statistic":"mean","value":0.75,"threshold":0.8,"unit":"1","samples":3,"flagged":true}`,
		},
		{
			name: "a_reference_comes_last",
			ev:   driftJob().Evidence[2],
			want: `{"observer":"prediction_drift","statistic":"psi","value":0.31,"threshold":0.2,"unit":"1","samples":5000,"flagged":true,` +
				`"reference":{"start":"2026-11-27T21:55:00Z","end":"2026-11-27T22:55:00Z"}}`,
		},
		{
			name: "bounded_with_a_reference_to_the_nanosecond",
			ev: Evidence{
				Observer: "x", Statistic: "p50", Value: 2, Lower: 1, Upper: 3, Bounded: true, Threshold: 5, Unit: "ms", Samples: 7,
				ReferenceStart: referenceStart.Add(time.Nanosecond), ReferenceEnd: referenceStart.Add(2 * time.Nanosecond),
			},
			want: `{"observer":"x","statistic":"p50","value":2,"lower":1,"upper":3,"threshold":5,"unit":"ms","samples":7,"flagged":false,` +
				`"reference":{"start":"2026-11-27T21:55:00.000000001Z","end":"2026-11-27T21:55:00.000000002Z"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A body_template renders evidence on its own: {{ json .Evidence }}.
			body, err := json.Marshal([]Evidence{tt.ev})
			require.NoError(t, err)
			assert.Equal(t, "["+tt.want+"]", string(body))
			var got []Evidence
			require.NoError(t, json.Unmarshal(body, &got))
			assert.Equal(t, []Evidence{tt.ev}, got)
		})
	}
}

func TestEvidenceJSONRejectsWhatValidateRejects(t *testing.T) {
	ev := Evidence{Observer: "latency_sla", Statistic: "p99", Value: 300, Lower: 250, Upper: 500, Bounded: true, Threshold: 100, Unit: "ms", Samples: 9}
	ev.Upper = math.Inf(-1)
	_, err := json.Marshal(ev)
	assert.ErrorContains(t, err, "marshal evidence (latency_sla): upper -Inf is neither finite nor +Inf")

	var got Evidence
	err = json.Unmarshal([]byte(`{"observer":"latency_sla","statistic":"p99","value":600,"lower":250,"upper":500,"threshold":100,"unit":"ms","samples":9,"flagged":true}`), &got)
	assert.EqualError(t, err, "unmarshal evidence: value 600 is outside its bounds [250, 500]")
	assert.Equal(t, Evidence{}, got)

	drift := driftJob().Evidence[2]
	drift.ReferenceStart = drift.ReferenceEnd
	_, err = json.Marshal(drift)
	assert.EqualError(t, err, "json: error calling MarshalJSON for type job.Evidence: "+
		"marshal evidence (prediction_drift): reference: end 2026-11-27T22:55:00Z is not after start 2026-11-27T22:55:00Z")
	drift.ReferenceStart = time.Time{}
	_, err = drift.MarshalJSON()
	assert.EqualError(t, err, "marshal evidence (prediction_drift): reference: end 2026-11-27T22:55:00Z is set but start is not")

	err = json.Unmarshal([]byte(`{"observer":"prediction_drift","statistic":"psi","value":0.31,"threshold":0.2,"unit":"1","samples":9,"flagged":true,`+
		`"reference":{"start":"2026-11-27T22:55:00Z","end":"2026-11-27T21:55:00Z"}}`), &got)
	assert.EqualError(t, err, "unmarshal evidence: reference: end 2026-11-27T21:55:00Z is not after start 2026-11-27T22:55:00Z")
	err = json.Unmarshal([]byte(`{"observer":"prediction_drift","statistic":"psi","value":0.31,"threshold":0.2,"unit":"1","samples":9,"flagged":true,`+
		`"reference":{"start":"2026-11-27T21:55:00Z"}}`), &got)
	assert.EqualError(t, err, "unmarshal evidence: evidence.reference.end: missing")
	assert.Equal(t, Evidence{}, got)
}
