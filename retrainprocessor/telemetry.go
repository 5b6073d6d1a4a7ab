package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Attribute sets of the decision and outbox counters (metadata.yaml), built once so recording
// them allocates nothing.
var (
	droppedOutboxFull  = attrs("reason", "outbox_full")
	droppedShutdown    = attrs("reason", "shutdown")
	droppedInvalid     = attrs("reason", "invalid")
	droppedUndecodable = attrs("reason", "undecodable")

	stateRead    = attrs("operation", "read")
	stateDecode  = attrs("operation", "decode")
	stateWrite   = attrs("operation", "write")
	stateTimeout = attrs("operation", "timeout")
)

func attrs(key, value string) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(key, value)))}
}
