package status

import (
	"encoding/json"
	"math"
)

// number is a float64 that encodes ±Inf and NaN as null: encoding/json refuses them, and an
// explicit-bucket estimate's upper bound is +Inf when it falls in the overflow bucket.
type number float64

func (n number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// MarshalJSON encodes f as its struct tags say, with non-finite numbers as null.
func (f Finding) MarshalJSON() ([]byte, error) {
	type plain Finding // no methods: no recursion
	return json.Marshal(struct {
		plain
		Value     number `json:"value"`
		Lower     number `json:"lower,omitempty"`
		Upper     number `json:"upper,omitempty"`
		Threshold number `json:"threshold"`
	}{plain(f), number(f.Value), number(f.Lower), number(f.Upper), number(f.Threshold)})
}

// MarshalJSON encodes p as its struct tags say, with a non-finite value as null.
func (p Point) MarshalJSON() ([]byte, error) {
	type plain Point
	return json.Marshal(struct {
		plain
		Value number `json:"value"`
	}{plain(p), number(p.Value)})
}

// MarshalJSON encodes s as its struct tags say, with a non-finite threshold as null.
func (s Series) MarshalJSON() ([]byte, error) {
	type plain Series
	return json.Marshal(struct {
		plain
		Threshold number `json:"threshold"`
	}{plain(s), number(s.Threshold)})
}

// finiteResource returns res with every non-finite float, however deep, replaced by nil, so that
// a resource attribute of NaN cannot fail a whole response. It copies only when it must.
func finiteResource(res map[string]any) map[string]any {
	if !hasNonFinite(res) {
		return res
	}
	return finiteValue(res).(map[string]any)
}

func hasNonFinite(v any) bool {
	switch v := v.(type) {
	case float64:
		return math.IsInf(v, 0) || math.IsNaN(v)
	case float32:
		return math.IsInf(float64(v), 0) || math.IsNaN(float64(v))
	case map[string]any:
		for _, e := range v {
			if hasNonFinite(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasNonFinite(e) {
				return true
			}
		}
	case []float64:
		for _, e := range v {
			if hasNonFinite(e) {
				return true
			}
		}
	}
	return false
}

func finiteValue(v any) any {
	switch v := v.(type) {
	case float64, float32:
		if hasNonFinite(v) {
			return nil
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = finiteValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = finiteValue(e)
		}
		return out
	case []float64:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = finiteValue(e)
		}
		return out
	}
	return v
}
