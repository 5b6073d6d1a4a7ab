package job

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValidateIsWhatBothEncodingsAccept: for each job, Validate's verdict is that of a record round
// trip (Append, Decode) and of a JSON round trip (MarshalJSON, UnmarshalJSON). A valid job comes
// back unchanged. MarshalJSON refuses an invalid one with Validate's error, and the decoders reject
// it with that error wherever the encoding can hold the bad value; where it cannot (JSON holds no
// NaN, a record no timestamp before 1970, neither a year past 9999 nor bounds without Bounded) the
// round trip does not give back the job either.
func TestValidateIsWhatBothEncodingsAccept(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	latency := func(f func(e *Evidence)) func(j *Job) { return func(j *Job) { f(&j.Evidence[0]) } }
	accuracy := func(f func(e *Evidence)) func(j *Job) { return func(j *Job) { f(&j.Evidence[1]) } }
	tests := []struct {
		name    string
		mutate  func(j *Job)
		wantErr string // "" for a valid job
		notIn   string // "record", "json" or both: the encodings that cannot hold the bad value
	}{
		{name: "the_design_job", mutate: func(*Job) {}},
		{name: "an_upper_bound_of_inf", mutate: latency(func(e *Evidence) { e.Upper = inf })},
		{name: "a_point_estimate", mutate: latency(func(e *Evidence) { e.Lower, e.Upper = e.Value, e.Value })},
		{name: "bounds_of_zero", mutate: latency(func(e *Evidence) { e.Value, e.Lower, e.Upper = 0, 0, 0 })},
		{name: "no_evidence_reasons_version_or_resource", mutate: func(j *Job) {
			j.Evidence, j.Reasons, j.ModelVersion, j.Resource = nil, nil, "", nil
		}},
		{name: "an_empty_window", mutate: func(j *Job) { j.WindowStart = j.WindowEnd }},
		{name: "the_earliest_window", mutate: func(j *Job) { j.WindowStart = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{name: "the_last_record_timestamp", mutate: func(j *Job) { j.RequestedAt = maxRequestedAt }},
		{name: "a_reference", mutate: accuracy(func(e *Evidence) { e.ReferenceStart, e.ReferenceEnd = referenceStart, referenceEnd })},
		{name: "a_reference_of_one_nanosecond", mutate: latency(func(e *Evidence) {
			e.ReferenceStart, e.ReferenceEnd = referenceStart, referenceStart.Add(time.Nanosecond)
		})},
		{name: "the_widest_reference", mutate: accuracy(func(e *Evidence) {
			e.ReferenceStart = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
			e.ReferenceEnd = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
		})},

		{name: "empty_id", mutate: func(j *Job) { j.ID = "" }, wantErr: "id: empty"},
		{name: "empty_model_id", mutate: func(j *Job) { j.ModelID = "" }, wantErr: "model_id: empty"},
		{name: "requested_at_unset", mutate: func(j *Job) { j.RequestedAt = time.Time{} }, notIn: "record",
			wantErr: "requested_at: 0001-01-01T00:00:00Z is outside the record timestamp range 1970-01-01T00:00:00.000000001Z to 2262-04-11T23:47:16.854775807Z"},
		{name: "requested_at_the_epoch", mutate: func(j *Job) { j.RequestedAt = time.Unix(0, 0).UTC() }, notIn: "record",
			wantErr: "requested_at: 1970-01-01T00:00:00Z is outside the record timestamp range"},
		{name: "requested_at_past_2262", mutate: func(j *Job) { j.RequestedAt = maxRequestedAt.Add(time.Nanosecond) }, notIn: "record",
			wantErr: "requested_at: 2262-04-11T23:47:16.854775808Z is outside the record timestamp range"},
		{name: "window_end_in_year_10000", mutate: func(j *Job) { j.WindowEnd = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, notIn: "record json",
			wantErr: "window.end: year 10000 is outside RFC 3339's 0000-9999"},
		{name: "window_start_before_year_0_in_utc", mutate: func(j *Job) {
			j.WindowStart = time.Date(0, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600))
		}, notIn: "record json", wantErr: "window.start: year -1 is outside RFC 3339's 0000-9999"},
		{name: "window_reversed", mutate: func(j *Job) { j.WindowStart = j.WindowEnd.Add(time.Second) },
			wantErr: "window: end 2026-11-27T23:00:00Z is before start 2026-11-27T23:00:01Z"},
		{name: "value_nan", mutate: latency(func(e *Evidence) { e.Value = nan }), notIn: "json",
			wantErr: "evidence[0] (latency_sla): value NaN is not finite"},
		{name: "value_inf", mutate: accuracy(func(e *Evidence) { e.Value = inf }), notIn: "json",
			wantErr: "evidence[1] (accuracy_drift): value +Inf is not finite"},
		{name: "threshold_nan", mutate: accuracy(func(e *Evidence) { e.Threshold = nan }), notIn: "json",
			wantErr: "evidence[1] (accuracy_drift): threshold NaN is not finite"},
		{name: "lower_inf", mutate: latency(func(e *Evidence) { e.Lower, e.Value, e.Upper = inf, inf, inf }), notIn: "json",
			wantErr: "evidence[0] (latency_sla): value +Inf is not finite"},
		{name: "lower_minus_inf", mutate: latency(func(e *Evidence) { e.Lower = math.Inf(-1) }), notIn: "json",
			wantErr: "evidence[0] (latency_sla): lower -Inf is not finite"},
		{name: "upper_nan", mutate: latency(func(e *Evidence) { e.Upper = nan }), notIn: "json",
			wantErr: "evidence[0] (latency_sla): upper NaN is neither finite nor +Inf"},
		{name: "upper_minus_inf", mutate: latency(func(e *Evidence) { e.Upper = math.Inf(-1) }), notIn: "json",
			wantErr: "evidence[0] (latency_sla): upper -Inf is neither finite nor +Inf"},
		{name: "value_below_lower", mutate: latency(func(e *Evidence) { e.Lower = 160 }),
			wantErr: "evidence[0] (latency_sla): value 153.2 is outside its bounds [160, 250]"},
		{name: "value_above_upper", mutate: latency(func(e *Evidence) { e.Upper = 150 }),
			wantErr: "evidence[0] (latency_sla): value 153.2 is outside its bounds [100, 150]"},
		{name: "bounds_without_bounded", mutate: accuracy(func(e *Evidence) { e.Lower, e.Upper = 0.7, 0.8 }), notIn: "record json",
			wantErr: "evidence[1] (accuracy_drift): lower 0.7 and upper 0.8 are set but Bounded is not"},
		{name: "reference_start_only", mutate: accuracy(func(e *Evidence) { e.ReferenceStart = referenceStart }),
			wantErr: "evidence[1] (accuracy_drift): reference: start 2026-11-27T21:55:00Z is set but end is not"},
		{name: "reference_end_only", mutate: latency(func(e *Evidence) { e.ReferenceEnd = referenceEnd }),
			wantErr: "evidence[0] (latency_sla): reference: end 2026-11-27T22:55:00Z is set but start is not"},
		{name: "reference_reversed", mutate: accuracy(func(e *Evidence) { e.ReferenceStart, e.ReferenceEnd = referenceEnd, referenceStart }),
			wantErr: "evidence[1] (accuracy_drift): reference: end 2026-11-27T21:55:00Z is not after start 2026-11-27T22:55:00Z"},
		{name: "reference_of_no_time", mutate: accuracy(func(e *Evidence) { e.ReferenceStart, e.ReferenceEnd = referenceEnd, referenceEnd }),
			wantErr: "evidence[1] (accuracy_drift): reference: end 2026-11-27T22:55:00Z is not after start 2026-11-27T22:55:00Z"},
		{name: "reference_end_in_year_10000", mutate: accuracy(func(e *Evidence) {
			e.ReferenceStart, e.ReferenceEnd = referenceStart, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		}), notIn: "record json", wantErr: "evidence[1] (accuracy_drift): reference.end: year 10000 is outside RFC 3339's 0000-9999"},
		{name: "reference_start_before_year_0_in_utc", mutate: accuracy(func(e *Evidence) {
			e.ReferenceStart, e.ReferenceEnd = time.Date(0, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), referenceEnd
		}), notIn: "record json", wantErr: "evidence[1] (accuracy_drift): reference.start: year -1 is outside RFC 3339's 0000-9999"},
		// Bounds are judged before the reference.
		{name: "reference_reversed_and_value_above_upper", mutate: latency(func(e *Evidence) {
			e.Upper, e.ReferenceStart, e.ReferenceEnd = 150, referenceEnd, referenceStart
		}), wantErr: "evidence[0] (latency_sla): value 153.2 is outside its bounds [100, 150]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := designJob()
			tt.mutate(&j)
			verr := j.Validate()
			if tt.wantErr == "" {
				require.NoError(t, verr)
			} else {
				require.Error(t, verr)
				assert.ErrorContains(t, verr, tt.wantErr)
			}

			t.Run("record", func(t *testing.T) {
				res, lr := appendOne(t, j)
				got, err := Decode(res, lr)
				switch {
				case verr == nil:
					require.NoError(t, err)
					assert.Equal(t, j, got)
				case strings.Contains(tt.notIn, "record"):
					if err == nil {
						assert.NotEqual(t, j, got)
					}
				default:
					assert.EqualError(t, err, withPrefix("decode job", j.ID, verr))
				}
			})

			t.Run("json", func(t *testing.T) {
				body, err := j.MarshalJSON()
				if verr == nil {
					require.NoError(t, err)
					var got Job
					require.NoError(t, json.Unmarshal(body, &got))
					assert.Equal(t, j, got)
					return
				}
				assert.EqualError(t, err, fmt.Sprintf("marshal job %q: %s", j.ID, verr))
				if strings.Contains(tt.notIn, "json") {
					return
				}
				// What another producer could send: the body without MarshalJSON's check.
				got := Job{ID: "untouched"}
				err = json.Unmarshal(uncheckedJSON(t, j), &got)
				assert.EqualError(t, err, withPrefix("unmarshal job", j.ID, verr))
				assert.Equal(t, Job{ID: "untouched"}, got)
			})
		})
	}
}

// withPrefix is how Decode and UnmarshalJSON wrap an error: with the job id when there is one.
func withPrefix(op, id string, err error) string {
	if id == "" {
		return fmt.Sprintf("%s: %s", op, err)
	}
	return fmt.Sprintf("%s %q: %s", op, id, err)
}

// uncheckedJSON renders j's webhook body as MarshalJSON would, without validating it. Its numbers
// must be finite (or an upper bound of +Inf). A reference is rendered when either of its times is set.
func uncheckedJSON(t *testing.T, j Job) []byte {
	t.Helper()
	evidence := []any{}
	for _, e := range j.Evidence {
		m := map[string]any{
			"observer": e.Observer, "statistic": e.Statistic, "value": e.Value, "threshold": e.Threshold,
			"unit": e.Unit, "samples": e.Samples, "flagged": e.Flagged,
		}
		if e.Bounded {
			m["lower"], m["upper"] = e.Lower, e.Upper
			if math.IsInf(e.Upper, 1) {
				m["upper"] = nil
			}
		}
		if !e.ReferenceStart.IsZero() || !e.ReferenceEnd.IsZero() {
			m["reference"] = map[string]any{"start": formatTime(e.ReferenceStart), "end": formatTime(e.ReferenceEnd)}
		}
		evidence = append(evidence, m)
	}
	body := map[string]any{
		"schema_version": SchemaVersion, "id": j.ID, "type": EventName, "model_id": j.ModelID,
		"reasons": append([]string{}, j.Reasons...), "strategy": j.Strategy,
		"requested_at": formatTime(j.RequestedAt),
		"window":       map[string]any{"start": formatTime(j.WindowStart), "end": formatTime(j.WindowEnd)},
		"evidence":     evidence, "resource": map[string]any{},
	}
	if j.ModelVersion != "" {
		body["model_version"] = j.ModelVersion
	}
	if j.Resource != nil {
		body["resource"] = j.Resource
	}
	b, err := json.Marshal(body)
	require.NoError(t, err)
	return b
}
