package modelpartitionerextension // import "github.com/visutility/otelcol-retrain/modelpartitionerextension"

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/visutility/otelcol-retrain/modelpartitionerextension/internal/metadata"
)

// modelPartitioner is the extension: it holds the partitioner and its counters. It satisfies
// the kafka exporter's RecordPartitionerExtension (component.Component plus GetPartitioner).
type modelPartitioner struct {
	partitioner *partitioner
	telemetry   *metadata.TelemetryBuilder
}

var _ extension.Extension = (*modelPartitioner)(nil)

func newExtension(cfg *Config, set extension.Settings) (*modelPartitioner, error) {
	st := newStats(set.Logger, cfg)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	if err := tb.RegisterModelPartitionerRecordsCallback(st.observeCounts); err != nil {
		tb.Shutdown()
		return nil, err
	}
	return &modelPartitioner{
		partitioner: &partitioner{
			walker: walker{modelKey: cfg.ModelAttribute, versionKey: cfg.VersionAttribute},
			stats:  st,
		},
		telemetry: tb,
	}, nil
}

// GetPartitioner returns the partitioner the kafka exporter gives its franz-go client
// (record_partitioner: extension: model_partitioner). Every exporter using the extension shares
// its counters.
func (e *modelPartitioner) GetPartitioner() kgo.Partitioner { return e.partitioner }

func (*modelPartitioner) Start(context.Context, component.Host) error { return nil }

func (e *modelPartitioner) Shutdown(context.Context) error {
	e.telemetry.Shutdown()
	return nil
}
