//go:build !race

package retrainprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The race detector makes sync.Pool drop items at random, so allocation counts only mean something
// without it; `make test` runs this file in a second, race-free pass.

func TestSteadyStateIngestAllocatesNothing(t *testing.T) {
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
	for range 10 { // warm the model, its slots and the scratch pool
		h.p.ingest(context.Background(), md)
	}
	allocs := testing.AllocsPerRun(100, func() { h.p.ingest(context.Background(), md) })
	assert.Zero(t, allocs)
}
