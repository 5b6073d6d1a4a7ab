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

// wireJob is the default webhook body; field order is the order of DESIGN.md.
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

// MarshalJSON renders the default webhook body of DESIGN.md:
//
//	{"schema_version":1,"id":…,"type":"ml.model.retrain_requested","model_id":…,"model_version":…,
//	 "reasons":[…],"strategy":…,"requested_at":…,"window":{"start":…,"end":…},"evidence":[…],"resource":{…}}
//
// model_version is omitted when unknown (""). Times are RFC 3339 with nanoseconds, in UTC. Empty
// reasons and evidence render as [] and an empty resource as {}. A NaN or infinite number in the
// evidence or the resource is an error naming where it is, since JSON cannot carry it.
func (j Job) MarshalJSON() ([]byte, error) {
	for i, e := range j.Evidence {
		for _, f := range []struct {
			name  string
			value float64
		}{{keyValue, e.Value}, {keyThreshold, e.Threshold}} {
			if math.IsNaN(f.value) || math.IsInf(f.value, 0) {
				return nil, fmt.Errorf("marshal job %q: evidence[%d] (%s): %s %v is not finite", j.ID, i, e.Observer, f.name, f.value)
			}
		}
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
	Observer  *string  `json:"observer"`
	Statistic *string  `json:"statistic"`
	Value     *float64 `json:"value"`
	Threshold *float64 `json:"threshold"`
	Unit      *string  `json:"unit"`
	Samples   *uint64  `json:"samples"`
	Flagged   *bool    `json:"flagged"`
}

// UnmarshalJSON parses a webhook body as MarshalJSON renders it. Unknown keys are ignored; every
// known key is required except model_version. A type other than EventName yields ErrNotJob and a
// schema_version other than SchemaVersion ErrUnsupportedSchema. Resource numbers become int64 when
// they are whole and float64 otherwise, as pdata would hold them.
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
	if j.ID, err = required(w.ID, "id", true); err != nil {
		return j, err
	}
	if j.ModelID, err = required(w.ModelID, "model_id", true); err != nil {
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
	if j.Strategy, err = required(w.Strategy, "strategy", false); err != nil {
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
	if j.WindowEnd.Before(j.WindowStart) {
		return j, fmt.Errorf("window: end %s is before start %s", formatTime(j.WindowEnd), formatTime(j.WindowStart))
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
	default:
		return Evidence{
			Observer:  *e.Observer,
			Statistic: *e.Statistic,
			Value:     *e.Value,
			Threshold: *e.Threshold,
			Unit:      *e.Unit,
			Samples:   *e.Samples,
			Flagged:   *e.Flagged,
		}, nil
	}
	return Evidence{}, fmt.Errorf("%s.%s: missing", path, missing)
}

func required(s *string, path string, nonEmpty bool) (string, error) {
	switch {
	case s == nil:
		return "", fmt.Errorf("%s: missing", path)
	case nonEmpty && *s == "":
		return "", fmt.Errorf("%s: empty", path)
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
