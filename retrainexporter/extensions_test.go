package retrainexporter

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/bearertokenauthextension"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configauth"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadatatest"
)

// startExtension creates and starts a real extension from its factory.
func startExtension(t *testing.T, f extension.Factory, cfg component.Config) extension.Extension {
	t.Helper()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	return ext
}

func TestTLSWithATestCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600))

	trusted := testConfig(srv.URL)
	trusted.ClientConfig.TLS.CAFile = caFile
	require.NoError(t, newStartedExporter(t, trusted).post(context.Background(), testJob("m"), []byte(`{}`)))

	unknown := testConfig(srv.URL)
	err := newStartedExporter(t, unknown).post(context.Background(), testJob("m"), []byte(`{}`))
	require.Error(t, err, "a client that does not know the CA refuses the server")
	assert.Contains(t, err.Error(), "certificate")
}

func TestBearerTokenFromTheRealExtension(t *testing.T) {
	var auth atomic.Value
	tr := newTrainer(t, func(_ int, _ string, w http.ResponseWriter) bool { return false })
	tr.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
		tr.serve(w, r)
	})

	f := bearertokenauthextension.NewFactory()
	extCfg := f.CreateDefaultConfig().(*bearertokenauthextension.Config)
	extCfg.BearerToken = configopaque.String("trainer-token")
	ext := startExtension(t, f, extCfg)
	defer func() { require.NoError(t, ext.Shutdown(context.Background())) }()
	id := component.MustNewID("bearertokenauth")

	cfg := testConfig(tr.URL)
	cfg.ClientConfig.Auth = configoptional.Some(configauth.Config{AuthenticatorID: id})
	exp := startExporter(t, cfg, host{Host: componenttest.NewNopHost(), ext: map[component.ID]component.Component{id: ext}})
	require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(testJob("m"))))
	require.Len(t, tr.deliveries(), 1)
	assert.Equal(t, "Bearer trainer-token", auth.Load())
}

// TestQueuedJobsSurviveARestart queues jobs while the trainer is down, stops the exporter and its
// file_storage extension, starts new ones on the same directory with the trainer back, and checks
// that every job is delivered exactly once.
func TestQueuedJobsSurviveARestart(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var mu sync.Mutex
	accepted := map[string]int{}
	tr := newTrainer(t, func(_ int, id string, w http.ResponseWriter) bool {
		if down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return true
		}
		mu.Lock()
		accepted[id]++
		mu.Unlock()
		return false
	})
	dir := t.TempDir()
	storageID := component.MustNewID("file_storage")
	run := func() (exporter.Logs, func()) {
		f := filestorage.NewFactory()
		sc := f.CreateDefaultConfig().(*filestorage.Config)
		sc.Directory = dir
		ext := startExtension(t, f, sc)

		cfg := testConfig(tr.URL)
		cfg.RetryConfig.MaxElapsedTime = 0
		q := createDefaultConfig().(*Config).QueueConfig
		q.Get().StorageID = &storageID
		cfg.QueueConfig = q
		tel := componenttest.NewTelemetry()
		exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg)
		require.NoError(t, err)
		require.NoError(t, exp.Start(context.Background(), host{Host: componenttest.NewNopHost(), ext: map[component.ID]component.Component{storageID: ext}}))
		return exp, func() {
			require.NoError(t, exp.Shutdown(context.Background()))
			require.NoError(t, ext.Shutdown(context.Background()))
			require.NoError(t, tel.Shutdown(context.Background()))
		}
	}

	exp, stop := run()
	jobs := []string{}
	for _, m := range []string{"a", "b", "c"} {
		j := testJob(m)
		jobs = append(jobs, j.ID)
		require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(j)))
	}
	waitFor(t, func() bool { return len(tr.deliveries()) >= 3 }, "the trainer was tried")
	stop()

	down.Store(false)
	_, stop = run()
	defer stop()
	waitFor(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(accepted) == 3
	}, "every job delivered after the restart")
	time.Sleep(100 * time.Millisecond) // let a duplicate, if any, arrive
	mu.Lock()
	defer mu.Unlock()
	for _, id := range jobs {
		assert.Equal(t, 1, accepted[id], "job %s delivered once", id)
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
