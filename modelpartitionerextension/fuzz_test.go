package modelpartitionerextension

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// FuzzPartition feeds the partitioner arbitrary values: it must never panic, always answer a
// partition in [0, n), and, when it reads a model, read the model and version pdata reads,
// named as the retrain processor names them (a string, or an int's AsString).
func FuzzPartition(f *testing.F) {
	for _, s := range signals {
		f.Add(payload(f, s, pod("fraud-detector", "3", 1)...), []byte("key"), uint8(11))
		f.Add(payload(f, s, attr{modelAttr, int64(3)}), []byte(nil), uint8(0))
		f.Add(payload(f, s, attr{modelAttr, int64(-1 << 63)}, attr{versionAttr, int64(-2)}), []byte("k"), uint8(7))
		f.Add(payload(f, s, attr{versionAttr, 1.5}, attr{modelAttr, 2.5}), []byte("k"), uint8(3))
	}
	f.Add(request(kv(versionAttr, strValue("1")), kv(modelAttr, strValue("m"))), []byte(nil), uint8(5))
	f.Add(request(kv(modelAttr, append(strValue("m"), intValue(-5)...)), kv(versionAttr, append(intValue(1), boolValue(true)...))), []byte(nil), uint8(9))
	f.Add(benchPayload(f, true), []byte("k"), uint8(63))
	f.Add([]byte(`{"resourceMetrics":[]}`), []byte("k"), uint8(2))

	ext, err := newExtension(defaultConfig(), extensionSettings())
	if err != nil {
		f.Fatal(err)
	}
	tp := ext.GetPartitioner().ForTopic("otlp_metrics")
	w := ext.partitioner.walker
	f.Fuzz(func(t *testing.T, value, key []byte, n8 uint8) {
		n := 1 + int(n8)%64
		r := &kgo.Record{Key: key, Value: value}
		tp.RequiresConsistency(r)
		if p := tp.Partition(r, n); p < 0 || p >= n {
			t.Fatalf("partition %d of %d", p, n)
		}
		fd := w.find(value)
		if fd.outcome != outcomeModel || fd.moreResources {
			return
		}
		md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(value)
		if err != nil || md.ResourceMetrics().Len() == 0 {
			return // pdata is stricter (UTF-8, field types we skip); the walk need not be
		}
		res := md.ResourceMetrics().At(0).Resource().Attributes()
		m, ok := res.Get(modelAttr)
		if !ok || !names(m) || m.AsString() != textOf(fd.model) {
			t.Fatalf("walk read model %q, pdata %v (%t)", textOf(fd.model), m.AsRaw(), ok)
		}
		want := ""
		if v, ok := res.Get(versionAttr); ok && names(v) {
			want = v.AsString()
		}
		if got := textOf(fd.version); got != want {
			t.Fatalf("walk read version %q, pdata %q", got, want)
		}
	})
}

// names is the retrain processor's attributeString: strings and ints name a model.
func names(v pcommon.Value) bool {
	return v.Type() == pcommon.ValueTypeStr || v.Type() == pcommon.ValueTypeInt
}
