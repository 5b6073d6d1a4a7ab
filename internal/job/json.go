package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// wireJob is the default webhook body; field order is the order of the README's example.
type wireJob struct {
	SchemaVersion int            `json:"schema_version"`
	ID            string         `json:"id"`
	Type          string         `json:"type"`
	ModelID       string         `json:"model_id"`
	ModelVersion  string         `json:"model_version,omitempty"`
	Reasons       []string       `json:"reasons"`
	Strategy      string         `json:"strategy"`
	RequestedAt   string         `json:"requested_at"`
	Window        wireWindow     `json:"window"`
	Evidence      []Evidence     `json:"evidence"`
	Resource      map[string]any `json:"resource"`
}

type wireWindow struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// MarshalJSON renders the default webhook body (the README's "The RetrainJob"):
//
//	{"schema_version":1,"id":…,"type":"ml.model.retrain_requested","model_id":…,"model_version":…,
//	 "reasons":[…],"strategy":…,"requested_at":…,"window":{"start":…,"end":…},"evidence":[…],"resource":{…}}
//
// model_version is omitted when unknown (""). Times are RFC 3339 with nanoseconds, in UTC. Empty
// reasons and evidence render as [] and an empty resource as {}; evidence renders as
// Evidence.MarshalJSON does. A job that fails Validate is an error with Validate's message, and so
// is a NaN or infinite number in the resource, which JSON cannot carry.
func (j Job) MarshalJSON() ([]byte, error) {
	if err := j.Validate(); err != nil {
		return nil, fmt.Errorf("marshal job %q: %w", j.ID, err)
	}
	if path, ok := nonFinite(j.Resource, "resource"); ok {
		return nil, fmt.Errorf("marshal job %q: %s is not finite", j.ID, path)
	}
	w := wireJob{
		SchemaVersion: SchemaVersion,
		ID:            j.ID,
		Type:          EventName,
		ModelID:       j.ModelID,
		ModelVersion:  j.ModelVersion,
		Reasons:       j.Reasons,
		Strategy:      j.Strategy,
		RequestedAt:   formatTime(j.RequestedAt),
		Window:        wireWindow{Start: formatTime(j.WindowStart), End: formatTime(j.WindowEnd)},
		Evidence:      j.Evidence,
		Resource:      j.Resource,
	}
	if w.Reasons == nil {
		w.Reasons = []string{}
	}
	if w.Evidence == nil {
		w.Evidence = []Evidence{}
	}
	if w.Resource == nil {
		w.Resource = map[string]any{}
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("marshal job %q: %w", j.ID, err)
	}
	return b, nil
}

// wireEvidenceOut is an evidence of the webhook body.
type wireEvidenceOut struct {
	Observer  string          `json:"observer"`
	Statistic string          `json:"statistic"`
	Value     float64         `json:"value"`
	Lower     *float64        `json:"lower,omitempty"`
	Upper     json.RawMessage `json:"upper,omitempty"` // null for +Inf
	Threshold float64         `json:"threshold"`
	Unit      string          `json:"unit"`
	Samples   uint64          `json:"samples"`
	Flagged   bool            `json:"flagged"`
	Reference *wireWindow     `json:"reference,omitempty"`
}

// MarshalJSON renders the evidence of the webhook body:
//
//	{"observer":…,"statistic":…,"value":…,"lower":…,"upper":…,"threshold":…,"unit":…,"samples":…,"flagged":…,
//	 "reference":{"start":…,"end":…}}
//
// lower and upper are present only when Bounded; an upper bound of +Inf (an explicit histogram's
// overflow bucket) renders as null. reference is present only when the evidence has one
// (ReferenceStart and ReferenceEnd not both zero), its times formatted as the job's window.
// Evidence that Validate would reject is an error.
func (e Evidence) MarshalJSON() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("marshal evidence (%s): %w", e.Observer, err)
	}
	w := wireEvidenceOut{
		Observer:  e.Observer,
		Statistic: e.Statistic,
		Value:     e.Value,
		Threshold: e.Threshold,
		Unit:      e.Unit,
		Samples:   e.Samples,
		Flagged:   e.Flagged,
	}
	if e.hasReference() {
		w.Reference = &wireWindow{Start: formatTime(e.ReferenceStart), End: formatTime(e.ReferenceEnd)}
	}
	if e.Bounded {
		w.Lower = &e.Lower
		w.Upper = json.RawMessage("null")
		if !math.IsInf(e.Upper, 1) {
			upper, err := json.Marshal(e.Upper) // formatted as every other number of the body
			if err != nil {
				return nil, fmt.Errorf("marshal evidence (%s): %w", e.Observer, err)
			}
			w.Upper = upper
		}
	}
	return json.Marshal(w)
}

// UnmarshalJSON parses an evidence as MarshalJSON renders it; Job.UnmarshalJSON reads its evidence
// the same way.
func (e *Evidence) UnmarshalJSON(data []byte) error {
	var w wireEvidence
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("unmarshal evidence: %w", err)
	}
	ev, err := w.evidence("evidence")
	if err == nil {
		err = ev.validate()
	}
	if err != nil {
		return fmt.Errorf("unmarshal evidence: %w", err)
	}
	*e = ev
	return nil
}

// nonFinite finds a NaN or infinite float in a raw attribute value and returns its path.
func nonFinite(v any, path string) (string, bool) {
	switch t := v.(type) {
	case float64:
		return path + " = " + strconv.FormatFloat(t, 'g', -1, 64), math.IsNaN(t) || math.IsInf(t, 0)
	case float32:
		return nonFinite(float64(t), path)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys) // report the same key every time
		for _, k := range keys {
			if p, ok := nonFinite(t[k], fmt.Sprintf("%s[%q]", path, k)); ok {
				return p, true
			}
		}
	case []any:
		for i, e := range t {
			if p, ok := nonFinite(e, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	}
	return "", false
}

// wireJobIn tells absent keys from zero values.
type wireJobIn struct {
	ID           *string         `json:"id"`
	Type         *string         `json:"type"`
	ModelID      *string         `json:"model_id"`
	ModelVersion *string         `json:"model_version"`
	Reasons      *[]string       `json:"reasons"`
	Strategy     *string         `json:"strategy"`
	RequestedAt  *string         `json:"requested_at"`
	Window       *wireWindowIn   `json:"window"`
	Evidence     *[]wireEvidence `json:"evidence"`
	Resource     json.RawMessage `json:"resource"`
}

type wireWindowIn struct {
	Start *string `json:"start"`
	End   *string `json:"end"`
}

type wireEvidence struct {
	Observer  *string         `json:"observer"`
	Statistic *string         `json:"statistic"`
	Value     *float64        `json:"value"`
	Lower     json.RawMessage `json:"lower"` // raw: absent and null differ
	Upper     json.RawMessage `json:"upper"`
	Threshold *float64        `json:"threshold"`
	Unit      *string         `json:"unit"`
	Samples   *uint64         `json:"samples"`
	Flagged   *bool           `json:"flagged"`
	Reference *wireWindowIn   `json:"reference"`
}

// UnmarshalJSON parses a webhook body as MarshalJSON renders it. Unknown keys are ignored (also
// inside window and reference); every known key is required except model_version, an evidence's
// lower and upper, which come together or not at all, and an evidence's reference, whose start and
// end are then both required (a null model_version or reference counts as absent). The job must
// then pass Validate, whose error UnmarshalJSON returns. A type other than EventName yields
// ErrNotJob and a schema_version other than SchemaVersion ErrUnsupportedSchema. Resource numbers
// become int64 when they are whole and float64 otherwise, as pdata would hold them.
func (j *Job) UnmarshalJSON(data []byte) error {
	// The schema version comes first: a newer schema may change any other field.
	var v struct {
		SchemaVersion *float64 `json:"schema_version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("unmarshal job: %w", err)
	}
	switch {
	case v.SchemaVersion == nil:
		return fmt.Errorf("unmarshal job: schema_version: missing: %w", ErrUnsupportedSchema)
	case *v.SchemaVersion != SchemaVersion:
		return fmt.Errorf("unmarshal job: schema_version: %w: got %v, want %d", ErrUnsupportedSchema, *v.SchemaVersion, SchemaVersion)
	}
	var w wireJobIn
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("unmarshal job: %w", err)
	}
	out, err := w.job()
	if err == nil {
		err = out.Validate()
	}
	if err != nil {
		if out.ID != "" {
			return fmt.Errorf("unmarshal job %q: %w", out.ID, err)
		}
		return fmt.Errorf("unmarshal job: %w", err)
	}
	*j = out
	return nil
}

func (w *wireJobIn) job() (Job, error) {
	var j Job
	if w.Type == nil {
		return j, errors.New("type: missing")
	}
	if *w.Type != EventName {
		return j, fmt.Errorf("type %q: %w", *w.Type, ErrNotJob)
	}
	var err error
	if j.ID, err = required(w.ID, "id"); err != nil {
		return j, err
	}
	if j.ModelID, err = required(w.ModelID, "model_id"); err != nil {
		return j, err
	}
	if w.ModelVersion != nil {
		j.ModelVersion = *w.ModelVersion
	}
	if w.Reasons == nil {
		return j, errors.New("reasons: missing")
	}
	if len(*w.Reasons) > 0 {
		j.Reasons = *w.Reasons
	}
	if j.Strategy, err = required(w.Strategy, "strategy"); err != nil {
		return j, err
	}
	if j.RequestedAt, err = parseTime(w.RequestedAt, "requested_at"); err != nil {
		return j, err
	}
	if w.Window == nil {
		return j, errors.New("window: missing")
	}
	if j.WindowStart, err = parseTime(w.Window.Start, "window.start"); err != nil {
		return j, err
	}
	if j.WindowEnd, err = parseTime(w.Window.End, "window.end"); err != nil {
		return j, err
	}
	if w.Evidence == nil {
		return j, errors.New("evidence: missing")
	}
	for i, e := range *w.Evidence {
		ev, err := e.evidence(fmt.Sprintf("evidence[%d]", i))
		if err != nil {
			return j, err
		}
		j.Evidence = append(j.Evidence, ev)
	}
	if j.Resource, err = resource(w.Resource); err != nil {
		return j, err
	}
	return j, nil
}

func (e wireEvidence) evidence(path string) (Evidence, error) {
	var missing string
	switch {
	case e.Observer == nil:
		missing = keyObserver
	case e.Statistic == nil:
		missing = keyStatistic
	case e.Value == nil:
		missing = keyValue
	case e.Threshold == nil:
		missing = keyThreshold
	case e.Unit == nil:
		missing = keyUnit
	case e.Samples == nil:
		missing = keySamples
	case e.Flagged == nil:
		missing = keyFlagged
	case e.Lower == nil && e.Upper != nil:
		missing = keyLower
	case e.Lower != nil && e.Upper == nil:
		missing = keyUpper
	default:
		ev := Evidence{
			Observer:  *e.Observer,
			Statistic: *e.Statistic,
			Value:     *e.Value,
			Threshold: *e.Threshold,
			Unit:      *e.Unit,
			Samples:   *e.Samples,
			Flagged:   *e.Flagged,
		}
		if e.Reference != nil {
			var err error
			if ev.ReferenceStart, err = parseTime(e.Reference.Start, path+"."+keyReference+"."+keyStart); err != nil {
				return Evidence{}, err
			}
			if ev.ReferenceEnd, err = parseTime(e.Reference.End, path+"."+keyReference+"."+keyEnd); err != nil {
				return Evidence{}, err
			}
		}
		if e.Lower == nil {
			return ev, nil
		}
		ev.Bounded = true
		if err := jsonNumber(e.Lower, &ev.Lower); err != nil {
			return Evidence{}, fmt.Errorf("%s.%s: %w", path, keyLower, err)
		}
		if string(e.Upper) == "null" {
			ev.Upper = math.Inf(1)
		} else if err := jsonNumber(e.Upper, &ev.Upper); err != nil {
			return Evidence{}, fmt.Errorf("%s.%s: %w", path, keyUpper, err)
		}
		return ev, nil
	}
	return Evidence{}, fmt.Errorf("%s.%s: missing", path, missing)
}

// jsonNumber parses a raw JSON number; null is not one.
func jsonNumber(raw json.RawMessage, f *float64) error {
	if string(raw) == "null" {
		return errors.New("want number, got null")
	}
	return json.Unmarshal(raw, f)
}

func required(s *string, path string) (string, error) {
	if s == nil {
		return "", fmt.Errorf("%s: missing", path)
	}
	return *s, nil
}

func parseTime(s *string, path string) (time.Time, error) {
	if s == nil {
		return time.Time{}, fmt.Errorf("%s: missing", path)
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	return t.UTC(), nil
}

// resource decodes the resource object with numbers typed as pdata holds them.
func resource(raw json.RawMessage) (map[string]any, error) {
	if len(raw) == 0 {
		return nil, errors.New("resource: missing")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("resource: %w", err)
	}
	if m == nil { // JSON null
		return nil, errors.New("resource: missing")
	}
	if len(m) == 0 {
		return nil, nil
	}
	for k, v := range m {
		m[k] = pdataNumbers(v)
	}
	return m, nil
}

func pdataNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if n, err := t.Int64(); err == nil {
			return n
		}
		f, _ := t.Float64() // a JSON number always parses; out-of-range ones saturate to ±Inf
		return f
	case map[string]any:
		for k, e := range t {
			t[k] = pdataNumbers(e)
		}
	case []any:
		for i, e := range t {
			t[i] = pdataNumbers(e)
		}
	}
	return v
}
