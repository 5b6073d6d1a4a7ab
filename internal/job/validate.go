package job

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Times a record can carry as its timestamp: nanoseconds after the Unix epoch in an int64.
var (
	minRequestedAt = time.Unix(0, 1).UTC()
	maxRequestedAt = time.Unix(0, math.MaxInt64).UTC()
)

// Validate reports the first rule j breaks, naming the field by its webhook body key. The rules are
// what both encodings carry and both decoders accept: Decode and UnmarshalJSON reject a job that
// breaks one with this error, and MarshalJSON refuses to render it, so call Validate before Append.
//
//   - id and model_id are non-empty;
//   - requested_at lies after the Unix epoch and no later than 2262-04-11 (a record timestamp);
//   - window start and end lie within the years 0000–9999 in UTC (RFC 3339), end not before start;
//   - each evidence's value and threshold are finite; a Bounded evidence has a finite lower bound
//     and a finite or +Inf upper bound (an explicit histogram's overflow bucket), with
//     lower <= value <= upper; an evidence that is not Bounded has lower and upper 0;
//   - each evidence's reference start and end are both zero (no reference), or both set, within the
//     years 0000–9999 in UTC, with start before end.
//
// Resource attributes are carried as received and not validated; MarshalJSON rejects the NaN and
// infinite numbers among them, which JSON cannot hold.
func (j *Job) Validate() error {
	if j.ID == "" {
		return errors.New("id: empty")
	}
	if j.ModelID == "" {
		return errors.New("model_id: empty")
	}
	if j.RequestedAt.Before(minRequestedAt) || j.RequestedAt.After(maxRequestedAt) {
		return fmt.Errorf("requested_at: %s is outside the record timestamp range %s to %s",
			formatTime(j.RequestedAt), formatTime(minRequestedAt), formatTime(maxRequestedAt))
	}
	if err := rfc3339Year(j.WindowStart, "window.start"); err != nil {
		return err
	}
	if err := rfc3339Year(j.WindowEnd, "window.end"); err != nil {
		return err
	}
	if j.WindowEnd.Before(j.WindowStart) {
		return fmt.Errorf("window: end %s is before start %s", formatTime(j.WindowEnd), formatTime(j.WindowStart))
	}
	for i := range j.Evidence {
		if err := j.Evidence[i].validate(); err != nil {
			return fmt.Errorf("evidence[%d] (%s): %w", i, j.Evidence[i].Observer, err)
		}
	}
	return nil
}

func rfc3339Year(t time.Time, path string) error {
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("%s: year %d is outside RFC 3339's 0000-9999", path, y)
	}
	return nil
}

func (e *Evidence) validate() error {
	if !isFinite(e.Value) {
		return fmt.Errorf("value %v is not finite", e.Value)
	}
	if !isFinite(e.Threshold) {
		return fmt.Errorf("threshold %v is not finite", e.Threshold)
	}
	if err := e.validateBounds(); err != nil {
		return err
	}
	return e.validateReference()
}

func (e *Evidence) validateBounds() error {
	if !e.Bounded {
		if e.Lower != 0 || e.Upper != 0 {
			return fmt.Errorf("lower %v and upper %v are set but Bounded is not", e.Lower, e.Upper)
		}
		return nil
	}
	if !isFinite(e.Lower) {
		return fmt.Errorf("lower %v is not finite", e.Lower)
	}
	if !isFinite(e.Upper) && !math.IsInf(e.Upper, 1) {
		return fmt.Errorf("upper %v is neither finite nor +Inf", e.Upper)
	}
	if !(e.Lower <= e.Value && e.Value <= e.Upper) {
		return fmt.Errorf("value %v is outside its bounds [%v, %v]", e.Value, e.Lower, e.Upper)
	}
	return nil
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// hasReference reports whether the evidence carries a reference window: whether either bound is
// set. Append writes a half-set one as it is, so that Decode rejects it with Validate's error.
func (e *Evidence) hasReference() bool {
	return !e.ReferenceStart.IsZero() || !e.ReferenceEnd.IsZero()
}

func (e *Evidence) validateReference() error {
	start, end := e.ReferenceStart, e.ReferenceEnd
	switch {
	case start.IsZero() && end.IsZero():
		return nil
	case end.IsZero():
		return fmt.Errorf("reference: start %s is set but end is not", formatTime(start))
	case start.IsZero():
		return fmt.Errorf("reference: end %s is set but start is not", formatTime(end))
	}
	if err := rfc3339Year(start, "reference.start"); err != nil {
		return err
	}
	if err := rfc3339Year(end, "reference.end"); err != nil {
		return err
	}
	if !start.Before(end) {
		return fmt.Errorf("reference: end %s is not after start %s", formatTime(end), formatTime(start))
	}
	return nil
}
