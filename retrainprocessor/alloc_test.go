//go:build !race

package retrainprocessor

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The race detector changes allocations (and makes a sync.Pool drop items at random), so
// allocation counts only mean something without it; `make test` runs this file in a second,
// race-free pass.

func TestSteadyStateIngestAllocatesNothing(t *testing.T) {
	h, md := steadyState(t)
	allocs := testing.AllocsPerRun(100, func() { h.p.ingest(context.Background(), md) })
	assert.Zero(t, allocs)
}

// In the collector the decoder's garbage runs a GC every few requests: the request scratch must
// outlive them (a sync.Pool would be emptied, and every request would allocate its buffers again).
func TestIngestAcrossGCsAllocatesNothing(t *testing.T) {
	h, md := steadyState(t)
	allocs := testing.AllocsPerRun(20, func() {
		runtime.GC()
		runtime.GC()
		h.p.ingest(context.Background(), md)
	})
	assert.Zero(t, allocs)
}

// steadyState is a processor that has seen a model's delta latency point, and that point.
func steadyState(t *testing.T) (*harness, pmetric.Metrics) {
	h := newHarness(t, testConfig(), t0)
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("ml.model.id", "fraud-detector")
	lat := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	lat.SetName("ml.model.latency")
	hist := lat.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	dp := hist.DataPoints().AppendEmpty()
	dp.ExplicitBounds().FromRaw(sdkBounds)
	counts := make([]uint64, len(sdkBounds)+1)
	counts[7] = 20
	dp.BucketCounts().FromRaw(counts)
	dp.SetCount(20)
	ts := t0.Add(-time.Minute)
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	for range 10 { // warm the model, its slots and the scratch
		h.p.ingest(context.Background(), md)
	}
	return h, md
}
