package modelpartitionerextension

import (
	"math"
	"strconv"
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
func boolValue(b bool) []byte {
	if b {
		return varintField(2, 1)
	}
	return varintField(2, 0)
}
func doubleValue() []byte { return []byte{4<<3 | wireFixed64, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f} } // 1.5

// textOf is the name the walk gives v: its string, or its int's decimal text.
func textOf(v attrValue) string {
	var buf [maxIntText]byte
	return string(v.text(&buf))
}

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
		{"non-string first model wins", request(kv(modelAttr, boolValue(true)), kv(modelAttr, strValue("b"))), outcomeNotString, "", "", false},
		{"int first model wins", request(kv(modelAttr, intValue(1)), kv(modelAttr, strValue("b"))), outcomeModel, "1", "", false},
		{"key after value", request(bytesField(1, bytesField(2, strValue("m")), bytesField(1, []byte(modelAttr)))), outcomeModel, "m", "", false},
		{"last oneof field wins: string", request(kv(modelAttr, append(intValue(1), strValue("m")...))), outcomeModel, "m", "", false},
		{"last oneof field wins: int", request(kv(modelAttr, append(strValue("m"), intValue(1)...))), outcomeModel, "1", "", false},
		{"last oneof field wins: bool after int", request(kv(modelAttr, append(intValue(1), boolValue(true)...))), outcomeNotString, "", "", false},
		{"last oneof field wins: int after double", request(kv(modelAttr, append(doubleValue(), intValue(-7)...))), outcomeModel, "-7", "", false},
		{"last oneof field wins: int after int", request(kv(modelAttr, append(intValue(1), intValue(2)...))), outcomeModel, "2", "", false},
		{"last oneof field wins: empty string after int", request(kv(modelAttr, append(intValue(1), strValue("")...))), outcomeNoAttribute, "", "", false},
		{"unknown field after int", request(kv(modelAttr, append(intValue(9), varintField(8, 1)...))), outcomeModel, "9", "", false},
		{"int model", request(kv(modelAttr, intValue(42)), kv(versionAttr, strValue("v"))), outcomeModel, "42", "v", false},
		{"int model zero", request(kv(modelAttr, intValue(0))), outcomeModel, "0", "", false},
		{"negative int model", request(kv(modelAttr, intValue(-42))), outcomeModel, "-42", "", false},
		{"int64 min model", request(kv(modelAttr, intValue(math.MinInt64))), outcomeModel, "-9223372036854775808", "", false},
		{"int64 max model", request(kv(modelAttr, intValue(math.MaxInt64))), outcomeModel, "9223372036854775807", "", false},
		{"int version", request(kv(modelAttr, strValue("m")), kv(versionAttr, intValue(3))), outcomeModel, "m", "3", false},
		{"negative int version", request(kv(versionAttr, intValue(-3)), kv(modelAttr, intValue(7))), outcomeModel, "7", "-3", false},
		{"int64 min version", request(kv(modelAttr, strValue("m")), kv(versionAttr, intValue(math.MinInt64))), outcomeModel, "m", "-9223372036854775808", false},
		{"bool version", request(kv(modelAttr, strValue("m")), kv(versionAttr, boolValue(true))), outcomeModel, "m", "", false},
		{"double version", request(kv(modelAttr, strValue("m")), kv(versionAttr, doubleValue())), outcomeModel, "m", "", false},
		{"double model", request(kv(modelAttr, doubleValue())), outcomeNotString, "", "", false},
		// Bits past the 64th are dropped, as pdata drops them.
		{"int model, 10th varint byte over 1", request(kv(modelAttr, []byte{3 << 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f})), outcomeModel, "-1", "", false},
		{"int model, 11-byte varint", request(kv(modelAttr, []byte{3 << 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})), outcomeMalformed, "", "", false},
		{"int model, truncated varint", request(kv(modelAttr, []byte{3 << 3, 0xff})), outcomeMalformed, "", "", false},
		{"int model, no varint", request(kv(modelAttr, []byte{3 << 3})), outcomeMalformed, "", "", false},
		{"int model as bytes", request(kv(modelAttr, bytesField(3, []byte("42")))), outcomeMalformed, "", "", false},
		{"int model as fixed64", request(kv(modelAttr, []byte{3<<3 | wireFixed64, 42, 0, 0, 0, 0, 0, 0, 0})), outcomeMalformed, "", "", false},
		{"int version, truncated varint", request(kv(modelAttr, strValue("m")), kv(versionAttr, []byte{3 << 3, 0x80})), outcomeMalformed, "", "", false},
		{"no value", request(bytesField(1, bytesField(1, []byte(modelAttr)))), outcomeNotString, "", "", false},
		{"unknown fields everywhere", append(varintField(9, 1), bytesField(1,
			varintField(7, 3), bytesField(1, varintField(2, 4), bytesField(1, bytesField(1, []byte(modelAttr)), varintField(5, 1), bytesField(2, strValue("m")))))...),
			outcomeModel, "m", "", false},
		{"resource after the scopes", bytesField(1, bytesField(2, []byte("scope metrics")), bytesField(1, kv(modelAttr, strValue("m")))), outcomeModel, "m", "", false},
		{"resource in two parts", bytesField(1, bytesField(1, kv("a", strValue("x"))), bytesField(1, kv(modelAttr, strValue("m")))), outcomeModel, "m", "", false},
		{"two resources", append(request(kv(modelAttr, strValue("m"))), request(kv(modelAttr, strValue("n")))...), outcomeModel, "m", "", true},
		{"model in the second resource only", append(request(kv("a", strValue("x"))), request(kv(modelAttr, strValue("n")))...), outcomeNoAttribute, "", "", true},
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
			assert.Equal(t, tc.model, textOf(f.model))
			assert.Equal(t, tc.version, textOf(f.version))
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

// An int names a model by its decimal text, as strconv.FormatInt (and pcommon.Value.AsString,
// which the retrain processor uses) writes it.
func TestIntText(t *testing.T) {
	for _, i := range []int64{0, 1, -1, 9, 10, -10, 42, 1 << 31, -1 << 31, 1<<53 + 1, math.MaxInt64, math.MaxInt64 - 1, math.MinInt64, math.MinInt64 + 1} {
		v, names, bad := anyValue(intValue(i))
		assert.True(t, names)
		assert.False(t, bad)
		assert.Equal(t, strconv.FormatInt(i, 10), textOf(v))
	}
	assert.Len(t, strconv.FormatInt(math.MinInt64, 10), maxIntText)
}
