package retrainexporter // import "github.com/visutility/otelcol-retrain/retrainexporter"

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// exporterKey is the attribute that carries the component ID on every measurement of the
// exporter's own metrics, as exporterhelper puts it on otelcol_exporter_sent_log_records and the
// others: `exporter="retrain/a"`.
const exporterKey = "exporter"

// telemetryAttrs are the attribute sets of one exporter's own metrics (metadata.yaml): each has
// the exporter's component ID besides its own attributes. They are built once, at construction,
// and passed as slices (opts...), so recording telemetry allocates nothing.
type telemetryAttrs struct {
	idKV attribute.KeyValue // exporter="<the component ID>"

	id       []metric.AddOption    // the ID alone: the metrics without attributes of their own
	idRecord []metric.RecordOption // the same for the histogram

	causeStatus    []metric.AddOption            // jobs_retried
	causeTransport []metric.AddOption            // jobs_retried
	failed         map[string][]metric.AddOption // jobs_failed, by reason
}

func newTelemetryAttrs(id component.ID) *telemetryAttrs {
	a := &telemetryAttrs{idKV: attribute.String(exporterKey, id.String())}
	a.id = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(a.idKV))}
	a.idRecord = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(a.idKV))}
	a.causeStatus = a.with("cause", "status")
	a.causeTransport = a.with("cause", "transport")
	a.failed = make(map[string][]metric.AddOption, len(failedReasons))
	for _, r := range failedReasons {
		a.failed[r] = a.with("reason", r)
	}
	return a
}

// with is the option of the attribute key=value plus the component ID.
func (a *telemetryAttrs) with(key, value string) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String(key, value), a.idKV))}
}

// failedBy is the attribute set of jobs_failed for reason; one of failedReasons is precomputed.
func (a *telemetryAttrs) failedBy(reason string) []metric.AddOption {
	if opts, ok := a.failed[reason]; ok {
		return opts
	}
	return a.with("reason", reason)
}
