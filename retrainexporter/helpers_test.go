package retrainexporter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/internal/webhook"
	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadatatest"
)

var t0 = time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)

// delivery is one request a trainer received.
type delivery struct {
	header http.Header
	body   []byte
	at     time.Time
}

// trainer is a real HTTP server playing a training system's webhook. answer decides each
// response from the request number (0-based) and the webhook id; nil answers 200.
type trainer struct {
	*httptest.Server
	mu       sync.Mutex
	received []delivery
	answer   func(n int, id string, w http.ResponseWriter) bool // true: handled
}

func newTrainer(t *testing.T, answer func(n int, id string, w http.ResponseWriter) bool) *trainer {
	tr := &trainer{answer: answer}
	tr.Server = httptest.NewServer(http.HandlerFunc(tr.serve))
	t.Cleanup(tr.Close)
	return tr
}

func (tr *trainer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	tr.mu.Lock()
	n := len(tr.received)
	tr.received = append(tr.received, delivery{header: r.Header.Clone(), body: body, at: time.Now()})
	answer := tr.answer
	tr.mu.Unlock()
	if answer != nil && answer(n, r.Header.Get(headerWebhookID), w) {
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (tr *trainer) deliveries() []delivery {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]delivery(nil), tr.received...)
}

// ids lists the webhook ids received, in order.
func (tr *trainer) ids() []string {
	var out []string
	for _, d := range tr.deliveries() {
		out = append(out, d.header.Get(headerWebhookID))
	}
	return out
}

func testJob(model string) job.Job {
	return job.Job{
		ID:           job.NewID(model, "1", t0),
		ModelID:      model,
		ModelVersion: "1",
		Reasons:      []string{"latency_sla"},
		Strategy:     "any",
		RequestedAt:  t0,
		WindowStart:  t0.Add(-5 * time.Minute),
		WindowEnd:    t0,
		Evidence: []job.Evidence{
			{Observer: "latency_sla", Statistic: "p99", Value: 153.2, Threshold: 100, Unit: "ms", Samples: 5000, Flagged: true},
		},
		Resource: map[string]any{"service.name": model + "-api", "ml.model.id": model},
	}
}

func jobLogs(jobs ...job.Job) plog.Logs {
	ld := plog.NewLogs()
	for _, j := range jobs {
		job.Append(ld, "test", j)
	}
	return ld
}

// testConfig is the default config aimed at url, with fast retries and no queue, so ConsumeLogs
// returns once every job was delivered or given up on.
func testConfig(url string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = url
	cfg.RetryConfig.InitialInterval = time.Millisecond
	cfg.RetryConfig.MaxInterval = 5 * time.Millisecond
	cfg.RetryConfig.MaxElapsedTime = 10 * time.Second
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	return cfg
}

// host exposes extensions to the exporter's Start.
type host struct {
	component.Host
	ext map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.ext }

func nopHost() component.Host { return host{Host: componenttest.NewNopHost()} }

type testExporter struct {
	exporter.Logs
	tel *componenttest.Telemetry
}

// startExporter builds the exporter with the real factory and starts it on h.
func startExporter(t *testing.T, cfg *Config, h component.Host) *testExporter {
	t.Helper()
	return startExporterOn(t, cfg, h, nil)
}

func startExporterWithLogger(t *testing.T, cfg *Config, logger *zap.Logger) *testExporter {
	t.Helper()
	return startExporterOn(t, cfg, nopHost(), logger)
}

func startExporterOn(t *testing.T, cfg *Config, h component.Host, logger *zap.Logger) *testExporter {
	t.Helper()
	require.NoError(t, cfg.Validate())
	tel := componenttest.NewTelemetry()
	set := metadatatest.NewSettings(tel)
	if logger != nil {
		set.Logger = logger
	}
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), h))
	t.Cleanup(func() {
		require.NoError(t, exp.Shutdown(context.Background()))
		require.NoError(t, tel.Shutdown(context.Background()))
	})
	return &testExporter{Logs: exp, tel: tel}
}

// verify checks a Standard Webhooks signature the way a trainer would, with the verifier the
// demo trainer uses.
func verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	v, err := webhook.NewVerifier(secret, tolerance)
	if err != nil {
		return err
	}
	return v.Verify(h, body, now)
}

// newStartedExporter builds the exporter's core without exporterhelper, for calling post directly.
func newStartedExporter(t *testing.T, cfg *Config) *retrainExporter {
	t.Helper()
	require.NoError(t, cfg.Validate())
	e, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), nopHost()))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	return e
}

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }

// withID is the attribute set kvs plus the component ID every measurement of the exporter's own
// metrics carries: exporter="retrain", the ID metadatatest.NewSettings gives the instances the tests build.
func withID(kvs ...attribute.KeyValue) attribute.Set {
	return attribute.NewSet(append(kvs, attribute.String("exporter", "retrain"))...)
}
