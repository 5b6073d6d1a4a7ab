package job

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Keys of the record body.
const (
	keySchemaVersion = "schema_version"
	keyWindow        = "window"
	keyStart         = "start"
	keyEnd           = "end"
	keyEvidence      = "evidence"
	keyObserver      = "observer"
	keyStatistic     = "statistic"
	keyValue         = "value"
	keyLower         = "lower"
	keyUpper         = "upper"
	keyThreshold     = "threshold"
	keyUnit          = "unit"
	keySamples       = "samples"
	keyFlagged       = "flagged"
	keyReference     = "reference"
)

// Append adds j to ld as one ResourceLogs (resource attributes = j.Resource) holding one ScopeLogs
// named scopeName with one log record:
//   - EventName = EventName, severity WARN, Timestamp and ObservedTimestamp = j.RequestedAt;
//   - attributes retrain.job.id, ml.model.id, ml.model.version (only when non-empty),
//     retrain.reasons (a slice, possibly empty) and retrain.strategy;
//   - a map body: schema_version (int), window {start, end} as RFC 3339 strings with nanoseconds in
//     UTC, and evidence, a slice of maps keyed as Evidence's JSON (lower and upper only when
//     Bounded; an upper bound of +Inf is a Double +Inf; reference {start, end}, strings as the
//     window's, only when ReferenceStart and ReferenceEnd are not both zero).
//
// Append encodes j as it is: validate it first (Validate), since Decode rejects an invalid job.
func Append(ld plog.Logs, scopeName string, j Job) {
	rl := ld.ResourceLogs().AppendEmpty()
	// Resource values come from pcommon.Map.AsRaw, so FromRaw cannot fail on them; a value of a
	// type pdata cannot hold is left empty rather than dropping the job.
	_ = rl.Resource().Attributes().FromRaw(j.Resource)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(scopeName)
	lr := sl.LogRecords().AppendEmpty()

	lr.SetEventName(EventName)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetSeverityText("WARN")
	ts := pcommon.NewTimestampFromTime(j.RequestedAt)
	lr.SetTimestamp(ts)
	lr.SetObservedTimestamp(ts)

	attrs := lr.Attributes()
	attrs.EnsureCapacity(5)
	attrs.PutStr(AttrJobID, j.ID)
	attrs.PutStr(AttrModelID, j.ModelID)
	if j.ModelVersion != "" {
		attrs.PutStr(AttrModelVersion, j.ModelVersion)
	}
	reasons := attrs.PutEmptySlice(AttrReasons)
	reasons.EnsureCapacity(len(j.Reasons))
	for _, r := range j.Reasons {
		reasons.AppendEmpty().SetStr(r)
	}
	attrs.PutStr(AttrStrategy, j.Strategy)

	body := lr.Body().SetEmptyMap()
	body.PutInt(keySchemaVersion, SchemaVersion)
	window := body.PutEmptyMap(keyWindow)
	window.PutStr(keyStart, formatTime(j.WindowStart))
	window.PutStr(keyEnd, formatTime(j.WindowEnd))
	evidence := body.PutEmptySlice(keyEvidence)
	evidence.EnsureCapacity(len(j.Evidence))
	for _, e := range j.Evidence {
		m := evidence.AppendEmpty().SetEmptyMap()
		m.PutStr(keyObserver, e.Observer)
		m.PutStr(keyStatistic, e.Statistic)
		m.PutDouble(keyValue, e.Value)
		if e.Bounded {
			m.PutDouble(keyLower, e.Lower)
			m.PutDouble(keyUpper, e.Upper)
		}
		m.PutDouble(keyThreshold, e.Threshold)
		m.PutStr(keyUnit, e.Unit)
		m.PutInt(keySamples, int64(min(e.Samples, math.MaxInt64))) // pdata has no unsigned int
		m.PutBool(keyFlagged, e.Flagged)
		if e.hasReference() {
			ref := m.PutEmptyMap(keyReference)
			ref.PutStr(keyStart, formatTime(e.ReferenceStart))
			ref.PutStr(keyEnd, formatTime(e.ReferenceEnd))
		}
	}
}

// IsJob reports whether lr is a RetrainJob, by its event name.
func IsJob(lr plog.LogRecord) bool {
	return lr.EventName() == EventName
}

// Decode rebuilds the Job from a log record and the resource it came with.
//
// Every key Append writes is required, except ml.model.version, which Append omits when unknown,
// an evidence's lower and upper, which come together or not at all, and an evidence's reference,
// whose start and end are then both required (absent, the reference times are zero). Unknown
// attributes and body keys (also inside window and reference) are ignored, so newer producers can
// add fields. Known fields must have their type, except that numbers may be stored as Int or
// Double (samples and schema_version only as whole numbers). The job must then pass Validate,
// whose error Decode returns. Errors name the field; a record that is not a job yields ErrNotJob
// and a body of another schema version ErrUnsupportedSchema.
func Decode(res pcommon.Resource, lr plog.LogRecord) (Job, error) {
	if !IsJob(lr) {
		return Job{}, fmt.Errorf("decode job: event name %q: %w", lr.EventName(), ErrNotJob)
	}
	j, err := decodeRecord(lr)
	if err == nil {
		err = j.Validate()
	}
	if err != nil {
		// Name the job when its id is readable, even if something else is wrong.
		if v, ok := lr.Attributes().Get(AttrJobID); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
			return Job{}, fmt.Errorf("decode job %q: %w", v.Str(), err)
		}
		return Job{}, fmt.Errorf("decode job: %w", err)
	}
	if attrs := res.Attributes(); attrs.Len() > 0 {
		j.Resource = attrs.AsRaw()
	}
	return j, nil
}

func decodeRecord(lr plog.LogRecord) (Job, error) {
	// The schema version comes first: a newer schema may change any other field.
	if lr.Body().Type() != pcommon.ValueTypeMap {
		return Job{}, fmt.Errorf("body: want Map, got %s", lr.Body().Type())
	}
	body := lr.Body().Map()
	if err := schemaVersion(body); err != nil {
		return Job{}, err
	}

	var (
		j   Job
		err error
	)
	attrs := lr.Attributes()
	if j.ID, err = str(attrs, AttrJobID, attrPath(AttrJobID)); err != nil {
		return Job{}, err
	}
	if j.ModelID, err = str(attrs, AttrModelID, attrPath(AttrModelID)); err != nil {
		return Job{}, err
	}
	if _, ok := attrs.Get(AttrModelVersion); ok {
		if j.ModelVersion, err = str(attrs, AttrModelVersion, attrPath(AttrModelVersion)); err != nil {
			return Job{}, err
		}
	}
	if j.Reasons, err = strs(attrs, AttrReasons, attrPath(AttrReasons)); err != nil {
		return Job{}, err
	}
	if j.Strategy, err = str(attrs, AttrStrategy, attrPath(AttrStrategy)); err != nil {
		return Job{}, err
	}
	if lr.Timestamp() == 0 {
		return Job{}, errors.New("timestamp: missing")
	}
	j.RequestedAt = lr.Timestamp().AsTime().UTC()
	if j.WindowStart, j.WindowEnd, err = window(body); err != nil {
		return Job{}, err
	}
	if j.Evidence, err = evidence(body); err != nil {
		return Job{}, err
	}
	return j, nil
}

func attrPath(key string) string { return fmt.Sprintf("attribute %q", key) }

func schemaVersion(body pcommon.Map) error {
	const path = "body." + keySchemaVersion
	v, ok := body.Get(keySchemaVersion)
	if !ok {
		return fmt.Errorf("%s: missing: %w", path, ErrUnsupportedSchema)
	}
	n, err := wholeNumber(v, path)
	if err != nil {
		return err
	}
	if n != SchemaVersion {
		return fmt.Errorf("%s: %w: got %d, want %d", path, ErrUnsupportedSchema, n, SchemaVersion)
	}
	return nil
}

func window(body pcommon.Map) (start, end time.Time, err error) {
	const path = "body." + keyWindow
	w, err := mapAt(body, keyWindow, path)
	if err != nil {
		return start, end, err
	}
	if start, err = timeAt(w, keyStart, path+"."+keyStart); err != nil {
		return start, end, err
	}
	end, err = timeAt(w, keyEnd, path+"."+keyEnd)
	return start, end, err
}

func evidence(body pcommon.Map) ([]Evidence, error) {
	const path = "body." + keyEvidence
	v, ok := body.Get(keyEvidence)
	if !ok {
		return nil, fmt.Errorf("%s: missing", path)
	}
	if v.Type() != pcommon.ValueTypeSlice {
		return nil, fmt.Errorf("%s: want Slice, got %s", path, v.Type())
	}
	s := v.Slice()
	if s.Len() == 0 {
		return nil, nil
	}
	out := make([]Evidence, s.Len())
	for i := range s.Len() {
		p := fmt.Sprintf("%s[%d]", path, i)
		ev := s.At(i)
		if ev.Type() != pcommon.ValueTypeMap {
			return nil, fmt.Errorf("%s: want Map, got %s", p, ev.Type())
		}
		m := ev.Map()
		e := &out[i]
		var err error
		if e.Observer, err = str(m, keyObserver, p+"."+keyObserver); err != nil {
			return nil, err
		}
		if e.Statistic, err = str(m, keyStatistic, p+"."+keyStatistic); err != nil {
			return nil, err
		}
		if e.Value, err = number(m, keyValue, p+"."+keyValue); err != nil {
			return nil, err
		}
		if e.Lower, e.Upper, e.Bounded, err = bounds(m, p); err != nil {
			return nil, err
		}
		if e.Threshold, err = number(m, keyThreshold, p+"."+keyThreshold); err != nil {
			return nil, err
		}
		if e.Unit, err = str(m, keyUnit, p+"."+keyUnit); err != nil {
			return nil, err
		}
		if e.Samples, err = count(m, keySamples, p+"."+keySamples); err != nil {
			return nil, err
		}
		if e.Flagged, err = boolean(m, keyFlagged, p+"."+keyFlagged); err != nil {
			return nil, err
		}
		if e.ReferenceStart, e.ReferenceEnd, err = reference(m, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// get returns m[key] if present and of type want.
func get(m pcommon.Map, key, path string, want pcommon.ValueType) (pcommon.Value, error) {
	v, ok := m.Get(key)
	if !ok {
		return v, fmt.Errorf("%s: missing", path)
	}
	if v.Type() != want {
		return v, fmt.Errorf("%s: want %s, got %s", path, want, v.Type())
	}
	return v, nil
}

func str(m pcommon.Map, key, path string) (string, error) {
	v, err := get(m, key, path, pcommon.ValueTypeStr)
	if err != nil {
		return "", err
	}
	return v.Str(), nil
}

func strs(m pcommon.Map, key, path string) ([]string, error) {
	v, err := get(m, key, path, pcommon.ValueTypeSlice)
	if err != nil {
		return nil, err
	}
	s := v.Slice()
	if s.Len() == 0 {
		return nil, nil
	}
	out := make([]string, s.Len())
	for i := range s.Len() {
		if t := s.At(i).Type(); t != pcommon.ValueTypeStr {
			return nil, fmt.Errorf("%s[%d]: want Str, got %s", path, i, t)
		}
		out[i] = s.At(i).Str()
	}
	return out, nil
}

func boolean(m pcommon.Map, key, path string) (bool, error) {
	v, err := get(m, key, path, pcommon.ValueTypeBool)
	if err != nil {
		return false, err
	}
	return v.Bool(), nil
}

func mapAt(m pcommon.Map, key, path string) (pcommon.Map, error) {
	v, err := get(m, key, path, pcommon.ValueTypeMap)
	if err != nil {
		return pcommon.Map{}, err
	}
	return v.Map(), nil
}

func timeAt(m pcommon.Map, key, path string) (time.Time, error) {
	s, err := str(m, key, path)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	return t.UTC(), nil
}

// number reads a number stored as Double or Int; Validate judges its value.
func number(m pcommon.Map, key, path string) (float64, error) {
	v, ok := m.Get(key)
	if !ok {
		return 0, fmt.Errorf("%s: missing", path)
	}
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return float64(v.Int()), nil
	case pcommon.ValueTypeDouble:
		return v.Double(), nil
	default:
		return 0, fmt.Errorf("%s: want number, got %s", path, v.Type())
	}
}

// bounds reads an evidence's lower and upper, which are both present or both absent.
func bounds(m pcommon.Map, path string) (lower, upper float64, bounded bool, err error) {
	_, hasLower := m.Get(keyLower)
	_, hasUpper := m.Get(keyUpper)
	if !hasLower && !hasUpper {
		return 0, 0, false, nil
	}
	if lower, err = number(m, keyLower, path+"."+keyLower); err != nil {
		return 0, 0, false, err
	}
	if upper, err = number(m, keyUpper, path+"."+keyUpper); err != nil {
		return 0, 0, false, err
	}
	return lower, upper, true, nil
}

// reference reads an evidence's optional reference window; absent, both times are zero.
func reference(m pcommon.Map, path string) (start, end time.Time, err error) {
	if _, ok := m.Get(keyReference); !ok {
		return start, end, nil
	}
	path += "." + keyReference
	r, err := mapAt(m, keyReference, path)
	if err != nil {
		return start, end, err
	}
	if start, err = timeAt(r, keyStart, path+"."+keyStart); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if end, err = timeAt(r, keyEnd, path+"."+keyEnd); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return start, end, nil
}

// count reads a non-negative whole number stored as Int or Double.
func count(m pcommon.Map, key, path string) (uint64, error) {
	v, ok := m.Get(key)
	if !ok {
		return 0, fmt.Errorf("%s: missing", path)
	}
	n, err := wholeNumber(v, path)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("%s: %d is negative", path, n)
	}
	return uint64(n), nil
}

// wholeNumber reads an Int, or a Double without a fractional part within the int64 range.
func wholeNumber(v pcommon.Value, path string) (int64, error) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int(), nil
	case pcommon.ValueTypeDouble:
		f := v.Double()
		// -2^63 is exact as a float64; 2^63 is the first value outside int64.
		if f != math.Trunc(f) || f < math.MinInt64 || f >= -math.MinInt64 {
			return 0, fmt.Errorf("%s: %v is not a whole number", path, f)
		}
		return int64(f), nil
	default:
		return 0, fmt.Errorf("%s: want whole number, got %s", path, v.Type())
	}
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
