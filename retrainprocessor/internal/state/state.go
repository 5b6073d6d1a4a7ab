// Package state is the format of the retrain processor's durable decision state: one record per
// (model, version) holding its strategy state and its outbox, and an index of the records, as
// kept in a storage extension. Records are versioned JSON: fields a reader does not know are
// ignored, and a record of a newer version is reported so the caller can skip it.
package state // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/state"

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Version is the record format this package writes. A reader skips records of a newer version.
const Version = 1

// IndexKey is the storage key of the index, the list of every record's key. A storage client
// cannot list its keys, so the index is how a starting processor finds the records.
const IndexKey = "index"

// keyPrefix starts every model record's key.
const keyPrefix = "model/"

var (
	// ErrNewerVersion is returned by decoders for data written by a newer processor.
	ErrNewerVersion = errors.New("written by a newer version")
	// ErrCorrupt is returned by decoders for data that is not a record of this format.
	ErrCorrupt = errors.New("corrupt")
)

// Key is the storage key of the record of (model, version). The model's length comes first, so
// no model and version pair shares a key with another.
func Key(model, version string) string {
	return keyPrefix + strconv.Itoa(len(model)) + "/" + model + "/" + version
}

// ParseKey returns the model and version of a record's key, or false when key is not one.
func ParseKey(key string) (model, version string, ok bool) {
	rest, found := strings.CutPrefix(key, keyPrefix)
	if !found {
		return "", "", false
	}
	n, rest, found := strings.Cut(rest, "/")
	l, err := strconv.Atoi(n)
	if !found || err != nil || l < 0 || l >= len(rest) || rest[l] != '/' || strconv.Itoa(l) != n {
		return "", "", false
	}
	return rest[:l], rest[l+1:], true
}

// Record is the durable state of one (model, version).
type Record struct {
	Version      int    `json:"v"`
	Model        string `json:"model"`
	ModelVersion string `json:"version,omitempty"`

	// The strategy state: when the vote started holding without a break, the last evaluation at
	// which it held, the end of the cooldown, and the last job fired.
	PendingSince  time.Time `json:"pending_since,omitzero"`
	HeldAt        time.Time `json:"held_at,omitzero"`
	CooldownUntil time.Time `json:"cooldown_until,omitzero"`
	LastJobID     string    `json:"last_job_id,omitempty"`
	LastJobAt     time.Time `json:"last_job_at,omitzero"`

	// Outbox holds the jobs fired for this model that a logs pipeline has not accepted yet.
	Outbox []Job `json:"outbox,omitempty"`

	// Reference is the pinned score reference of prediction_drift, once frozen.
	Reference *Reference `json:"reference,omitempty"`
}

// Reference is a pinned score histogram: explicit counts over Bounds, or exponential buckets
// (Counts[i] is bucket index Offset+i at Scale) and a zero count.
type Reference struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Seen is when its (model, version) last had scores compared with it, within a day.
	Seen        time.Time `json:"seen,omitzero"`
	Count       uint64    `json:"count"`
	Bounds      []float64 `json:"bounds,omitempty"`
	Exponential bool      `json:"exponential,omitempty"`
	Scale       int32     `json:"scale,omitempty"`
	Offset      int32     `json:"offset,omitempty"`
	Zero        uint64    `json:"zero,omitempty"`
	Counts      []uint64  `json:"counts"`
}

// check reports what makes r unusable: counts that do not add up, or do not fit the bounds.
func (r *Reference) check() error {
	total := r.Zero
	for _, c := range r.Counts {
		total += c
	}
	switch {
	case !r.Exponential && len(r.Counts) != len(r.Bounds)+1:
		return fmt.Errorf("%d counts for %d bounds", len(r.Counts), len(r.Bounds))
	case r.Exponential && len(r.Bounds) > 0:
		return errors.New("bounds in an exponential histogram")
	case total != r.Count:
		return fmt.Errorf("counts add up to %d, not %d", total, r.Count)
	case !r.End.After(r.Start):
		return fmt.Errorf("its window ends (%s) before it starts (%s)", r.End, r.Start)
	}
	return nil
}

// Job is a fired RetrainJob waiting in the outbox.
type Job struct {
	ID string `json:"id"`
	// Logs is the job's log record as OTLP protobuf (plog), handed on again as it was.
	Logs []byte `json:"logs"`
	// FiredAt is the evaluation that fired the job.
	FiredAt time.Time `json:"fired_at"`
	// Pipelines is how many logs pipelines the processor fed when the job fired; Pending lists
	// those (by position) that have not accepted it. When the number of pipelines changed
	// across a restart, every pipeline gets the job again.
	Pipelines int   `json:"pipelines"`
	Pending   []int `json:"pending"`
	// Refused is set once a pipeline refused the job, so it is counted as failed only once.
	Refused bool `json:"refused,omitempty"`
}

// header is what a reader needs to know before trusting the rest of a record.
type header struct {
	Version *int `json:"v"`
}

// Encode returns the record's bytes, stamped with Version.
func Encode(r Record) ([]byte, error) {
	r.Version = Version
	return json.Marshal(r)
}

// Decode reads a record written by Encode of this or an older version.
func Decode(b []byte) (Record, error) {
	if err := checkVersion(b); err != nil {
		return Record{}, err
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return Record{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if r.Model == "" {
		return Record{}, fmt.Errorf("%w: no model", ErrCorrupt)
	}
	for i, j := range r.Outbox {
		if j.ID == "" || len(j.Logs) == 0 {
			return Record{}, fmt.Errorf("%w: outbox[%d] has no id or no record", ErrCorrupt, i)
		}
	}
	if r.Reference != nil {
		if err := r.Reference.check(); err != nil {
			return Record{}, fmt.Errorf("%w: reference: %w", ErrCorrupt, err)
		}
	}
	return r, nil
}

func checkVersion(b []byte) error {
	var h header
	if err := json.Unmarshal(b, &h); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	switch {
	case h.Version == nil || *h.Version < 1:
		return fmt.Errorf("%w: no version", ErrCorrupt)
	case *h.Version > Version:
		return fmt.Errorf("version %d, this processor reads up to %d: %w", *h.Version, Version, ErrNewerVersion)
	}
	return nil
}

// Index lists the keys of every record in storage.
type Index struct {
	Version int      `json:"v"`
	Keys    []string `json:"keys"`
}

// EncodeIndex returns the index's bytes, stamped with Version.
func EncodeIndex(keys []string) ([]byte, error) {
	return json.Marshal(Index{Version: Version, Keys: keys})
}

// DecodeIndex reads an index written by EncodeIndex of this or an older version.
func DecodeIndex(b []byte) ([]string, error) {
	if err := checkVersion(b); err != nil {
		return nil, err
	}
	var ix Index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return ix.Keys, nil
}
