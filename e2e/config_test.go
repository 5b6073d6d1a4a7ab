//go:build e2e

package e2e

import (
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"text/template"

	"github.com/stretchr/testify/require"
)

// config is what varies between the collector configs of the tests.
type config struct {
	GRPC, HTTP, Telemetry string // listen addresses
	TrainerURL            string
	Secret                string
	MinSamples            int
	MaxModels             int
	Sink                  string // OTLP/gRPC backend for the metrics pipeline; "" sends metrics to debug
	QueueDir              string // file_storage directory for a persistent sending queue; "" keeps it in memory
	// StateDir is the file_storage directory the processor keeps its decision state and outbox in
	// (`storage: file_storage`); "" keeps them in memory. With QueueDir too, both must be the same.
	StateDir string
	// SendingQueue replaces the exporter's sending_queue (YAML flow, e.g. "{enabled: false}").
	SendingQueue string
	// Window, Cooldown and For override the processor's window (5s), strategy cooldown (1h) and
	// strategy `for` (0s), as collector durations.
	Window, Cooldown, For string
	// Scores, when set, adds the score signal (ml.model.score) and enables the prediction_drift
	// and estimated_accuracy observers with its settings; nil leaves both out of the config.
	Scores *scoreSettings
	// Status is the listen address of the processor's status page and API (`status::endpoint`);
	// "" leaves the status server off.
	Status string
}

// scoreSettings are the short settings of the score observers in a test's config.
type scoreSettings struct {
	ReferenceWindow string // prediction_drift's reference_window (pinned), a collector duration
	MinSamples      int    // prediction_drift's min_samples, on each side
}

// The processor evaluates every second over 5s windows, so a test sees a decision within seconds.
var configTemplate = template.Must(template.New("config").Parse(`
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "{{.GRPC}}"}
      http: {endpoint: "{{.HTTP}}"}
  nop:

processors:
  retrain:
    evaluation_interval: 1s
    window: {{or .Window "5s"}}
    min_samples: {{.MinSamples}}
    max_models: {{.MaxModels}}
    strategy: {cooldown: {{or .Cooldown "1h"}}{{with .For}}, for: {{.}}{{end}}}
{{- if .StateDir}}
    storage: file_storage
{{- end}}
{{- with .Status}}
    status: { endpoint: "{{.}}" }
{{- end}}
{{- with .Scores}}
    score: {metric: ml.model.score}
    observers:
      prediction_drift: {enabled: true, reference_window: {{.ReferenceWindow}}, min_samples: {{.MinSamples}}}
      estimated_accuracy: {enabled: true}
{{- end}}

exporters:
{{- if .Sink}}
  otlp_grpc/sink:
    endpoint: "{{.Sink}}"
    tls: {insecure: true}
{{- else}}
  debug:
    verbosity: basic
    sampling_initial: 1
    sampling_thereafter: 1000000
{{- end}}
  retrain:
    endpoint: "{{.TrainerURL}}"
    signing_secret: "{{.Secret}}"
    timeout: 2s
    retry_on_failure: {initial_interval: 100ms, max_interval: 500ms}
{{- if .SendingQueue}}
    sending_queue: {{.SendingQueue}}
{{- else if .QueueDir}}
    sending_queue: {storage: file_storage}
{{- end}}
{{- with .StorageDir}}

extensions:
  file_storage:
    directory: "{{.}}"
    create_directory: true
{{- end}}

service:
{{- if .StorageDir}}
  extensions: [file_storage]
{{- end}}
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus: {host: 127.0.0.1, port: {{.TelemetryPort}}}
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [retrain]
      exporters: [{{if .Sink}}otlp_grpc/sink{{else}}debug{{end}}]
    logs/retrain:
      receivers: [nop]
      processors: [retrain]
      exporters: [retrain]
`))

// TelemetryPort is the port of Telemetry, for the template.
func (c config) TelemetryPort() string {
	_, port, _ := net.SplitHostPort(c.Telemetry)
	return port
}

// newConfig returns a config with fresh ports, aimed at trainerURL.
func newConfig(t *testing.T, trainerURL, secret string) config {
	return config{
		GRPC:       freeAddr(t),
		HTTP:       freeAddr(t),
		Telemetry:  freeAddr(t),
		TrainerURL: trainerURL,
		Secret:     secret,
		MinSamples: 200,
		MaxModels:  100,
	}
}

// withFreshPorts returns c listening elsewhere, for a second collector on the same settings.
func (c config) withFreshPorts(t *testing.T) config {
	c.GRPC, c.HTTP, c.Telemetry = freeAddr(t), freeAddr(t), freeAddr(t)
	return c
}

// StorageDir is the directory of the file_storage extension, "" when there is none.
func (c config) StorageDir() string {
	if c.StateDir != "" {
		return c.StateDir
	}
	return c.QueueDir
}

func (c config) render(t *testing.T) string {
	t.Helper()
	if c.QueueDir != "" && c.StateDir != "" && c.QueueDir != c.StateDir {
		t.Fatalf("one file_storage serves the queue and the state: QueueDir %q and StateDir %q differ", c.QueueDir, c.StateDir)
	}
	var b bytes.Buffer
	require.NoError(t, configTemplate.Execute(&b, c))
	return b.String()
}

// writeConfig writes a collector config into the test's temp dir.
func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "collector-*.yaml")
	require.NoError(t, err)
	_, err = f.WriteString(yaml)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return f.Name()
}

// freeAddr returns a loopback address nobody listens on right now. Its port is below the
// kernel's ephemeral range (32768 and up on Linux), where the tests' own outgoing connections
// take their source ports: a port the kernel hands out for ":0" can be taken by such a
// connection before the collector binds it. Each port is handed out once per test process, so
// a collector restarted on its old ports never finds them given to another test.
func freeAddr(t *testing.T) string {
	t.Helper()
	for range portSpan {
		port := portBase + int(nextPort.Add(1))%portSpan
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // in use by something else: try the next
		}
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		return addr
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return ""
}

const (
	portBase = 20000
	portSpan = 12000 // up to 31999
)

// nextPort starts at a random point so two test processes side by side rarely meet.
var nextPort = func() *atomic.Int64 {
	var n atomic.Int64
	n.Store(rand.Int64N(portSpan))
	return &n
}()
