//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// Flood shape: floodRounds requests of floodModels distinct models each, every model new.
const (
	floodRounds = 60
	floodModels = 500
	maxModels   = 20
	// maxGrowthKB bounds how much the resident set may grow while the second half of the flood
	// brings 15,000 more models. Tracking them all would take about 40 MiB more.
	maxGrowthKB = 16 << 10
	// maxPeakKB bounds the collector's peak resident set over the whole test (about 45 MiB).
	maxPeakKB = 128 << 10
)

// TestCardinalityFloodIsBounded: far more distinct models than max_models arrive; the collector
// stays up, its memory stays bounded, and the models it already tracked still get their jobs.
func TestCardinalityFloodIsBounded(t *testing.T) {
	secret := newSecret(t)
	tr := newTrainer(t, secret)
	cfg := newConfig(t, tr.hookURL(), secret)
	cfg.MaxModels = maxModels
	col := startCollector(t, cfg)
	apps := startApps(t, cfg, servingapp.GRPC, false)

	waitFor(t, 15*time.Second, "the collector to track the three models", func() bool {
		return col.metric("otelcol_processor_retrain_models") >= 3
	})

	conn, err := grpc.NewClient(cfg.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer func() { assert.NoError(t, conn.Close()) }()
	client := pmetricotlp.NewGRPCClient(conn)
	flood := func(from, to int) {
		for round := from; round < to; round++ {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := client.Export(ctx, pmetricotlp.NewExportRequestFromMetrics(floodRequest(round)))
			cancel()
			require.NoError(t, err, "flood round %d", round)
		}
	}
	flood(0, floodRounds/2)
	rssHalf, _ := col.memoryKB()
	flood(floodRounds/2, floodRounds)
	rssFull, peak := col.memoryKB()
	t.Logf("resident set: %d MiB after %d models, %d MiB after %d; peak %d MiB",
		rssHalf>>10, floodRounds/2*floodModels, rssFull>>10, floodRounds*floodModels, peak>>10)

	require.NoError(t, col.running())
	assert.Greater(t, col.metric("otelcol_processor_retrain_data_points_skipped", `reason="over_max_models"`), 0.0,
		"points of models beyond max_models are counted as skipped")
	assert.LessOrEqual(t, col.metric("otelcol_processor_retrain_models"), float64(maxModels), "models tracked")

	// The known models degrade only now, so their jobs come from windows kept through the flood.
	for _, a := range apps {
		a.degraded.Store(true)
	}
	waitFor(t, 30*time.Second, "jobs for the known slow and drifting models", func() bool {
		return tr.hasDelivered(slowModel, driftingModel)
	}, tr.summary)
	tr.requireWellFormed(t)
	jobs := tr.delivered(t)
	assert.NotContains(t, jobs, healthyModel)
	checkJob(t, jobs[slowModel], apps[slowModel], "latency_sla")
	checkJob(t, jobs[driftingModel], apps[driftingModel], "accuracy_drift")

	require.NoError(t, col.running())
	_, peak = col.memoryKB()
	assert.Less(t, rssFull-rssHalf, int64(maxGrowthKB), "resident set growth over the second half of the flood, KiB")
	assert.Less(t, peak, int64(maxPeakKB), "peak resident set, KiB")
}

// floodRequest is one OTLP request with floodModels models never seen before, each with a small
// delta latency histogram and an accuracy reading, as a fleet of short-lived models would send.
func floodRequest(round int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	now := pcommon.NewTimestampFromTime(time.Now())
	for i := range floodModels {
		rm := md.ResourceMetrics().AppendEmpty()
		attrs := rm.Resource().Attributes()
		attrs.PutStr("service.name", "flood-api")
		attrs.PutStr("ml.model.id", fmt.Sprintf("flood-%d-%d", round, i))
		attrs.PutStr("ml.model.version", "1")
		ms := rm.ScopeMetrics().AppendEmpty().Metrics()

		latency := ms.AppendEmpty()
		latency.SetName(servingapp.LatencyMetric)
		latency.SetUnit("ms")
		h := latency.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		dp := h.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(now - pcommon.Timestamp(time.Second))
		dp.SetTimestamp(now)
		dp.ExplicitBounds().FromRaw(sdkBounds)
		counts := make([]uint64, len(sdkBounds)+1)
		counts[3] = 5
		dp.BucketCounts().FromRaw(counts)
		dp.SetCount(5)
		dp.SetSum(100)

		accuracy := ms.AppendEmpty()
		accuracy.SetName(servingapp.AccuracyMetric)
		accuracy.SetUnit("1")
		g := accuracy.SetEmptyGauge().DataPoints().AppendEmpty()
		g.SetTimestamp(now)
		g.SetDoubleValue(0.99)
	}
	return md
}
