package retrainprocessor

import (
	"hash/maphash"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// streamPart is one part of a stream's identity, applied to a fresh resource, scope, metric and
// point.
type streamPart func(res, scopeAttrs, point pcommon.Map, scope pcommon.InstrumentationScope, metric *string)

func streamKey(seed maphash.Seed, parts ...streamPart) uint64 {
	return modelStreamKey(seed, nil, parts...)
}

// modelStreamKey is streamKey for points of model m, which may remember its resource's hash.
func modelStreamKey(seed maphash.Seed, m *model, parts ...streamPart) uint64 {
	rm := pmetric.NewResourceMetrics()
	sm := rm.ScopeMetrics().AppendEmpty()
	point := pcommon.NewMap()
	metric := "latency"
	for _, part := range parts {
		part(rm.Resource().Attributes(), sm.Scope().Attributes(), point, sm.Scope(), &metric)
	}
	var s series
	s.forResource(seed, rm.Resource().Attributes())
	s.forModel(m)
	s.forScope(sm)
	s.forMetric(metric)
	return s.key(point)
}

func resAttr(k, v string) streamPart {
	return func(res, _, _ pcommon.Map, _ pcommon.InstrumentationScope, _ *string) { res.PutStr(k, v) }
}

func pointAttr(k string, v any) streamPart {
	return func(_, _, point pcommon.Map, _ pcommon.InstrumentationScope, _ *string) {
		switch v := v.(type) {
		case string:
			point.PutStr(k, v)
		case int:
			point.PutInt(k, int64(v))
		case float64:
			point.PutDouble(k, v)
		case bool:
			point.PutBool(k, v)
		}
	}
}

func scopeName(n string) streamPart {
	return func(_, _, _ pcommon.Map, scope pcommon.InstrumentationScope, _ *string) { scope.SetName(n) }
}

func scopeVersion(v string) streamPart {
	return func(_, _, _ pcommon.Map, scope pcommon.InstrumentationScope, _ *string) { scope.SetVersion(v) }
}

func scopeAttr(k, v string) streamPart {
	return func(_, scopeAttrs, _ pcommon.Map, _ pcommon.InstrumentationScope, _ *string) { scopeAttrs.PutStr(k, v) }
}

func metricName(n string) streamPart {
	return func(_, _, _ pcommon.Map, _ pcommon.InstrumentationScope, metric *string) { *metric = n }
}

func TestStreamKeys(t *testing.T) {
	seed := maphash.MakeSeed()
	base := []streamPart{resAttr("service.name", "ranker"), resAttr("ml.model.id", "m1"), scopeName("app"), scopeVersion("1.0")}
	with := func(more ...streamPart) []streamPart { return append(append([]streamPart{}, base...), more...) }
	tests := []struct {
		name string
		a, b []streamPart
		same bool
	}{
		{"identical", with(pointAttr("route", "/a")), with(pointAttr("route", "/a")), true},
		{"attribute order does not matter",
			[]streamPart{resAttr("a", "1"), resAttr("b", "2"), pointAttr("x", "1"), pointAttr("y", 2)},
			[]streamPart{resAttr("b", "2"), resAttr("a", "1"), pointAttr("y", 2), pointAttr("x", "1")}, true},
		{"point attribute value", with(pointAttr("route", "/a")), with(pointAttr("route", "/b")), false},
		{"point attribute or none", with(pointAttr("route", "/a")), with(), false},
		{"resource attribute", with(resAttr("pod", "p1")), with(resAttr("pod", "p2")), false},
		{"key and value boundary", with(pointAttr("ab", "c")), with(pointAttr("a", "bc")), false},
		{"string and int", with(pointAttr("code", "1")), with(pointAttr("code", 1)), false},
		{"int and double", with(pointAttr("v", 1)), with(pointAttr("v", 1.0)), false},
		{"bool", with(pointAttr("ok", true)), with(pointAttr("ok", false)), false},
		{"scope name", with(scopeName("other")), with(), false},
		{"scope name and version boundary", with(scopeName("ab"), scopeVersion("")), with(scopeName("a"), scopeVersion("b")), false},
		{"scope attribute", with(scopeAttr("k", "v")), with(), false},
		{"metric", with(metricName("a")), with(metricName("b")), false},
		{"same attribute on resource or point", with(resAttr("k", "v")), with(pointAttr("k", "v")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := streamKey(seed, tt.a...), streamKey(seed, tt.b...)
			if tt.same {
				assert.Equal(t, a, b)
			} else {
				assert.NotEqual(t, a, b)
			}
		})
	}
}

// A model remembers its resource's hash; the keys must be those computed from scratch.
func TestStreamKeysReuseTheModelsResourceHash(t *testing.T) {
	seed := maphash.MakeSeed()
	m := &model{}
	key := func(m *model, parts ...streamPart) uint64 { return modelStreamKey(seed, m, parts...) }
	podA := []streamPart{resAttr("service.name", "ranker"), resAttr("pod", "a")}
	podB := []streamPart{resAttr("service.name", "ranker"), resAttr("pod", "b")}
	podAReordered := []streamPart{resAttr("pod", "a"), resAttr("service.name", "ranker")}

	a := key(nil, podA...)
	assert.Equal(t, a, key(m, podA...), "first key, computed")
	assert.NotEmpty(t, m.resKey, "remembered")
	assert.Equal(t, a, key(m, podA...), "second key, from the model")
	b := key(nil, podB...)
	assert.NotEqual(t, a, b)
	assert.Equal(t, b, key(m, podB...), "another resource replaces the remembered one")
	assert.Equal(t, a, key(m, podAReordered...), "the same attributes in another order")
	assert.Equal(t, a, key(m, podA...))

	// The remembered hash is what a matching resource gets: spoil it and see it used.
	m.resHash++
	assert.NotEqual(t, a, key(m, podA...))
}

// A string value holds any bytes, the encoding's separators included: {a:"x", b:"y"} and
// {a:"x\x01b\x01y"} are different resources, however the model remembers the last one.
func TestStreamKeysTellAValueFromMoreAttributes(t *testing.T) {
	seed := maphash.MakeSeed()
	two := []streamPart{resAttr("a", "x"), resAttr("b", "y")}
	one := []streamPart{resAttr("a", "x\x01b\x01y")}
	assert.NotEqual(t, streamKey(seed, two...), streamKey(seed, one...))

	m := &model{}
	assert.Equal(t, streamKey(seed, two...), modelStreamKey(seed, m, two...))
	assert.Equal(t, streamKey(seed, one...), modelStreamKey(seed, m, one...), "not the remembered resource's key")
	assert.Equal(t, streamKey(seed, two...), modelStreamKey(seed, m, two...))
}

// The encoding of a resource (what a model remembers to spare hashing it again) is the
// resource's identity: different attributes, in the same order, never encode the same.
func TestResourceEncodingsDiffer(t *testing.T) {
	type kv struct {
		k string
		v any
	}
	encode := func(attrs ...kv) []byte {
		m := pcommon.NewMap()
		for _, a := range attrs {
			require.NoError(t, m.PutEmpty(a.k).FromRaw(a.v))
		}
		var b []byte
		for k, v := range m.All() {
			b = appendAttribute(b, k, v)
		}
		return b
	}
	tests := []struct {
		name string
		a, b []kv
	}{
		{"a string holding a second attribute", []kv{{"a", "x"}, {"b", "y"}}, []kv{{"a", "x\x01b\x01y"}}},
		{"bytes holding a second attribute", []kv{{"a", []byte("x")}, {"b", "y"}}, []kv{{"a", []byte("x\x01b\x01y")}}},
		// With no byte for false, the byte true takes can be read as the next key's length.
		{"true and false", []kv{{"ok", true}, {"\x01", "\x01b\x01\x01y"}}, []kv{{"ok", false}, {"\x01", "\x05"}, {"b", "y"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NotEqual(t, encode(tt.a...), encode(tt.b...))
		})
	}
}
