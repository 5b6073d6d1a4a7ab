package modelpartitionerextension

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/visutility/otelcol-retrain/modelpartitionerextension/internal/metadata"
)

// The extension is what the kafka exporter looks for under record_partitioner: extension.
var _ kafkaexporter.RecordPartitionerExtension = (*modelPartitioner)(nil)

// extensionHost provides the extensions to the exporter, as the collector's service does.
type extensionHost struct {
	extensions map[component.ID]component.Component
}

func (h extensionHost) GetExtensions() map[component.ID]component.Component { return h.extensions }

// Through contrib's kafka exporter against a kfake cluster: the pods of one model land on one
// partition, the model's, although the exporter keys each pod's records differently.
func TestThroughTheKafkaExporter(t *testing.T) {
	const (
		topic      = "otlp_metrics"
		partitions = 12
		pods       = 6
	)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	require.NoError(t, err)
	defer cluster.Close()

	extID := component.NewID(metadata.Type)
	ext, err := NewFactory().Create(context.Background(), extensionSettings(), createDefaultConfig())
	require.NoError(t, err)
	host := extensionHost{extensions: map[component.ID]component.Component{extID: ext}}
	require.NoError(t, ext.Start(context.Background(), host))
	defer func() { require.NoError(t, ext.Shutdown(context.Background())) }()

	factory := kafkaexporter.NewFactory()
	cfg := factory.CreateDefaultConfig().(*kafkaexporter.Config)
	cfg.ClientConfig.Brokers = cluster.ListenAddrs()
	cfg.ClientConfig.ProtocolVersion = "2.3.0" // topic names in produce requests, which kfake reads back
	cfg.Metrics.Topic = topic
	cfg.PartitionMetricsByResourceAttributes = true
	cfg.RecordPartitioner = kafkaexporter.RecordPartitionerConfig{Extension: &extID}
	cfg.QueueBatchConfig = configoptional.None[exporterhelper.QueueBatchConfig]() // sent when ConsumeMetrics returns
	require.NoError(t, cfg.Validate())
	exp, err := factory.CreateMetrics(context.Background(), exportertest.NewNopSettings(factory.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), host))

	// Two models on different partitions, so the test shows that models are told apart.
	modelA, modelB := "fraud-detector", ""
	for i := 0; modelB == ""; i++ {
		if m := fmt.Sprintf("churn-%d", i); wantModelPartition(m, "3", partitions) != wantModelPartition(modelA, "3", partitions) {
			modelB = m
		}
	}
	md := pmetric.NewMetrics()
	for _, model := range []string{modelA, modelB} {
		for i := range pods {
			rm := md.ResourceMetrics().AppendEmpty()
			putAttrs(rm.Resource().Attributes(), pod(model, "3", i))
			rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetName("ml.model.predictions")
			rm.ScopeMetrics().At(0).Metrics().At(0).SetEmptySum().DataPoints().AppendEmpty().SetIntValue(int64(i))
		}
	}
	require.NoError(t, exp.ConsumeMetrics(context.Background(), md))
	require.NoError(t, exp.Shutdown(context.Background()))

	consumer, err := kgo.NewClient(
		kgo.SeedBrokers(cluster.ListenAddrs()...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	require.NoError(t, err)
	defer consumer.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var records []*kgo.Record
	for len(records) < 2*pods {
		fetches := consumer.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "got %d records", len(records))
		fetches.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		records = append(records, fetches.Records()...)
	}
	require.Len(t, records, 2*pods)

	partitionsOf := map[string]map[int32]bool{}
	stickyOf := map[string]map[int]bool{}
	for _, r := range records {
		md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(r.Value)
		require.NoError(t, err)
		require.Equal(t, 1, md.ResourceMetrics().Len(), "one resource per record")
		v, ok := md.ResourceMetrics().At(0).Resource().Attributes().Get(modelAttr)
		require.True(t, ok)
		if partitionsOf[v.Str()] == nil {
			partitionsOf[v.Str()], stickyOf[v.Str()] = map[int32]bool{}, map[int]bool{}
		}
		partitionsOf[v.Str()][r.Partition] = true
		stickyOf[v.Str()][saramaCompatHasher(r.Key, partitions)] = true
	}
	assert.Equal(t, map[int32]bool{int32(wantModelPartition(modelA, "3", partitions)): true}, partitionsOf[modelA])
	assert.Equal(t, map[int32]bool{int32(wantModelPartition(modelB, "3", partitions)): true}, partitionsOf[modelB])
	// The exporter's default would have spread each model's pods by their keys.
	assert.Greater(t, len(stickyOf[modelA]), 1)
	assert.Greater(t, len(stickyOf[modelB]), 1)
	assert.Equal(t, int64(2*pods), ext.(*modelPartitioner).partitioner.stats.counts[outcomeModel].Load())
}
