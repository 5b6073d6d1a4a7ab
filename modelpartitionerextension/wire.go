package modelpartitionerextension // import "github.com/visutility/otelcol-retrain/modelpartitionerextension"

import "strconv"

// This file reads the model and version attributes of the first resource of an OTLP protobuf
// export request straight from the wire format, without decoding it into pdata and without
// allocating. The three requests share the shape it relies on:
//
//	Export{Metrics,Logs,Trace}ServiceRequest { 1: repeated Resource{Metrics,Logs,Spans} }
//	Resource{Metrics,Logs,Spans}             { 1: Resource }
//	Resource                                 { 1: repeated KeyValue attributes }
//	KeyValue                                 { 1: string key, 2: AnyValue value }
//	AnyValue                                 { oneof: 1: string string_value, 3: int64 int_value,
//	                                           2, 4..7: others }
//
// Anything that does not parse as protobuf on the way to the attributes is malformed; the walk
// never reads outside the payload and never panics.

// outcome is how a record was partitioned; it is the outcome attribute of
// otelcol_model_partitioner_records.
type outcome uint8

const (
	// outcomeModel: the record's first resource has the model attribute as a non-empty string
	// or as an int (which names the model by its decimal text, as in the retrain processor).
	outcomeModel outcome = iota
	// outcomeNoAttribute: the first resource has no model attribute, or an empty one, or the
	// request has no resource.
	outcomeNoAttribute
	// outcomeNotString: the model attribute is there but is neither a string nor an int (a bool,
	// a double, a list, an empty value...).
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

// attrValue is a model or version attribute as the walk read it: a string, a sub-slice of the
// record value, or an int, kept as a number so that reading it allocates nothing.
type attrValue struct {
	str   []byte
	int   int64
	isInt bool
}

// maxIntText is the length of the longest decimal int64, "-9223372036854775808".
const maxIntText = 20

// text is the name the retrain processor gives the value (its attributeString): the string
// itself, or the int's decimal text (pcommon.Value.AsString), formatted into buf.
func (v *attrValue) text(buf *[maxIntText]byte) []byte {
	if v.isInt {
		return strconv.AppendInt(buf[:0], v.int, 10)
	}
	return v.str
}

// empty reports an empty string; an int is never empty.
func (v *attrValue) empty() bool { return !v.isInt && len(v.str) == 0 }

// found is what the walk read from one record's value.
type found struct {
	// model is set when outcome is outcomeModel; version is zero (empty) when the version is
	// absent or neither a string nor an int.
	model, version attrValue
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
// payload (for varints, the varint's bytes). ok is false at the end of the message; bad is
// true when the message is malformed (the iteration must stop then).
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
		start := i
		if _, i = varint(f.b, i); i < 0 {
			return 0, 0, nil, false, true
		}
		val = f.b[start:i]
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
// i = -1 when it is truncated or longer than 10 bytes. Bits past the 64th are dropped, as
// pdata's decoder drops them.
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
	model, version         attrValue
	modelSeen, versionSeen bool
	modelNames             bool // the model attribute is a string or an int
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
	case !s.modelSeen || (s.modelNames && s.model.empty()):
		return found{outcome: outcomeNoAttribute}
	case !s.modelNames:
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
			if s.model, s.modelNames, bad = anyValue(value); bad {
				return false, true
			}
			if !s.modelNames || s.model.empty() {
				return true, false // no version makes up for a missing model
			}
		case w.versionKey != "" && !s.versionSeen && string(key) == w.versionKey:
			s.versionSeen = true
			var names bool
			if s.version, names, bad = anyValue(value); bad {
				return false, true
			}
			if !names {
				s.version = attrValue{}
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

// anyValue reads an AnyValue as a model or version: names is true when it is a string or an
// int. The last field of its oneof decides its type, as in protobuf; an empty AnyValue (or
// none) names nothing. A string or int field of the wrong wire type is malformed, as pdata
// rejects it.
func anyValue(b []byte) (v attrValue, names, bad bool) {
	// Fast paths: a string_value alone, an int_value alone.
	if len(b) > 0 {
		switch b[0] {
		case 1<<3 | wireBytes:
			if n, i := varint(b, 1); i > 0 && n == uint64(len(b)-i) {
				return attrValue{str: b[i:]}, true, false
			}
		case 3<<3 | wireVarint:
			if x, i := varint(b, 1); i == len(b) {
				return attrValue{int: int64(x), isInt: true}, true, false
			}
		}
	}
	msg := fields{b: b}
	for {
		num, wt, val, ok, bad := msg.next()
		if bad {
			return attrValue{}, false, true
		}
		if !ok {
			return v, names, false
		}
		switch {
		case num == 1:
			if wt != wireBytes {
				return attrValue{}, false, true
			}
			v, names = attrValue{str: val}, true
		case num == 3:
			if wt != wireVarint {
				return attrValue{}, false, true
			}
			x, _ := varint(val, 0) // next has checked it
			v, names = attrValue{int: int64(x), isInt: true}, true
		case num <= 7:
			v, names = attrValue{}, false
		}
	}
}
