package modelpartitionerextension

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Hand-built protobuf, for what pdata never writes: duplicate keys, fields out of order,
// repeated oneof fields, unknown fields.

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func bytesField(num int, payloads ...[]byte) []byte {
	var inner []byte
	for _, p := range payloads {
		inner = append(inner, p...)
	}
	b := appendVarint(nil, uint64(num)<<3|wireBytes)
	b = appendVarint(b, uint64(len(inner)))
	return append(b, inner...)
}

func varintField(num int, v uint64) []byte {
	return appendVarint(appendVarint(nil, uint64(num)<<3|wireVarint), v)
}

func strValue(s string) []byte { return bytesField(1, []byte(s)) }
func intValue(i int64) []byte  { return varintField(3, uint64(i)) }

// kv is a KeyValue attribute: field 1 (the key) and field 2 (the AnyValue).
func kv(key string, value []byte) []byte {
	return bytesField(1, bytesField(1, []byte(key)), bytesField(2, value))
}

// request is an export request of one resource with the given attribute fields.
func request(attrs ...[]byte) []byte {
	return bytesField(1, bytesField(1, attrs...))
}

func TestWalkWireCases(t *testing.T) {
	w := walker{modelKey: modelAttr, versionKey: versionAttr}
	for _, tc := range []struct {
		name           string
		value          []byte
		want           outcome
		model, version string
		more           bool
	}{
		{"model and version", request(kv(modelAttr, strValue("m")), kv(versionAttr, strValue("v"))), outcomeModel, "m", "v", false},
		{"first model wins", request(kv(modelAttr, strValue("a")), kv(modelAttr, strValue("b"))), outcomeModel, "a", "", false},
		{"first version wins", request(kv(versionAttr, strValue("1")), kv(versionAttr, strValue("2")), kv(modelAttr, strValue("m"))), outcomeModel, "m", "1", false},
		{"non-string first model wins", request(kv(modelAttr, intValue(1)), kv(modelAttr, strValue("b"))), outcomeNotString, "", "", false},
		{"key after value", request(bytesField(1, bytesField(2, strValue("m")), bytesField(1, []byte(modelAttr)))), outcomeModel, "m", "", false},
		{"last oneof field wins: string", request(kv(modelAttr, append(intValue(1), strValue("m")...))), outcomeModel, "m", "", false},
		{"last oneof field wins: int", request(kv(modelAttr, append(strValue("m"), intValue(1)...))), outcomeNotString, "", "", false},
		{"no value", request(bytesField(1, bytesField(1, []byte(modelAttr)))), outcomeNotString, "", "", false},
		{"unknown fields everywhere", append(varintField(9, 1), bytesField(1,
			varintField(7, 3), bytesField(1, varintField(2, 4), bytesField(1, bytesField(1, []byte(modelAttr)), varintField(5, 1), bytesField(2, strValue("m")))))...),
			outcomeModel, "m", "", false},
		{"resource after the scopes", bytesField(1, bytesField(2, []byte("scope metrics")), bytesField(1, kv(modelAttr, strValue("m")))), outcomeModel, "m", "", false},
		{"resource in two parts", bytesField(1, bytesField(1, kv("a", strValue("x"))), bytesField(1, kv(modelAttr, strValue("m")))), outcomeModel, "m", "", false},
		{"two resources", append(request(kv(modelAttr, strValue("m"))), request(kv(modelAttr, strValue("n")))...), outcomeModel, "m", "", true},
		{"model in the second resource only", append(request(kv("a", strValue("x"))), request(kv(modelAttr, strValue("n")))...), outcomeNoAttribute, "", "", true},
		{"non-string version", request(kv(modelAttr, strValue("m")), kv(versionAttr, intValue(3))), outcomeModel, "m", "", false},
		// The walk stops at the model and version: what follows is not read.
		{"garbage after both", append(request(kv(modelAttr, strValue("m")), kv(versionAttr, strValue("v"))), 0xff), outcomeModel, "m", "v", false},
		{"garbage attribute before the model", request(bytesField(1, []byte{0xff}), kv(modelAttr, strValue("m"))), outcomeMalformed, "", "", false},
		{"attribute as varint", request(varintField(1, 1)), outcomeMalformed, "", "", false},
		{"11-byte varint", append([]byte{0x0a}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), outcomeMalformed, "", "", false},
		{"huge length", appendVarint([]byte{0x0a}, 1<<63), outcomeMalformed, "", "", false},
		{"truncated fixed64", []byte{0x11, 1, 2, 3}, outcomeMalformed, "", "", false},
		{"truncated fixed32", []byte{0x15, 1, 2, 3}, outcomeMalformed, "", "", false},
		{"fixed fields skipped", append([]byte{0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x15, 1, 2, 3, 4}, request(kv(modelAttr, strValue("m")))...), outcomeModel, "m", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := w.find(tc.value)
			assert.Equal(t, tc.want, f.outcome)
			assert.Equal(t, tc.model, string(f.model))
			assert.Equal(t, tc.version, string(f.version))
			assert.Equal(t, tc.more, f.moreResources)
		})
	}
}

func TestVarint(t *testing.T) {
	for _, v := range []uint64{0, 1, 127, 128, 300, 1<<32 - 1, 1<<63 + 5, 1<<64 - 1} {
		b := appendVarint(nil, v)
		got, i := varint(b, 0)
		assert.Equal(t, v, got)
		assert.Equal(t, len(b), i)
		for cut := range len(b) {
			_, i := varint(b[:cut], 0)
			assert.Equal(t, -1, i, "%d cut at %d", v, cut)
		}
	}
}
