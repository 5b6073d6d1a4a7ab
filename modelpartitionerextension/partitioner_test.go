package modelpartitionerextension

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func TestPodsOfOneModelShareAPartition(t *testing.T) {
	reversed := func(a []attr) []attr { a = slices.Clone(a); slices.Reverse(a); return a }
	modelFirst := func(a []attr) []attr {
		i := slices.IndexFunc(a, func(x attr) bool { return x.key == modelAttr })
		out := append([]attr{a[i]}, slices.Delete(slices.Clone(a), i, i+1)...)
		return out
	}
	versionFirst := func(a []attr) []attr {
		i := slices.IndexFunc(a, func(x attr) bool { return x.key == versionAttr })
		return append([]attr{a[i]}, slices.Delete(slices.Clone(a), i, i+1)...)
	}
	extra := func(a []attr) []attr {
		return append(slices.Clone(a), attr{"cloud.region", "eu-west-1"}, attr{"replica", int64(3)}, attr{"gpu", true})
	}
	// The model attribute inside a kvlist or on a point must not count; only the resource's.
	decoy := func(a []attr) []attr {
		return append([]attr{{"nested", map[string]any{modelAttr: "other-model"}}, {"ml.model.idx", "other"}}, a...)
	}
	shapes := []struct {
		name  string
		shape func([]attr) []attr
	}{
		{"as built", slices.Clone[[]attr]},
		{"reversed", reversed},
		{"model first", modelFirst},
		{"version first", versionFirst},
		{"more attributes", extra},
		{"decoys", decoy},
	}
	for _, cfg := range []*Config{defaultConfig(), modelOnlyConfig()} {
		for _, s := range signals {
			for _, n := range []int{1, 3, 12, 64} {
				t.Run(fmt.Sprintf("version_attribute=%q/%s/n=%d", cfg.VersionAttribute, s, n), func(t *testing.T) {
					h := newHarness(t, cfg)
					sticky := newStickyKey()
					version := "3"
					if cfg.VersionAttribute == "" {
						version = ""
					}
					want := wantModelPartition("fraud-detector", version, n)
					stickyParts := map[int]bool{}
					records := 0
					for i := range 20 {
						for _, sh := range shapes {
							attrs := sh.shape(pod("fraud-detector", "3", i))
							r := &kgo.Record{Key: recordKey(attrs), Value: payload(t, s, attrs...)}
							assert.True(t, h.tp.RequiresConsistency(r))
							assert.Equal(t, want, h.tp.Partition(r, n), "pod %d, %s", i, sh.name)
							stickyParts[sticky.Partition(r, n)] = true
							records++
						}
					}
					if n > 1 {
						// The test means something: the exporter's default spreads these pods.
						assert.Greater(t, len(stickyParts), 1)
					}
					assert.Equal(t, int64(records), h.ext.partitioner.stats.counts[outcomeModel].Load())
				})
			}
		}
	}
}

// The walk reads what pdata reads: the first resource's attribute, as pcommon.Map.Get, named as
// the retrain processor names it (AsString).
func TestWalkAgreesWithPdata(t *testing.T) {
	w := walker{modelKey: modelAttr, versionKey: versionAttr}
	for i := range 50 {
		attrs := pod(fmt.Sprintf("model-%d", i), fmt.Sprintf("v%d", i%4), i)
		for j := range attrs { // every third model, every other version an int
			if attrs[j].key == modelAttr && i%3 == 0 {
				attrs[j].value = int64(i*1_000_003 - 25_000_000)
			}
			if attrs[j].key == versionAttr && i%2 == 0 {
				attrs[j].value = int64(i % 4)
			}
		}
		rand.New(rand.NewSource(int64(i))).Shuffle(len(attrs), func(a, b int) { attrs[a], attrs[b] = attrs[b], attrs[a] })
		b := payload(t, signalMetrics, attrs...)
		md, err := (&pmetric.ProtoUnmarshaler{}).UnmarshalMetrics(b)
		require.NoError(t, err)
		res := md.ResourceMetrics().At(0).Resource().Attributes()
		m, _ := res.Get(modelAttr)
		v, _ := res.Get(versionAttr)
		f := w.find(b)
		require.Equal(t, outcomeModel, f.outcome)
		assert.Equal(t, m.AsString(), textOf(f.model))
		assert.Equal(t, v.AsString(), textOf(f.version))
		assert.False(t, f.moreResources)
	}
}

func TestVersionAttribute(t *testing.T) {
	const n = 12
	for _, tc := range []struct {
		name       string
		cfg        *Config
		versionsOn bool // whether the version changes the partition
	}{
		{"version_attribute set", defaultConfig(), true},
		{"version_attribute empty", modelOnlyConfig(), false},
		{"version_attribute other", func() *Config { c := defaultConfig(); c.VersionAttribute = "build"; return c }(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			parts := map[int]bool{}
			for v := range 40 {
				version := fmt.Sprintf("v%d", v)
				attrs := pod("fraud-detector", version, v)
				p := h.tp.Partition(&kgo.Record{Key: recordKey(attrs), Value: payload(t, signalMetrics, attrs...)}, n)
				parts[p] = true
				if tc.versionsOn {
					assert.Equal(t, wantModelPartition("fraud-detector", version, n), p)
				} else {
					assert.Equal(t, wantModelPartition("fraud-detector", "", n), p)
				}
			}
			if tc.versionsOn {
				assert.Greater(t, len(parts), n/2, "40 versions of one model over %d partitions", n)
			} else {
				assert.Len(t, parts, 1)
			}
		})
	}

	t.Run("missing version, or neither a string nor an int, is the model alone", func(t *testing.T) {
		h := newHarness(t, defaultConfig())
		want := wantModelPartition("fraud-detector", "", n)
		for _, v := range []any{nil, 1.5, true, "", []string{"3"}} {
			attrs := []attr{{modelAttr, "fraud-detector"}}
			if v != nil {
				attrs = append(attrs, attr{versionAttr, v})
			}
			assert.Equal(t, want, h.tp.Partition(&kgo.Record{Key: []byte("k"), Value: payload(t, signalMetrics, attrs...)}, n), "version %v", v)
		}
		assert.Equal(t, int64(5), h.ext.partitioner.stats.counts[outcomeModel].Load())
	})
}

// An int model or version names the model by its decimal text, as in the retrain processor:
// the int 42 and the string "42" are one model there, so they share a partition here, and
// every pod of an int model shares one.
func TestIntModelIsItsDecimalText(t *testing.T) {
	for _, tc := range []struct {
		name           string
		model, version any // the int form; the string form is its decimal text
	}{
		{"int model", int64(42), "3"},
		{"int model zero", int64(0), "3"},
		{"negative int model", int64(-42), "3"},
		{"int64 min model", int64(math.MinInt64), "3"},
		{"int64 max model", int64(math.MaxInt64), "3"},
		{"large int model", int64(1<<53 + 1), "3"},
		{"int version", "fraud-detector", int64(3)},
		{"negative int version", "fraud-detector", int64(-3)},
		{"int64 min version", "fraud-detector", int64(math.MinInt64)},
		{"int64 max version", "fraud-detector", int64(math.MaxInt64)},
		{"int model and version", int64(-7), int64(1 << 40)},
	} {
		text := func(v any) string {
			if i, ok := v.(int64); ok {
				return strconv.FormatInt(i, 10)
			}
			return v.(string)
		}
		model, version := text(tc.model), text(tc.version)
		for _, cfg := range []*Config{defaultConfig(), modelOnlyConfig()} {
			wantVersion := version
			if cfg.VersionAttribute == "" {
				wantVersion = ""
			}
			for _, s := range signals {
				t.Run(fmt.Sprintf("%s/version_attribute=%q/%s", tc.name, cfg.VersionAttribute, s), func(t *testing.T) {
					h := newHarness(t, cfg)
					sticky := newStickyKey()
					asInt := func(i int) []attr {
						attrs := pod("", "", i)
						for j := range attrs {
							switch attrs[j].key {
							case modelAttr:
								attrs[j].value = tc.model
							case versionAttr:
								attrs[j].value = tc.version
							}
						}
						return attrs
					}
					// 1_000_003 partitions: a different model would hardly land on the same one.
					ns := []int{1, 7, 12, 64, 1_000_003}
					stickyParts := map[int]bool{}
					for i := range 10 {
						attrs := asInt(i)
						r := &kgo.Record{Key: recordKey(attrs), Value: payload(t, s, attrs...)}
						str := &kgo.Record{Key: []byte("another key"), Value: payload(t, s, pod(model, version, i)...)}
						assert.True(t, h.tp.RequiresConsistency(r))
						for _, n := range ns {
							want := wantModelPartition(model, wantVersion, n)
							assert.Equal(t, want, h.tp.Partition(r, n), "pod %d, n=%d", i, n)
							assert.Equal(t, want, h.tp.Partition(str, n), "pod %d, n=%d: the string form", i, n)
						}
						stickyParts[sticky.Partition(r, 64)] = true
					}
					assert.Greater(t, len(stickyParts), 1, "the exporter's default spreads these pods")
					assert.Equal(t, int64(2*10*len(ns)), h.ext.partitioner.stats.counts[outcomeModel].Load())
					assert.Zero(t, h.ext.partitioner.stats.counts[outcomeNotString].Load())
				})
			}
		}
	}

	t.Run("int and string differ from other models", func(t *testing.T) {
		// The hash reads the text, not a fixed value: 42 and 43 are different models.
		w := walker{modelKey: modelAttr, versionKey: versionAttr}
		f42, f43 := w.find(request(kv(modelAttr, intValue(42)))), w.find(request(kv(modelAttr, intValue(43))))
		assert.NotEqual(t, f42.hash(), f43.hash())
		assert.Equal(t, modelHash([]byte("42"), nil), f42.hash())
		fv := w.find(request(kv(modelAttr, strValue("m")), kv(versionAttr, intValue(-1))))
		assert.Equal(t, modelHash([]byte("m"), []byte("-1")), fv.hash())
	})
}

// Fallback records go where the exporter's default partitioner sends them: by the key's
// Sarama-compatible hash.
func TestFallbackIsTheStickyKeyPartition(t *testing.T) {
	valid := payload(t, signalMetrics, pod("fraud-detector", "3", 1)...)
	for _, tc := range []struct {
		name  string
		value []byte
		want  outcome
	}{
		{"no model attribute", payload(t, signalMetrics, attr{"service.name", "x"}, attr{versionAttr, "3"}), outcomeNoAttribute},
		{"empty model", payload(t, signalMetrics, attr{modelAttr, ""}, attr{versionAttr, "3"}), outcomeNoAttribute},
		{"empty resource", payload(t, signalLogs), outcomeNoAttribute},
		{"no resource", []byte{}, outcomeNoAttribute},
		{"nil value", nil, outcomeNoAttribute},
		{"attribute in a kvlist only", payload(t, signalTraces, attr{"x", map[string]any{modelAttr: "m"}}), outcomeNoAttribute},
		{"bool model", payload(t, signalMetrics, attr{modelAttr, true}), outcomeNotString},
		{"double model", payload(t, signalLogs, attr{modelAttr, 1.5}), outcomeNotString},
		{"bytes model", payload(t, signalMetrics, attr{modelAttr, []byte("fraud")}), outcomeNotString},
		{"array model", payload(t, signalMetrics, attr{modelAttr, []string{"fraud"}}), outcomeNotString},
		{"kvlist model", payload(t, signalMetrics, attr{modelAttr, map[string]any{"id": "fraud"}}), outcomeNotString},
		{"empty value model", payload(t, signalMetrics, attr{modelAttr, nil}), outcomeNotString},
		{"non-string first wins", request(kv(modelAttr, boolValue(true)), kv(modelAttr, strValue("fraud"))), outcomeNotString},
		{"double after int in the oneof", request(kv(modelAttr, append(intValue(1), doubleValue()...))), outcomeNotString},
		{"int model, truncated varint", request(kv(modelAttr, []byte{3 << 3, 0x80})), outcomeMalformed},
		{"otlp_json", jsonPayload(t), outcomeMalformed},
		{"truncated", valid[:len(valid)-1], outcomeMalformed},
		{"garbage", []byte("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), outcomeMalformed},
		{"resource field as varint", []byte{0x08, 0x01}, outcomeMalformed},
		{"length past the end", []byte{0x0a, 0x7f, 0x0a}, outcomeMalformed},
		{"field number 0", []byte{0x02, 0x00}, outcomeMalformed},
		{"group wire type", []byte{0x0b, 0x0c}, outcomeMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, defaultConfig())
			sticky := newStickyKey()
			for i := range 50 {
				r := &kgo.Record{Key: fmt.Appendf(nil, "resource-hash-%d", i), Value: tc.value}
				for _, n := range []int{1, 7, 12} {
					assert.True(t, h.tp.RequiresConsistency(r))
					assert.Equal(t, sticky.Partition(r, n), h.tp.Partition(r, n))
				}
			}
			assert.Equal(t, int64(150), h.ext.partitioner.stats.counts[tc.want].Load(), "outcome %s", tc.want)
			assert.Zero(t, h.ext.partitioner.stats.counts[outcomeModel].Load())
		})
	}
}

func jsonPayload(t *testing.T) []byte {
	md := pmetric.NewMetrics()
	putAttrs(md.ResourceMetrics().AppendEmpty().Resource().Attributes(), pod("fraud-detector", "3", 1))
	b, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	return b
}

func TestKeylessRecords(t *testing.T) {
	const n = 12
	h := newHarness(t, defaultConfig())
	// Routed by model: consistent, on the model's partition.
	withModel := &kgo.Record{Value: payload(t, signalMetrics, pod("fraud-detector", "3", 0)...)}
	assert.True(t, h.tp.RequiresConsistency(withModel))
	assert.Equal(t, wantModelPartition("fraud-detector", "3", n), h.tp.Partition(withModel, n))
	// Neither model nor key: any writable partition, round robin.
	without := &kgo.Record{Value: payload(t, signalMetrics, attr{"service.name", "x"})}
	assert.False(t, h.tp.RequiresConsistency(without))
	seen := map[int]int{}
	for range 10 * n {
		p := h.tp.Partition(without, n)
		require.GreaterOrEqual(t, p, 0)
		require.Less(t, p, n)
		seen[p]++
	}
	assert.Len(t, seen, n)
	for p, c := range seen {
		assert.Equal(t, 10, c, "partition %d", p)
	}
}

func TestTruncatedPayloadsFallBack(t *testing.T) {
	for _, s := range signals {
		t.Run(string(s), func(t *testing.T) {
			h := newHarness(t, defaultConfig())
			sticky := newStickyKey()
			valid := payload(t, s, pod("fraud-detector", "3", 1)...)
			key := []byte("resource-hash")
			for i := range len(valid) {
				r := &kgo.Record{Key: key, Value: valid[:i]}
				require.NotPanics(t, func() {
					assert.Equal(t, sticky.Partition(r, 12), h.tp.Partition(r, 12), "truncated at %d", i)
				})
			}
			c := &h.ext.partitioner.stats.counts
			assert.Equal(t, int64(1), c[outcomeNoAttribute].Load(), "the empty prefix is an empty request")
			assert.Equal(t, int64(len(valid)-1), c[outcomeMalformed].Load())
			assert.Zero(t, c[outcomeModel].Load())
			// The whole payload is fine.
			assert.Equal(t, wantModelPartition("fraud-detector", "3", 12), h.tp.Partition(&kgo.Record{Key: key, Value: valid}, 12))
		})
	}
}

func TestRandomBytesFallBack(t *testing.T) {
	h := newHarness(t, defaultConfig())
	sticky := newStickyKey()
	rng := rand.New(rand.NewSource(1))
	valid := payload(t, signalMetrics, pod("fraud-detector", "3", 1)...)
	for i := range 20000 {
		var b []byte
		if i%2 == 0 {
			b = make([]byte, rng.Intn(200))
			rng.Read(b)
		} else { // a valid payload with a few bytes flipped: deeper into the walk
			b = slices.Clone(valid)
			for range 1 + rng.Intn(3) {
				b[rng.Intn(len(b))] = byte(rng.Intn(256))
			}
		}
		r := &kgo.Record{Key: []byte{byte(i), byte(i >> 8)}, Value: b}
		n := 1 + rng.Intn(20)
		var p int
		require.NotPanics(t, func() {
			h.tp.RequiresConsistency(r)
			p = h.tp.Partition(r, n)
		})
		require.GreaterOrEqual(t, p, 0)
		require.Less(t, p, n)
		if f := h.ext.partitioner.walker.find(b); f.outcome != outcomeModel {
			require.Equal(t, sticky.Partition(r, n), p)
		}
	}
	c := &h.ext.partitioner.stats.counts
	assert.Positive(t, c[outcomeMalformed].Load())
	assert.Positive(t, c[outcomeModel].Load(), "flipping bytes of the scopes leaves the model readable")
}

func TestSpread(t *testing.T) {
	const (
		n      = 12
		models = 1000
	)
	for _, cfg := range []*Config{defaultConfig(), modelOnlyConfig()} {
		t.Run(fmt.Sprintf("version_attribute=%q", cfg.VersionAttribute), func(t *testing.T) {
			h := newHarness(t, cfg)
			counts := make([]int, n)
			for i := range models {
				attrs := pod(fmt.Sprintf("model-%04d", i), "1", i)
				counts[h.tp.Partition(&kgo.Record{Key: recordKey(attrs), Value: payload(t, signalMetrics, attrs...)}, n)]++
			}
			// 1000/12 = 83.3 per partition, standard deviation 8.7.
			for p, c := range counts {
				assert.Greater(t, c, 55, "partition %d: %v", p, counts)
				assert.Less(t, c, 112, "partition %d: %v", p, counts)
			}
		})
	}
}

// The partition is fixed by the hash: these values are what every collector, in every
// process, computes. A change here moves every model to another partition on upgrade.
func TestHashIsStable(t *testing.T) {
	for _, tc := range []struct {
		model, version string
		want           uint64
		partitionOf12  int
	}{
		{"fraud-detector", "3", 0x7f27e4bdf5d11a85, int(uint64(0x7f27e4bdf5d11a85) % 12)},
		{"fraud-detector", "", 0x4338c17293b58700, int(uint64(0x4338c17293b58700) % 12)},
	} {
		assert.Equal(t, tc.want, modelHash([]byte(tc.model), []byte(tc.version)))
		assert.Equal(t, tc.want, referenceHash(tc.model, tc.version))
		assert.Equal(t, tc.partitionOf12, wantModelPartition(tc.model, tc.version, 12))
	}
	for i := range 100 {
		m, v := fmt.Sprintf("model-%d", i), fmt.Sprintf("%d", i%3)
		require.Equal(t, referenceHash(m, v), modelHash([]byte(m), []byte(v)))
	}
	assert.Equal(t, modelHash([]byte("fraud-detector"), nil), modelHash([]byte("fraud-detector"), []byte{}))
	assert.NotEqual(t, modelHash([]byte("ab"), []byte("c")), modelHash([]byte("a"), []byte("bc")))
	assert.Equal(t, stdFnv32a([]byte("resource-hash")), fnv32a([]byte("resource-hash")))
}

// referenceHash is modelHash written with hash/fnv.
func referenceHash(model, version string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(model))
	_, _ = h.Write([]byte{0xff})
	_, _ = h.Write([]byte(version))
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
