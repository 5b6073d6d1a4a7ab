package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// processorKey is the attribute that carries the component ID on every measurement of the
// processor's own metrics, as processorhelper puts it on otelcol_processor_incoming_items and the
// others: `processor="retrain/x"`.
const processorKey = "processor"

// telemetryAttrs are the attribute sets of one instance's own metrics (metadata.yaml): each has
// the instance's component ID besides its own attributes. They are built once, at construction,
// and passed as slices (opts...), so recording telemetry allocates nothing: a single variadic
// option would escape into a new slice on every call.
type telemetryAttrs struct {
	idKV attribute.KeyValue // processor="<the component ID>"

	id       []metric.AddOption    // the ID alone: the metrics without attributes of their own
	idRecord []metric.RecordOption // the same for the histogram

	reason [reasonCount][]metric.ObserveOption // data_points_skipped
	signal [signalCount][]metric.ObserveOption // data_points

	droppedOutboxFull  []metric.AddOption
	droppedShutdown    []metric.AddOption
	droppedInvalid     []metric.AddOption
	droppedUndecodable []metric.AddOption

	stateRead    []metric.AddOption
	stateDecode  []metric.AddOption
	stateWrite   []metric.AddOption
	stateTimeout []metric.AddOption
}

func newTelemetryAttrs(id component.ID) *telemetryAttrs {
	a := &telemetryAttrs{idKV: attribute.String(processorKey, id.String())}
	a.id = a.with()
	a.idRecord = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(a.idKV))}
	for i, n := range reasonNames {
		a.reason[i] = a.observed(attribute.String("reason", n))
	}
	for i, n := range signalNames {
		a.signal[i] = a.observed(attribute.String("signal", n))
	}
	a.droppedOutboxFull = a.with(attribute.String("reason", "outbox_full"))
	a.droppedShutdown = a.with(attribute.String("reason", "shutdown"))
	a.droppedInvalid = a.with(attribute.String("reason", "invalid"))
	a.droppedUndecodable = a.with(attribute.String("reason", "undecodable"))
	a.stateRead = a.with(attribute.String("operation", "read"))
	a.stateDecode = a.with(attribute.String("operation", "decode"))
	a.stateWrite = a.with(attribute.String("operation", "write"))
	a.stateTimeout = a.with(attribute.String("operation", "timeout"))
	return a
}

// with is the option of the attribute set kvs plus the component ID; build it once and keep it
// (withIDs in processor.go builds the abstention sets with it).
func (a *telemetryAttrs) with(kvs ...attribute.KeyValue) []metric.AddOption {
	kvs = append(kvs[:len(kvs):len(kvs)], a.idKV)
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
}

// observed is with for the observable counters.
func (a *telemetryAttrs) observed(kvs ...attribute.KeyValue) []metric.ObserveOption {
	kvs = append(kvs[:len(kvs):len(kvs)], a.idKV)
	return []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
}
