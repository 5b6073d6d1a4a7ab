//go:build e2e

package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// shutdownBudget is how long a SIGTERM may take to stop the collector.
const shutdownBudget = 5 * time.Second

// TestSIGTERMShutsDownCleanly: with data flowing, and with a job retrying against a trainer that
// is down, SIGTERM stops the collector within a few seconds with exit code 0.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	for _, tc := range []struct {
		name        string
		trainerDown bool
	}{
		{"while jobs are delivered", false},
		{"while a job retries against a down trainer", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			secret := newSecret(t)
			tr := newTrainer(t, secret)
			tr.setDown(tc.trainerDown)
			cfg := newConfig(t, tr.hookURL(), secret)
			col := startCollector(t, cfg)
			startApps(t, cfg, servingapp.GRPC, true)
			waitFor(t, 30*time.Second, "a delivery attempt", func() bool { return len(tr.all()) > 0 }, tr.summary)

			col.signal(syscall.SIGTERM)
			began := time.Now()
			code, err := col.waitExit(shutdownBudget)
			require.NoError(t, err)
			assert.Equal(t, 0, code, "exit code after SIGTERM")
			t.Logf("shutdown took %s", time.Since(began).Round(time.Millisecond))
			assert.Contains(t, col.output(), "Shutdown complete.")
		})
	}
}

// TestBadConfigNamesTheKey: a config with a bad value stops the collector at start with a
// non-zero exit code and a message naming the key.
func TestBadConfigNamesTheKey(t *testing.T) {
	tests := []struct {
		name, from, to, want string
	}{
		{"negative min_samples", "min_samples: 200", "min_samples: -1", "min_samples must not be negative (got -1)"},
		{"window shorter than the interval", "window: 5s", "window: 500ms", "window must be at least evaluation_interval"},
		{"percentile out of range", "strategy: {cooldown: 1h}", "strategy: {cooldown: 1h}\n    observers: {latency_sla: {percentile: 1.5}}", "observers::latency_sla::percentile must be in (0, 1) (got 1.5)"},
		{"unknown vote", "strategy: {cooldown: 1h}", "strategy: {cooldown: 1h, vote: most}", "strategy::vote"},
		{"endpoint not http", `endpoint: "http://127.0.0.1:1/hooks/retrain"`, `endpoint: "ftp://127.0.0.1:1/hooks/retrain"`, "endpoint must be an http or https URL"},
		{"misspelt key", "min_samples: 200", "min_sample: 200", "has invalid keys: min_sample"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := newConfig(t, "http://127.0.0.1:1/hooks/retrain", "whsec_c2VjcmV0")
			good := cfg.render(t)
			require.Contains(t, good, tt.from)
			col := runCollector(t, writeConfig(t, strings.Replace(good, tt.from, tt.to, 1)))
			code, err := col.waitExit(15 * time.Second)
			require.NoError(t, err, "a collector with a bad config must not start")
			assert.NotEqual(t, 0, code, "exit code")
			assert.Contains(t, col.output(), tt.want)
		})
	}
}
