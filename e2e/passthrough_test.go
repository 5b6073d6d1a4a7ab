//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// TestMetricsPassThroughUnchanged: the OTLP backend behind the collector's otlp_grpc exporter
// receives exactly the data points the SDK sent, the retrain processor in between. The processor
// adds its health metrics to the pipeline, in resources of their own under its scope: those are
// left out of the comparison (health_test.go checks them), and must be the apps' resources.
func TestMetricsPassThroughUnchanged(t *testing.T) {
	secret := newSecret(t)
	tr := newTrainer(t, secret)
	backend := newSink(t)
	cfg := newConfig(t, tr.hookURL(), secret)
	cfg.Sink = backend.addr
	col := startCollector(t, cfg)

	var captures []*capture
	var apps []*app
	for _, p := range []struct {
		model    string
		protocol servingapp.Protocol
	}{{slowModel, servingapp.GRPC}, {driftingModel, servingapp.HTTP}} {
		c := &capture{}
		captures = append(captures, c)
		apps = append(apps, startApp(t, cfg, p.model, p.protocol, true, func(e sdkmetric.Exporter) sdkmetric.Exporter {
			c.Exporter = e
			return c
		}))
	}
	// Enough exports that the processor has windows and emits a job while the data flows.
	waitFor(t, 30*time.Second, "jobs while metrics flow", func() bool {
		return tr.hasDelivered(slowModel, driftingModel)
	}, tr.summary)
	for _, a := range apps {
		a.stop(t) // flushes the last export
	}

	var sent []string
	for _, c := range captures {
		points, exports := c.sent()
		require.GreaterOrEqual(t, exports, 3, "exports of one app")
		sent = append(sent, points...)
	}
	waitFor(t, 15*time.Second, "the backend to receive every data point sent", func() bool {
		return len(backend.receivedFromApps()) >= len(sent)
	}, func() string {
		return fmt.Sprintf("the backend has %d of %d data points", len(backend.receivedFromApps()), len(sent))
	})
	require.NoError(t, col.running())

	got := backend.receivedFromApps()
	slices.Sort(sent)
	slices.Sort(got)
	assert.Equal(t, sent, got)

	// The points left out are the processor's health metrics about the apps' models.
	resources := map[string]bool{}
	for _, c := range captures {
		points, _ := c.sent()
		for _, p := range points {
			resources[strings.SplitN(p, " | ", 2)[0]] = true
		}
	}
	health := backend.health()
	require.NotEmpty(t, health, "the processor's health metrics")
	for _, p := range health {
		assert.True(t, resources[sortedPairs(p.resource)], "health point of a resource no app sent: %s", p.canonical)
	}
}
