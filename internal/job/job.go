package job

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"time"
)

// EventName is the log record event name (and the webhook body "type") of a RetrainJob.
const EventName = "ml.model.retrain_requested"

// SchemaVersion is the version of the record body and of the webhook body.
const SchemaVersion = 1

// Attribute keys of a RetrainJob log record.
const (
	AttrJobID        = "retrain.job.id"
	AttrModelID      = "ml.model.id"
	AttrModelVersion = "ml.model.version" // only present when the version is known
	AttrReasons      = "retrain.reasons"  // []string, on the record so log backends can query it
	AttrStrategy     = "retrain.strategy"
)

var (
	// ErrNotJob is returned by Decode for a record whose event name is not EventName.
	ErrNotJob = errors.New("not a retrain job")
	// ErrUnsupportedSchema is returned when schema_version is absent or not SchemaVersion.
	ErrUnsupportedSchema = errors.New("unsupported schema version")
)

// Evidence is what one observer measured over the window. Its JSON form is MarshalJSON's.
type Evidence struct {
	Observer  string  // latency_sla, accuracy_drift, throughput_floor, ...
	Statistic string  // p99, mean, rate
	Value     float64 // in Unit
	// Lower and Upper bound a bucket-based estimate (Bounded): the bucket the value comes from, so
	// the true statistic lies in [Lower, Upper]. Upper is +Inf for an explicit histogram's overflow
	// bucket. Both are 0 when not Bounded.
	Lower, Upper float64
	Bounded      bool
	Threshold    float64
	Unit         string // ms, 1, /s
	Samples      uint64 // the observations, readings or points the statistic rests on
	Flagged      bool
	// ReferenceStart and ReferenceEnd bound the window the statistic compares against
	// (prediction_drift's reference); both zero when the statistic compares with nothing.
	ReferenceStart, ReferenceEnd time.Time
}

// Job is a request to retrain one model.
//
// Decode and UnmarshalJSON return nil for an empty Reasons, Evidence or Resource; Append and
// MarshalJSON treat nil and empty alike.
type Job struct {
	ID           string
	ModelID      string
	ModelVersion string    // "" when unknown
	Reasons      []string  // observers that flagged
	Strategy     string    // any | majority | all
	RequestedAt  time.Time // evaluation time (UTC)
	WindowStart  time.Time
	WindowEnd    time.Time
	Evidence     []Evidence     // every enabled observer that did not abstain, flagged or not
	Resource     map[string]any // the model's resource attributes as received (pcommon.Map.AsRaw)
}

// NewID derives the deterministic job id from model, version and evaluation time, so two collectors
// evaluating the same window agree and a trainer can deduplicate.
//
// The id is the lowercase hex of the first 16 bytes of SHA-256 over
//
//	uint64_be(len(model)) || model || uint64_be(len(version)) || version || int64_be(at.UTC().UnixNano())
//
// (lengths in bytes). It is 32 characters of [0-9a-f]: a valid Airflow dag_run_id, Argo workflow
// name and Kubernetes label value.
func NewID(model, version string, at time.Time) string {
	buf := make([]byte, 0, 8+len(model)+8+len(version)+8)
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(model)))
	buf = append(buf, model...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(version)))
	buf = append(buf, version...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(at.UTC().UnixNano()))
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:16])
}
