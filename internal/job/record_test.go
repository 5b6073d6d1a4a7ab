package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

const scopeName = "github.com/visutility/otelcol-retrain/processor/retrainprocessor"

// appendOne encodes j into fresh logs and returns the resource and the record.
func appendOne(t testing.TB, j Job) (pcommon.Resource, plog.LogRecord) {
	t.Helper()
	ld := plog.NewLogs()
	Append(ld, scopeName, j)
	require.Equal(t, 1, ld.ResourceLogs().Len())
	rl := ld.ResourceLogs().At(0)
	require.Equal(t, 1, rl.ScopeLogs().Len())
	require.Equal(t, 1, rl.ScopeLogs().At(0).LogRecords().Len())
	return rl.Resource(), rl.ScopeLogs().At(0).LogRecords().At(0)
}

func TestAppendThenDecodeGivesBackTheJob(t *testing.T) {
	tests := []struct {
		name string
		job  Job
	}{
		{name: "version_and_two_evidence_entries", job: designJob()},
		{name: "an_upper_bound_of_inf", job: overflowJob()},
		{name: "no_version_and_no_reasons", job: quietJob()},
		{name: "an_evidence_with_a_reference", job: driftJob()},
		{name: "no_evidence_and_no_resource", job: Job{
			ID: NewID("m", "", requestedAt), ModelID: "m", Strategy: "majority",
			RequestedAt: requestedAt, WindowStart: windowStart, WindowEnd: requestedAt,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, lr := appendOne(t, tt.job)
			got, err := Decode(res, lr)
			require.NoError(t, err)
			assert.Equal(t, tt.job, got)
		})
	}
}

func TestAppendWritesTheRecordContract(t *testing.T) {
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty() // logs already in the batch stay
	Append(ld, scopeName, designJob())

	require.Equal(t, 2, ld.ResourceLogs().Len())
	rl := ld.ResourceLogs().At(1)
	assert.Equal(t, map[string]any{"service.name": "fraud-api", "ml.model.id": "fraud-detector"}, rl.Resource().Attributes().AsRaw())
	require.Equal(t, 1, rl.ScopeLogs().Len())
	sl := rl.ScopeLogs().At(0)
	assert.Equal(t, scopeName, sl.Scope().Name())
	require.Equal(t, 1, sl.LogRecords().Len())
	lr := sl.LogRecords().At(0)

	assert.True(t, IsJob(lr))
	assert.Equal(t, "ml.model.retrain_requested", lr.EventName())
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber())
	assert.Equal(t, "WARN", lr.SeverityText())
	assert.Equal(t, pcommon.Timestamp(1795820400000000000), lr.Timestamp())
	assert.Equal(t, lr.Timestamp(), lr.ObservedTimestamp())
	assert.Equal(t, map[string]any{
		"retrain.job.id":   "5acb6afc25e7a90d83eb632d0a8281e1",
		"ml.model.id":      "fraud-detector",
		"ml.model.version": "3",
		"retrain.reasons":  []any{"latency_sla", "accuracy_drift"},
		"retrain.strategy": "any",
	}, lr.Attributes().AsRaw())
	require.Equal(t, pcommon.ValueTypeMap, lr.Body().Type())
	assert.Equal(t, map[string]any{
		"schema_version": int64(1),
		"window":         map[string]any{"start": "2026-11-27T22:55:00Z", "end": "2026-11-27T23:00:00Z"},
		"evidence": []any{
			map[string]any{"observer": "latency_sla", "statistic": "p99", "value": 153.2, "lower": 100.0, "upper": 250.0, "threshold": 100.0, "unit": "ms", "samples": int64(5000), "flagged": true},
			map[string]any{"observer": "accuracy_drift", "statistic": "mean", "value": 0.75, "threshold": 0.8, "unit": "1", "samples": int64(5000), "flagged": true},
		},
	}, lr.Body().Map().AsRaw())
}

func TestAppendWritesAReferenceOnlyWhenSet(t *testing.T) {
	_, lr := appendOne(t, driftJob())
	evidence := at(lr.Body().Map(), []string{"evidence"}).Slice()
	require.Equal(t, 3, evidence.Len())
	assert.Equal(t, map[string]any{
		"observer": "prediction_drift", "statistic": "psi", "value": 0.31, "threshold": 0.2, "unit": "1", "samples": int64(5000), "flagged": true,
		// Strings, as the window's times.
		"reference": map[string]any{"start": "2026-11-27T21:55:00Z", "end": "2026-11-27T22:55:00Z"},
	}, evidence.At(2).Map().AsRaw())
	for i := range 2 {
		_, ok := evidence.At(i).Map().Get("reference")
		assert.False(t, ok, "evidence[%d] has a reference", i)
	}

	j := driftJob()
	tokyo := time.FixedZone("JST", 9*60*60)
	j.Evidence[2].ReferenceStart = referenceStart.Add(time.Nanosecond).In(tokyo)
	j.Evidence[2].ReferenceEnd = referenceEnd.In(tokyo)
	_, lr = appendOne(t, j)
	assert.Equal(t, map[string]any{"start": "2026-11-27T21:55:00.000000001Z", "end": "2026-11-27T22:55:00Z"},
		at(lr.Body().Map(), []string{"evidence", "2", "reference"}).Map().AsRaw())
}

func TestAppendOmitsUnknownVersionAndKeepsEmptyReasons(t *testing.T) {
	_, lr := appendOne(t, quietJob())
	_, hasVersion := lr.Attributes().Get(AttrModelVersion)
	assert.False(t, hasVersion)
	reasons, ok := lr.Attributes().Get(AttrReasons)
	require.True(t, ok)
	assert.Equal(t, pcommon.ValueTypeSlice, reasons.Type())
	assert.Equal(t, 0, reasons.Slice().Len())
}

func TestIsJobRecognisesOnlyTheEventName(t *testing.T) {
	lr := plog.NewLogRecord()
	assert.False(t, IsJob(lr))
	lr.SetEventName("ml.model.retrain_requested.v2")
	assert.False(t, IsJob(lr))
	lr.SetEventName(EventName)
	assert.True(t, IsJob(lr))
}

func TestDecodeRejectsMalformedRecords(t *testing.T) {
	attr := func(key string, set func(v pcommon.Value)) func(lr plog.LogRecord) {
		return func(lr plog.LogRecord) { set(lr.Attributes().PutEmpty(key)) }
	}
	removeAttr := func(key string) func(lr plog.LogRecord) {
		return func(lr plog.LogRecord) { lr.Attributes().Remove(key) }
	}
	body := func(path []string, set func(v pcommon.Value)) func(lr plog.LogRecord) {
		return func(lr plog.LogRecord) { set(at(lr.Body().Map(), path)) }
	}
	removeBody := func(path []string) func(lr plog.LogRecord) {
		return func(lr plog.LogRecord) {
			parent := lr.Body().Map()
			if len(path) > 1 {
				parent = at(parent, path[:len(path)-1]).Map()
			}
			parent.Remove(path[len(path)-1])
		}
	}
	str := func(s string) func(v pcommon.Value) { return func(v pcommon.Value) { v.SetStr(s) } }
	num := func(n int64) func(v pcommon.Value) { return func(v pcommon.Value) { v.SetInt(n) } }
	dbl := func(f float64) func(v pcommon.Value) { return func(v pcommon.Value) { v.SetDouble(f) } }
	slice := func(v pcommon.Value) { v.SetEmptySlice().AppendEmpty().SetStr("x") }
	// reference gives the accuracy evidence a reference, from raw.
	reference := func(raw any) func(lr plog.LogRecord) {
		return func(lr plog.LogRecord) {
			require.NoError(t, at(lr.Body().Map(), []string{"evidence", "1"}).Map().PutEmpty("reference").FromRaw(raw))
		}
	}
	const refStart, refEnd = "2026-11-27T21:55:00Z", "2026-11-27T22:55:00Z"

	tests := []struct {
		name    string
		mutate  func(lr plog.LogRecord)
		wantIs  error
		wantMsg string
	}{
		{name: "other_event_name", mutate: func(lr plog.LogRecord) { lr.SetEventName("app.log") }, wantIs: ErrNotJob},
		{name: "no_event_name", mutate: func(lr plog.LogRecord) { lr.SetEventName("") }, wantIs: ErrNotJob},

		{name: "job_id_missing", mutate: removeAttr(AttrJobID), wantMsg: `"retrain.job.id": missing`},
		{name: "job_id_empty", mutate: attr(AttrJobID, str("")), wantMsg: `decode job: id: empty`},
		{name: "job_id_int", mutate: attr(AttrJobID, num(7)), wantMsg: `"retrain.job.id": want Str, got Int`},
		{name: "model_id_missing", mutate: removeAttr(AttrModelID), wantMsg: `"ml.model.id": missing`},
		{name: "model_id_empty", mutate: attr(AttrModelID, str("")), wantMsg: `model_id: empty`},
		{name: "model_id_slice", mutate: attr(AttrModelID, slice), wantMsg: `"ml.model.id": want Str, got Slice`},
		{name: "model_version_int", mutate: attr(AttrModelVersion, num(3)), wantMsg: `"ml.model.version": want Str, got Int`},
		{name: "reasons_missing", mutate: removeAttr(AttrReasons), wantMsg: `"retrain.reasons": missing`},
		{name: "reasons_str", mutate: attr(AttrReasons, str("latency_sla")), wantMsg: `"retrain.reasons": want Slice, got Str`},
		{name: "reasons_entry_int", mutate: func(lr plog.LogRecord) {
			v, _ := lr.Attributes().Get(AttrReasons)
			v.Slice().AppendEmpty().SetInt(1)
		}, wantMsg: `"retrain.reasons"[2]: want Str, got Int`},
		{name: "strategy_missing", mutate: removeAttr(AttrStrategy), wantMsg: `"retrain.strategy": missing`},
		{name: "strategy_bool", mutate: attr(AttrStrategy, func(v pcommon.Value) { v.SetBool(true) }), wantMsg: `"retrain.strategy": want Str, got Bool`},
		{name: "timestamp_missing", mutate: func(lr plog.LogRecord) { lr.SetTimestamp(0) }, wantMsg: "timestamp: missing"},

		{name: "body_str", mutate: func(lr plog.LogRecord) { lr.Body().SetStr("{}") }, wantMsg: "body: want Map, got Str"},
		{name: "body_empty", mutate: func(lr plog.LogRecord) { _ = lr.Body().FromRaw(nil) }, wantMsg: "body: want Map, got Empty"},
		{name: "schema_version_missing", mutate: removeBody([]string{"schema_version"}), wantIs: ErrUnsupportedSchema, wantMsg: "body.schema_version: missing"},
		{name: "schema_version_2", mutate: body([]string{"schema_version"}, num(2)), wantIs: ErrUnsupportedSchema, wantMsg: "body.schema_version"},
		{name: "schema_version_0", mutate: body([]string{"schema_version"}, num(0)), wantIs: ErrUnsupportedSchema, wantMsg: "body.schema_version"},
		{name: "schema_version_str", mutate: body([]string{"schema_version"}, str("1")), wantMsg: "body.schema_version: want whole number, got Str"},
		{name: "schema_version_fraction", mutate: body([]string{"schema_version"}, dbl(1.5)), wantMsg: "body.schema_version: 1.5 is not a whole number"},
		{name: "window_missing", mutate: removeBody([]string{"window"}), wantMsg: "body.window: missing"},
		{name: "window_str", mutate: body([]string{"window"}, str("5m")), wantMsg: "body.window: want Map, got Str"},
		{name: "window_start_missing", mutate: removeBody([]string{"window", "start"}), wantMsg: "body.window.start: missing"},
		{name: "window_start_malformed", mutate: body([]string{"window", "start"}, str("yesterday")), wantMsg: "body.window.start: parsing time"},
		{name: "window_start_without_zone", mutate: body([]string{"window", "start"}, str("2026-11-27T22:55:00")), wantMsg: "body.window.start: parsing time"},
		{name: "window_end_int", mutate: body([]string{"window", "end"}, num(1795820400)), wantMsg: "body.window.end: want Str, got Int"},
		{name: "window_end_before_start", mutate: body([]string{"window", "end"}, str("2026-11-27T22:54:59Z")), wantMsg: "window: end 2026-11-27T22:54:59Z is before start 2026-11-27T22:55:00Z"},
		{name: "evidence_missing", mutate: removeBody([]string{"evidence"}), wantMsg: "body.evidence: missing"},
		{name: "evidence_map", mutate: body([]string{"evidence"}, func(v pcommon.Value) { v.SetEmptyMap() }), wantMsg: "body.evidence: want Slice, got Map"},
		{name: "evidence_entry_str", mutate: body([]string{"evidence", "1"}, str("latency_sla")), wantMsg: "body.evidence[1]: want Map, got Str"},
		{name: "evidence_observer_missing", mutate: removeBody([]string{"evidence", "1", "observer"}), wantMsg: "body.evidence[1].observer: missing"},
		{name: "evidence_observer_int", mutate: body([]string{"evidence", "0", "observer"}, num(1)), wantMsg: "body.evidence[0].observer: want Str, got Int"},
		{name: "evidence_statistic_missing", mutate: removeBody([]string{"evidence", "0", "statistic"}), wantMsg: "body.evidence[0].statistic: missing"},
		{name: "evidence_statistic_bool", mutate: body([]string{"evidence", "0", "statistic"}, func(v pcommon.Value) { v.SetBool(false) }), wantMsg: "body.evidence[0].statistic: want Str, got Bool"},
		{name: "evidence_value_missing", mutate: removeBody([]string{"evidence", "0", "value"}), wantMsg: "body.evidence[0].value: missing"},
		{name: "evidence_value_str", mutate: body([]string{"evidence", "0", "value"}, str("153.2")), wantMsg: "body.evidence[0].value: want number, got Str"},
		{name: "evidence_value_nan", mutate: body([]string{"evidence", "0", "value"}, dbl(math.NaN())), wantMsg: "evidence[0] (latency_sla): value NaN is not finite"},
		{name: "evidence_threshold_missing", mutate: removeBody([]string{"evidence", "0", "threshold"}), wantMsg: "body.evidence[0].threshold: missing"},
		{name: "evidence_threshold_inf", mutate: body([]string{"evidence", "1", "threshold"}, dbl(math.Inf(-1))), wantMsg: "evidence[1] (accuracy_drift): threshold -Inf is not finite"},
		{name: "evidence_lower_without_upper", mutate: removeBody([]string{"evidence", "0", "upper"}), wantMsg: "body.evidence[0].upper: missing"},
		{name: "evidence_upper_without_lower", mutate: removeBody([]string{"evidence", "0", "lower"}), wantMsg: "body.evidence[0].lower: missing"},
		{name: "evidence_lower_str", mutate: body([]string{"evidence", "0", "lower"}, str("100")), wantMsg: "body.evidence[0].lower: want number, got Str"},
		{name: "evidence_lower_on_unbounded", mutate: func(lr plog.LogRecord) {
			m := at(lr.Body().Map(), []string{"evidence", "1"}).Map()
			m.PutDouble("lower", 0.9)
		}, wantMsg: "body.evidence[1].upper: missing"},
		{name: "evidence_lower_inf", mutate: body([]string{"evidence", "0", "lower"}, dbl(math.Inf(-1))), wantMsg: "evidence[0] (latency_sla): lower -Inf is not finite"},
		{name: "evidence_upper_nan", mutate: body([]string{"evidence", "0", "upper"}, dbl(math.NaN())), wantMsg: "evidence[0] (latency_sla): upper NaN is neither finite nor +Inf"},
		{name: "evidence_value_above_upper", mutate: body([]string{"evidence", "0", "upper"}, dbl(150)), wantMsg: "evidence[0] (latency_sla): value 153.2 is outside its bounds [100, 150]"},
		{name: "evidence_unit_missing", mutate: removeBody([]string{"evidence", "0", "unit"}), wantMsg: "body.evidence[0].unit: missing"},
		{name: "evidence_unit_double", mutate: body([]string{"evidence", "0", "unit"}, dbl(1)), wantMsg: "body.evidence[0].unit: want Str, got Double"},
		{name: "evidence_samples_missing", mutate: removeBody([]string{"evidence", "0", "samples"}), wantMsg: "body.evidence[0].samples: missing"},
		{name: "evidence_samples_negative", mutate: body([]string{"evidence", "0", "samples"}, num(-1)), wantMsg: "body.evidence[0].samples: -1 is negative"},
		{name: "evidence_samples_fraction", mutate: body([]string{"evidence", "0", "samples"}, dbl(0.5)), wantMsg: "body.evidence[0].samples: 0.5 is not a whole number"},
		{name: "evidence_samples_str", mutate: body([]string{"evidence", "0", "samples"}, str("5000")), wantMsg: "body.evidence[0].samples: want whole number, got Str"},
		{name: "evidence_flagged_missing", mutate: removeBody([]string{"evidence", "0", "flagged"}), wantMsg: "body.evidence[0].flagged: missing"},
		{name: "evidence_flagged_str", mutate: body([]string{"evidence", "0", "flagged"}, str("true")), wantMsg: "body.evidence[0].flagged: want Bool, got Str"},
		{name: "evidence_reference_str", mutate: reference("1h"), wantMsg: "body.evidence[1].reference: want Map, got Str"},
		{name: "evidence_reference_empty", mutate: reference(map[string]any{}), wantMsg: "body.evidence[1].reference.start: missing"},
		{name: "evidence_reference_start_missing", mutate: reference(map[string]any{"end": refEnd}), wantMsg: "body.evidence[1].reference.start: missing"},
		{name: "evidence_reference_end_missing", mutate: reference(map[string]any{"start": refStart}), wantMsg: "body.evidence[1].reference.end: missing"},
		{name: "evidence_reference_start_malformed", mutate: reference(map[string]any{"start": "an hour ago", "end": refEnd}),
			wantMsg: `body.evidence[1].reference.start: parsing time "an hour ago"`},
		{name: "evidence_reference_end_without_zone", mutate: reference(map[string]any{"start": refStart, "end": "2026-11-27T22:55:00"}),
			wantMsg: "body.evidence[1].reference.end: parsing time"},
		{name: "evidence_reference_end_int", mutate: reference(map[string]any{"start": refStart, "end": int64(1795819500000000000)}),
			wantMsg: "body.evidence[1].reference.end: want Str, got Int"},
		{name: "evidence_reference_reversed", mutate: reference(map[string]any{"start": refEnd, "end": refStart}),
			wantMsg: "evidence[1] (accuracy_drift): reference: end 2026-11-27T21:55:00Z is not after start 2026-11-27T22:55:00Z"},
		{name: "evidence_reference_of_no_time", mutate: reference(map[string]any{"start": refEnd, "end": refEnd}),
			wantMsg: "evidence[1] (accuracy_drift): reference: end 2026-11-27T22:55:00Z is not after start 2026-11-27T22:55:00Z"},
		{name: "evidence_reference_end_zero", mutate: reference(map[string]any{"start": refStart, "end": "0001-01-01T00:00:00Z"}),
			wantMsg: "evidence[1] (accuracy_drift): reference: start 2026-11-27T21:55:00Z is set but end is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, lr := appendOne(t, designJob())
			tt.mutate(lr)
			got, err := Decode(res, lr)
			require.Error(t, err)
			assert.Equal(t, Job{}, got)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			} else {
				assert.False(t, errors.Is(err, ErrNotJob) || errors.Is(err, ErrUnsupportedSchema), "unexpected sentinel in %v", err)
			}
			assert.ErrorContains(t, err, tt.wantMsg)
		})
	}
}

func TestDecodeErrorNamesTheJob(t *testing.T) {
	res, lr := appendOne(t, designJob())
	lr.Body().Map().Remove("window")
	_, err := Decode(res, lr)
	assert.EqualError(t, err, `decode job "5acb6afc25e7a90d83eb632d0a8281e1": body.window: missing`)
}

func TestDecodeToleratesOtherProducers(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(lr plog.LogRecord)
		want   func(j *Job)
	}{
		{
			name: "extra_attribute_and_body_keys",
			mutate: func(lr plog.LogRecord) {
				lr.Attributes().PutStr("retrain.priority", "high")
				lr.Body().Map().PutStr("note", "added by a newer producer")
				lr.Body().Map().PutEmptyMap("window").PutStr("start", "2026-11-27T22:55:00Z")
				w, _ := lr.Body().Map().Get("window")
				w.Map().PutStr("end", "2026-11-27T23:00:00Z")
				w.Map().PutInt("slots", 5)
				at(lr.Body().Map(), []string{"evidence", "0"}).Map().PutStr("quantile_error", "1%")
			},
		},
		{
			name: "numbers_stored_as_the_other_kind",
			mutate: func(lr plog.LogRecord) {
				lr.Body().Map().PutDouble("schema_version", 1)
				e := at(lr.Body().Map(), []string{"evidence", "0"}).Map()
				e.PutInt("threshold", 100)
				e.PutInt("value", 153)
				e.PutDouble("samples", 5000)
			},
			want: func(j *Job) { j.Evidence[0].Value = 153 },
		},
		{
			name: "window_in_another_zone",
			mutate: func(lr plog.LogRecord) {
				at(lr.Body().Map(), []string{"window"}).Map().PutStr("start", "2026-11-28T00:55:00+02:00")
			},
		},
		{
			name: "reference_in_other_zones_with_extra_keys",
			mutate: func(lr plog.LogRecord) {
				ref := at(lr.Body().Map(), []string{"evidence", "1"}).Map().PutEmptyMap("reference")
				ref.PutInt("bins", 10)
				ref.PutStr("start", "2026-11-27T23:55:00+02:00")
				ref.PutStr("end", "2026-11-27T14:55:00-08:00")
				ref.PutEmptyMap("source").PutStr("kind", "window")
			},
			want: func(j *Job) { j.Evidence[1].ReferenceStart, j.Evidence[1].ReferenceEnd = referenceStart, referenceEnd },
		},
		{
			name: "a_reference_of_zero_times_is_none",
			mutate: func(lr plog.LogRecord) {
				ref := at(lr.Body().Map(), []string{"evidence", "1"}).Map().PutEmptyMap("reference")
				ref.PutStr("start", "0001-01-01T00:00:00Z")
				ref.PutStr("end", "0001-01-01T00:00:00Z")
			},
		},
		{
			name: "empty_version_attribute",
			mutate: func(lr plog.LogRecord) {
				lr.Attributes().PutStr(AttrModelVersion, "")
			},
			want: func(j *Job) { j.ModelVersion = "" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, lr := appendOne(t, designJob())
			tt.mutate(lr)
			want := designJob()
			if tt.want != nil {
				tt.want(&want)
			}
			got, err := Decode(res, lr)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// at walks maps by key and slices by a decimal index.
func at(m pcommon.Map, path []string) pcommon.Value {
	v, ok := m.Get(path[0])
	if !ok {
		panic("no " + path[0])
	}
	for _, p := range path[1:] {
		switch v.Type() {
		case pcommon.ValueTypeMap:
			v, ok = v.Map().Get(p)
			if !ok {
				panic("no " + p)
			}
		case pcommon.ValueTypeSlice:
			i := int(p[0] - '0')
			v = v.Slice().At(i)
		}
	}
	return v
}

func FuzzDecode(f *testing.F) {
	_, valid := appendOne(f, designJob())
	seed, err := json.Marshal(valid.Body().AsRaw())
	require.NoError(f, err)
	f.Add(seed)
	_, quiet := appendOne(f, quietJob())
	seed, err = json.Marshal(quiet.Body().AsRaw())
	require.NoError(f, err)
	f.Add(seed)
	_, drift := appendOne(f, driftJob())
	seed, err = json.Marshal(drift.Body().AsRaw())
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte(`{"schema_version":1,"window":{"start":"2026-11-27T22:55:00Z","end":"2026-11-27T23:00:00Z"},"evidence":[{"observer":"x","statistic":"psi","value":1,"threshold":0.2,"unit":"1","samples":3,"flagged":true,"reference":{"start":"0001-01-01T00:00:00+00:01","end":"9999-12-31T23:59:59.999999999-00:01","x":1}}]}`))
	f.Add([]byte(`{"schema_version":1,"window":{"start":"2026-11-27T22:55:00Z","end":"2026-11-27T23:00:00Z"},"evidence":[{"observer":"x","statistic":"psi","value":1,"threshold":0.2,"unit":"1","samples":3,"flagged":true,"reference":{"start":"0001-01-01T00:00:00Z","end":"0001-01-01T00:00:00.000000001Z"}}]}`))
	f.Add([]byte(`{"schema_version":1,"window":{"start":"2026-11-27T22:55:00Z","end":"2026-11-27T23:00:00Z"},"evidence":[{"observer":"x","statistic":"p99","value":1e308,"threshold":-0,"unit":"ms","samples":9.2e18,"flagged":false}]}`))
	f.Add([]byte(`{"schema_version":1.0,"window":{"start":"0000-01-01T00:00:00.0000000001Z","end":"9999-12-31T23:59:59.999999999+14:00"},"evidence":[]}`))
	f.Add([]byte(`{"schema_version":1,"window":{"start":"2026-11-27T22:55:00Z","end":"2026-11-27T23:00:00Z"},"evidence":[{"observer":"x","statistic":"p99","value":5,"lower":0,"upper":5,"threshold":100,"unit":"ms","samples":3,"flagged":false}]}`))
	f.Add([]byte(`{"schema_version":1,"window":{"start":"0000-01-01T00:00:00+01:00","end":"2026-11-27T23:00:00Z"},"evidence":[{"observer":"x","statistic":"p99","value":5,"lower":6,"upper":5,"threshold":100,"unit":"ms","samples":3,"flagged":false}]}`))
	f.Add([]byte(`[1,"a",null,{"x":[]}]`))

	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var raw any
		if dec.Decode(&raw) != nil {
			return // not JSON: nothing to decode
		}
		res, lr := appendOne(t, designJob())
		if err := lr.Body().FromRaw(fromJSON(raw)); err != nil {
			return // not representable as a record body
		}

		j, err := Decode(res, lr)
		if err != nil {
			return
		}
		// Whatever Decode accepts must survive both encodings unchanged.
		res2, lr2 := appendOne(t, j)
		again, err := Decode(res2, lr2)
		require.NoError(t, err)
		require.Equal(t, j, again)
		body, err := json.Marshal(j)
		require.NoError(t, err)
		var fromBody Job
		require.NoError(t, json.Unmarshal(body, &fromBody))
		require.Equal(t, j, fromBody)
	})
}

// fromJSON turns json.Number into int64 when whole, float64 otherwise, as pdata producers would.
func fromJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		f, _ := t.Float64()
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = fromJSON(e)
		}
	case []any:
		for i, e := range t {
			t[i] = fromJSON(e)
		}
	}
	return v
}
