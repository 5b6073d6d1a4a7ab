package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// series names cumulative streams (resource + scope + metric + point attributes) by a hash it
// computes lazily, so delta and gauge points never pay for it.
type series struct {
	seed   maphash.Seed
	res    pcommon.Map
	scope  pmetric.ScopeMetrics
	metric string

	resHash, scopeHash, metricHash uint64
	have                           uint8

	model *model // the locked model the points belong to, which remembers its resource's hash

	buf  []byte // the bytes of one hashed part, reused
	ends []int  // where each attribute's bytes end in buf
}

const (
	haveResource uint8 = 1 << iota
	haveScope
	haveMetric
)

func (s *series) forResource(seed maphash.Seed, res pcommon.Map) {
	s.seed, s.res, s.have, s.model = seed, res, 0, nil
}

func (s *series) forModel(m *model) { s.model = m }

func (s *series) forScope(sm pmetric.ScopeMetrics) {
	s.scope = sm
	s.have &^= haveScope | haveMetric
}

func (s *series) forMetric(name string) {
	s.metric = name
	s.have &^= haveMetric
}

// key identifies the stream of a point with the given attributes. Each part is one seeded hash
// of its bytes, chained to the part that holds it; attribute sets are hashed independently of
// their order.
func (s *series) key(attrs pcommon.Map) uint64 {
	if s.have&haveResource == 0 {
		s.resHash = s.resourceHash()
		s.have |= haveResource
	}
	if s.have&haveScope == 0 {
		scope := s.scope.Scope()
		b := binary.LittleEndian.AppendUint64(s.buf[:0], s.resHash)
		b = appendString(b, scope.Name())
		b = appendString(b, scope.Version())
		s.buf = b
		s.scopeHash = maphash.Bytes(s.seed, b)
		if scope.Attributes().Len() > 0 {
			s.scopeHash = mix(s.scopeHash + s.hashMap(scope.Attributes()))
		}
		s.have |= haveScope
	}
	if s.have&haveMetric == 0 {
		s.buf = appendString(binary.LittleEndian.AppendUint64(s.buf[:0], s.scopeHash), s.metric)
		s.metricHash = maphash.Bytes(s.seed, s.buf)
		s.have |= haveMetric
	}
	if attrs.Len() == 0 {
		return s.metricHash
	}
	return mix(s.metricHash + s.hashMap(attrs))
}

// hashMap hashes attributes independently of their order: the sum of one hash per attribute.
func (s *series) hashMap(attrs pcommon.Map) uint64 {
	var h uint64
	for k, v := range attrs.All() {
		s.buf = appendAttribute(s.buf[:0], k, v)
		h += maphash.Bytes(s.seed, s.buf)
	}
	return h
}

// maxRememberedResource bounds the encoded resource a model remembers (model.resKey).
const maxRememberedResource = 1024

// resourceHash is hashMap of the resource, reused when the model's last cumulative point came
// from a resource with the same attributes in the same order: comparing their encoding costs
// less than hashing it again, and confirms the identity (appendAttribute).
func (s *series) resourceHash() uint64 {
	b := s.buf[:0]
	s.ends = s.ends[:0]
	for k, v := range s.res.All() {
		b = appendAttribute(b, k, v)
		s.ends = append(s.ends, len(b))
	}
	s.buf = b
	m := s.model
	if m != nil && m.resKey != nil && bytes.Equal(m.resKey, b) {
		return m.resHash
	}
	var h uint64
	start := 0
	for _, end := range s.ends {
		h += maphash.Bytes(s.seed, b[start:end])
		start = end
	}
	if m != nil && len(b) <= maxRememberedResource {
		m.resKey = append(m.resKey[:0], b...)
		m.resHash = h
	}
	return h
}

// appendAttribute appends one attribute's encoding: key, value type and value. Every part
// delimits itself (lengths first, fixed sizes otherwise), so a sequence of attributes encodes
// only itself: a value cannot pass for more attributes, and equal encodings are equal attributes.
func appendAttribute(b []byte, k string, v pcommon.Value) []byte {
	b = appendString(b, k)
	b = append(b, byte(v.Type()))
	switch v.Type() {
	case pcommon.ValueTypeStr:
		b = appendString(b, v.Str())
	case pcommon.ValueTypeInt:
		b = binary.LittleEndian.AppendUint64(b, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		var bit byte
		if v.Bool() {
			bit = 1
		}
		b = append(b, bit)
	case pcommon.ValueTypeBytes:
		bs := v.Bytes()
		b = binary.AppendUvarint(b, uint64(bs.Len()))
		for i := range bs.Len() {
			b = append(b, bs.At(i))
		}
	case pcommon.ValueTypeEmpty:
	default: // maps and slices are rare in stream identities
		b = appendString(b, v.AsString())
	}
	return b
}

// appendString appends s with its length first, so consecutive strings cannot run together.
func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// mix is splitmix64's finaliser: it spreads the bits of combined hashes.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
