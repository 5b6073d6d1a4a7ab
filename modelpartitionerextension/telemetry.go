package modelpartitionerextension // import "github.com/visutility/otelcol-retrain/modelpartitionerextension"

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// stats counts the records per outcome in atomic counters, which the observable counter
// otelcol_model_partitioner_records reads at each collection: counting a record is one atomic
// add, with no attribute set to build and nothing allocated.
type stats struct {
	counts [numOutcomes]paddedCount
	warned [numOutcomes]atomic.Bool
	// observe holds the outcome attribute of each counter, built once.
	observe [numOutcomes][]metric.ObserveOption

	logger               *zap.Logger
	modelKey, versionKey string
	warnedMoreResources  atomic.Bool
}

// paddedCount keeps each counter on its own cache line: collectors partition from several
// goroutines (one per topic), and most records land on the model counter.
type paddedCount struct {
	atomic.Int64
	_ [56]byte
}

func newStats(logger *zap.Logger, cfg *Config) *stats {
	s := &stats{logger: logger, modelKey: cfg.ModelAttribute, versionKey: cfg.VersionAttribute}
	for o := range numOutcomes {
		s.observe[o] = []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", o.String())))}
	}
	return s
}

// record counts one record and, the first time each kind of fallback happens, logs it.
func (s *stats) record(f found) {
	s.counts[f.outcome].Add(1)
	if f.outcome != outcomeModel && !s.warned[f.outcome].Load() && s.warned[f.outcome].CompareAndSwap(false, true) {
		s.warn(f.outcome)
	}
	if f.moreResources && !s.warnedMoreResources.Load() && s.warnedMoreResources.CompareAndSwap(false, true) {
		s.logger.Warn("A Kafka record holds more than one resource; its partition comes from the first resource's model alone. "+
			"Set partition_metrics_by_resource_attributes (or partition_logs_by_resource_attributes) to true on the kafka exporter. "+
			"Logged once.",
			zap.String("model_attribute", s.modelKey))
	}
}

func (s *stats) warn(o outcome) {
	const tail = "Partitioning by the record key instead, as the exporter's default partitioner does; " +
		"otelcol_model_partitioner_records counts these records by outcome. Logged once."
	switch o {
	case outcomeNoAttribute:
		s.logger.Warn("A Kafka record's resource has no "+s.modelKey+" attribute (or an empty one). "+tail,
			zap.String("model_attribute", s.modelKey), zap.String("outcome", o.String()))
	case outcomeNotString:
		s.logger.Warn("A Kafka record's "+s.modelKey+" attribute is neither a string nor an int. "+tail,
			zap.String("model_attribute", s.modelKey), zap.String("outcome", o.String()))
	case outcomeMalformed:
		s.logger.Warn("A Kafka record's value is not an OTLP protobuf request (is the exporter's encoding otlp_proto?), "+
			"so its "+s.modelKey+" attribute cannot be read. "+tail,
			zap.String("model_attribute", s.modelKey), zap.String("outcome", o.String()))
	}
}

// observeCounts is the callback of the observable counter.
func (s *stats) observeCounts(_ context.Context, o metric.Int64Observer) error {
	for i := range s.counts {
		o.Observe(s.counts[i].Load(), s.observe[i]...)
	}
	return nil
}
