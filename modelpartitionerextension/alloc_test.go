//go:build !race

package modelpartitionerextension

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The race detector changes allocation counts; `make test` runs this file in a second,
// race-free pass (-run AllocatesNothing).

func TestPartitionAllocatesNothing(t *testing.T) {
	h := newHarness(t, defaultConfig())
	for _, tc := range []struct {
		name string
		r    *kgo.Record
	}{
		{"model early", &kgo.Record{Key: []byte("0123456789abcdef"), Value: benchPayload(t, true)}},
		{"model last", &kgo.Record{Key: []byte("0123456789abcdef"), Value: benchPayload(t, false)}},
		{"int model and version", &kgo.Record{Key: []byte("0123456789abcdef"), Value: benchPayloadOf(t, true, int64(math.MinInt64), int64(-3))}},
		{"int model, no key", &kgo.Record{Value: payload(t, signalMetrics, attr{modelAttr, int64(math.MaxInt64)})}},
		{"double model, key", &kgo.Record{Key: []byte("0123456789abcdef"), Value: payload(t, signalMetrics, attr{modelAttr, 1.5})}},
		{"no attribute, key", &kgo.Record{Key: []byte("0123456789abcdef"), Value: payload(t, signalMetrics, attr{"a", "b"})}},
		{"malformed, no key", &kgo.Record{Value: []byte("{}")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.tp.Partition(tc.r, 12) // the first fallback logs
			assert.Zero(t, testing.AllocsPerRun(1000, func() {
				h.tp.RequiresConsistency(tc.r)
				h.tp.Partition(tc.r, 12)
			}))
		})
	}
}
