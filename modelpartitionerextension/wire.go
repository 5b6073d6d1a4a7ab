package modelpartitionerextension // import "github.com/visutility/otelcol-retrain/modelpartitionerextension"

// This file reads the model and version attributes of the first resource of an OTLP protobuf
// export request straight from the wire format, without decoding it into pdata and without
// allocating. The three requests share the shape it relies on:
//
//	Export{Metrics,Logs,Trace}ServiceRequest { 1: repeated Resource{Metrics,Logs,Spans} }
//	Resource{Metrics,Logs,Spans}             { 1: Resource }
//	Resource                                 { 1: repeated KeyValue attributes }
//	KeyValue                                 { 1: string key, 2: AnyValue value }
//	AnyValue                                 { oneof: 1: string string_value, 2..7: others }
//
// Anything that does not parse as protobuf on the way to the attributes is malformed; the walk
// never reads outside the payload and never panics.

// outcome is how a record was partitioned; it is the outcome attribute of
// otelcol_model_partitioner_records.
type outcome uint8

const (
	// outcomeModel: the record's first resource has the model attribute as a non-empty string.
	outcomeModel outcome = iota
	// outcomeNoAttribute: the first resource has no model attribute, or an empty one, or the
	// request has no resource.
	outcomeNoAttribute
	// outcomeNotString: the model attribute is there but is not a string (an int, a bool...).
	outcomeNotString
	// outcomeMalformed: the value is not an OTLP protobuf request (truncated, garbage, JSON).
	outcomeMalformed

	numOutcomes
)

func (o outcome) String() string {
	switch o {
	case outcomeModel:
		return "model"
	case outcomeNoAttribute:
		return "no_attribute"
	case outcomeNotString:
		return "not_string"
	case outcomeMalformed:
		return "malformed"
	}
	return "unknown"
}

// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

// found is what the walk read from one record's value.
type found struct {
	model, version []byte // sub-slices of the value; version is nil when absent or not a string
	outcome        outcome
	// moreResources reports a second resource after the first: the exporter is not splitting
	// requests by resource (partition_metrics_by_resource_attributes is off).
	moreResources bool
}

// fields iterates over the fields of one protobuf message.
type fields struct {
	b []byte
	i int
}

// next returns the next field's number, wire type and, for length-delimited fields, its
// payload. ok is false at the end of the message; bad is true when the message is malformed
// (the iteration must stop then).
func (f *fields) next() (num uint64, wt uint8, val []byte, ok, bad bool) {
	if f.i >= len(f.b) {
		return 0, 0, nil, false, false
	}
	tag, i := varint(f.b, f.i)
	if i < 0 {
		return 0, 0, nil, false, true
	}
	num, wt = tag>>3, uint8(tag&7)
	if num == 0 {
		return 0, 0, nil, false, true
	}
	switch wt {
	case wireVarint:
		if _, i = varint(f.b, i); i < 0 {
			return 0, 0, nil, false, true
		}
	case wireFixed64:
		if len(f.b)-i < 8 {
			return 0, 0, nil, false, true
		}
		i += 8
	case wireFixed32:
		if len(f.b)-i < 4 {
			return 0, 0, nil, false, true
		}
		i += 4
	case wireBytes:
		var n uint64
		if n, i = varint(f.b, i); i < 0 || n > uint64(len(f.b)-i) {
			return 0, 0, nil, false, true
		}
		val = f.b[i : i+int(n)]
		i += int(n)
	default: // groups (3, 4) are not used by OTLP; 6 and 7 do not exist
		return 0, 0, nil, false, true
	}
	f.i = i
	return num, wt, val, true, false
}

// varint decodes the base-128 varint at b[i:] and returns it with the offset after it, or
// i = -1 when it is truncated or longer than 10 bytes.
func varint(b []byte, i int) (uint64, int) {
	var v uint64
	for shift := uint(0); shift < 70; shift += 7 {
		if i >= len(b) {
			return 0, -1
		}
		c := b[i]
		i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v, i
		}
	}
	return 0, -1
}

// walker looks for the model and version attributes; versionKey is empty when the partition
// depends on the model alone.
type walker struct {
	modelKey, versionKey string
}

// find reads the first resource's model and version attributes from an OTLP protobuf request.
// The first occurrence of each key wins (as pcommon.Map.Get), and the walk stops as soon as
// both are known.
func (w walker) find(value []byte) found {
	top := fields{b: value}
	for {
		num, wt, val, ok, bad := top.next()
		switch {
		case bad:
			return found{outcome: outcomeMalformed}
		case !ok:
			return found{outcome: outcomeNoAttribute} // no resource at all
		case num != 1:
			continue
		case wt != wireBytes:
			return found{outcome: outcomeMalformed}
		}
		r := w.resourceX(val)
		if r.outcome != outcomeMalformed {
			// One more tag tells whether the request holds another resource.
			if num, wt, _, ok, _ := top.next(); ok && num == 1 && wt == wireBytes {
				r.moreResources = true
			}
		}
		return r
	}
}

// search is the state of one walk over a resource's attributes.
type search struct {
	model, version         []byte
	modelSeen, versionSeen bool
	modelString            bool
}

// resourceX walks a ResourceMetrics, ResourceLogs or ResourceSpans: its resource (field 1)
// holds the attributes; the other fields (scopes, schema URL) are skipped without reading them.
func (w walker) resourceX(b []byte) found {
	var s search
	msg := fields{b: b}
	for {
		num, wt, val, ok, bad := msg.next()
		if bad {
			return found{outcome: outcomeMalformed}
		}
		if !ok {
			break
		}
		if num != 1 {
			continue
		}
		if wt != wireBytes {
			return found{outcome: outcomeMalformed}
		}
		done, bad := w.resource(val, &s)
		if bad {
			return found{outcome: outcomeMalformed}
		}
		if done {
			break
		}
	}
	switch {
	case !s.modelSeen || (s.modelString && len(s.model) == 0):
		return found{outcome: outcomeNoAttribute}
	case !s.modelString:
		return found{outcome: outcomeNotString}
	}
	return found{model: s.model, version: s.version, outcome: outcomeModel}
}

// resource walks one Resource's attributes into s; done reports that the walk can stop.
func (w walker) resource(b []byte, s *search) (done, bad bool) {
	msg := fields{b: b}
	for {
		num, wt, val, ok, bad := msg.next()
		if bad {
			return false, true
		}
		if !ok {
			return false, false
		}
		if num != 1 {
			continue
		}
		if wt != wireBytes {
			return false, true
		}
		key, value, bad := keyValue(val)
		if bad {
			return false, true
		}
		switch {
		case !s.modelSeen && string(key) == w.modelKey:
			s.modelSeen = true
			if s.model, s.modelString, bad = stringValue(value); bad {
				return false, true
			}
			if !s.modelString || len(s.model) == 0 {
				return true, false // no version makes up for a missing model
			}
		case w.versionKey != "" && !s.versionSeen && string(key) == w.versionKey:
			s.versionSeen = true
			var isString bool
			if s.version, isString, bad = stringValue(value); bad {
				return false, true
			}
			if !isString {
				s.version = nil
			}
		}
		if s.modelSeen && (w.versionKey == "" || s.versionSeen) {
			return true, false
		}
	}
}

// keyValue reads a KeyValue's key and value; a repeated field's last occurrence wins, as in
// protobuf.
func keyValue(b []byte) (key, value []byte, bad bool) {
	// Fast path: exactly a key and a value, in either order (pdata writes the value first).
	if len(b) > 0 && (b[0] == 1<<3|wireBytes || b[0] == 2<<3|wireBytes) {
		if n, i := varint(b, 1); i > 0 && n <= uint64(len(b)-i) {
			first, j := b[i:i+int(n)], i+int(n)
			if j < len(b) && b[j] == b[0]^(1<<3|wireBytes)^(2<<3|wireBytes) {
				if n, i := varint(b, j+1); i > 0 && n == uint64(len(b)-i) {
					if b[0] == 1<<3|wireBytes {
						return first, b[i:], false
					}
					return b[i:], first, false
				}
			}
		}
	}
	msg := fields{b: b}
	for {
		num, wt, val, ok, bad := msg.next()
		if bad {
			return nil, nil, true
		}
		if !ok {
			return key, value, false
		}
		switch num {
		case 1, 2:
			if wt != wireBytes {
				return nil, nil, true
			}
			if num == 1 {
				key = val
			} else {
				value = val
			}
		}
	}
}

// stringValue reads an AnyValue: the last field of its oneof decides its type, as in protobuf.
// An empty AnyValue (or none) is not a string.
func stringValue(b []byte) (s []byte, isString, bad bool) {
	// Fast path: a string_value alone.
	if len(b) > 0 && b[0] == 1<<3|wireBytes {
		if n, i := varint(b, 1); i > 0 && n == uint64(len(b)-i) {
			return b[i:], true, false
		}
	}
	msg := fields{b: b}
	for {
		num, wt, val, ok, bad := msg.next()
		if bad {
			return nil, false, true
		}
		if !ok {
			return s, isString, false
		}
		if num == 1 {
			if wt != wireBytes {
				return nil, false, true
			}
			s, isString = val, true
		} else if num <= 7 {
			s, isString = nil, false
		}
	}
}
