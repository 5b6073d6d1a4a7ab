package modelpartitionerextension

import (
	"context"
	"hash/fnv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/visutility/otelcol-retrain/modelpartitionerextension/internal/metadatatest"
)

// attr is one resource attribute; value is a string, an int64, a bool, a float64, []byte, or
// nil for an empty value.
type attr struct {
	key   string
	value any
}

func putAttrs(m pcommon.Map, attrs []attr) {
	for _, a := range attrs {
		switch v := a.value.(type) {
		case string:
			m.PutStr(a.key, v)
		case int64:
			m.PutInt(a.key, v)
		case int:
			m.PutInt(a.key, int64(v))
		case bool:
			m.PutBool(a.key, v)
		case float64:
			m.PutDouble(a.key, v)
		case []byte:
			m.PutEmptyBytes(a.key).FromRaw(v)
		case []string:
			s := m.PutEmptySlice(a.key)
			for _, e := range v {
				s.AppendEmpty().SetStr(e)
			}
		case map[string]any:
			if err := m.PutEmptyMap(a.key).FromRaw(v); err != nil {
				panic(err)
			}
		case nil:
			m.PutEmpty(a.key)
		default:
			panic("unsupported attribute value")
		}
	}
}

type signal string

const (
	signalMetrics signal = "metrics"
	signalLogs    signal = "logs"
	signalTraces  signal = "traces"
)

var signals = []signal{signalMetrics, signalLogs, signalTraces}

// payload is the OTLP protobuf request of one resource with attrs (in that order) and a little
// telemetry of the signal, as the kafka exporter writes it with
// partition_metrics_by_resource_attributes: true.
func payload(t testing.TB, s signal, attrs ...attr) []byte {
	t.Helper()
	var (
		b   []byte
		err error
	)
	switch s {
	case signalMetrics:
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		putAttrs(rm.Resource().Attributes(), attrs)
		rm.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
		g := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		g.SetName("ml.model.predictions")
		dp := g.SetEmptySum().DataPoints().AppendEmpty()
		dp.SetIntValue(42)
		dp.Attributes().PutStr(modelAttr, "a point attribute, not a resource one")
		b, err = (&pmetric.ProtoMarshaler{}).MarshalMetrics(md)
	case signalLogs:
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		putAttrs(rl.Resource().Attributes(), attrs)
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.Body().SetStr("prediction served")
		lr.Attributes().PutStr(modelAttr, "a record attribute, not a resource one")
		b, err = (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	case signalTraces:
		td := ptrace.NewTraces()
		rs := td.ResourceSpans().AppendEmpty()
		putAttrs(rs.Resource().Attributes(), attrs)
		sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		sp.SetName("predict")
		sp.SetTraceID(pcommon.TraceID{1, 2, 3})
		sp.Attributes().PutStr(modelAttr, "a span attribute, not a resource one")
		b, err = (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	}
	require.NoError(t, err)
	return b
}

const (
	modelAttr   = "ml.model.id"
	versionAttr = "ml.model.version"
)

// pod is the resource of one serving pod of model at version: the attributes that differ
// between pods (and so change the exporter's record key) around the model's.
func pod(model, version string, i int) []attr {
	return []attr{
		{"service.name", "fraud-api"},
		{"service.instance.id", "instance-" + string(rune('a'+i%26)) + "-" + itoa(i)},
		{"host.name", "node-" + itoa(i*7)},
		{"k8s.pod.name", model + "-7d9f8b-" + itoa(i)},
		{modelAttr, model},
		{versionAttr, version},
		{"k8s.namespace.name", "serving"},
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// recordKey is a record key the way the exporter makes them: a hash of the whole resource, so
// every pod's differs.
func recordKey(attrs []attr) []byte {
	h := fnv.New128a()
	for _, a := range attrs {
		_, _ = h.Write([]byte(a.key))
		if s, ok := a.value.(string); ok {
			_, _ = h.Write([]byte(s))
		}
	}
	return h.Sum(nil)
}

// harness is one extension with test telemetry and an observed logger.
type harness struct {
	ext  *modelPartitioner
	tp   kgo.TopicPartitioner
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

func newHarness(t testing.TB, cfg *Config) *harness {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	core, logs := observer.New(zapcore.DebugLevel)
	set := metadatatest.NewSettings(tel)
	set.Logger = zap.New(core)
	ext, err := newExtension(cfg, set)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return &harness{ext: ext, tp: ext.GetPartitioner().ForTopic("otlp_metrics"), tel: tel, logs: logs}
}

func defaultConfig() *Config { return createDefaultConfig().(*Config) }

func modelOnlyConfig() *Config {
	cfg := defaultConfig()
	cfg.VersionAttribute = ""
	return cfg
}

// stdFnv32a is contrib's saramaHashFn (internal/kafka, not importable), with hash/fnv.
func stdFnv32a(b []byte) uint32 {
	h := fnv.New32a()
	h.Reset()
	_, _ = h.Write(b)
	return h.Sum32()
}

// newStickyKey is the kafka exporter's default partitioner: record_partitioner: sticky_key:
// hasher: sarama_compat.
func newStickyKey() kgo.TopicPartitioner {
	return kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(stdFnv32a)).ForTopic("otlp_metrics")
}

// wantModelPartition is the partition of (model, version) among n.
func wantModelPartition(model, version string, n int) int {
	return int(modelHash([]byte(model), []byte(version)) % uint64(n))
}
