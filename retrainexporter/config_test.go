package retrainexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config), confmap.Validate(cfg)
}

func TestDefaultConfig(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.NoError(t, err)
	want := createDefaultConfig().(*Config)
	want.ClientConfig.Endpoint = "https://trainer.example/hooks/retrain"
	assert.Equal(t, want, cfg)
	assert.Equal(t, 10*time.Second, cfg.ClientConfig.Timeout)
	assert.True(t, cfg.RetryConfig.Enabled)
	assert.Zero(t, cfg.RetryConfig.MaxElapsedTime, "retry until delivered")
	assert.True(t, cfg.QueueConfig.HasValue())
}

func TestFullConfig(t *testing.T) {
	cfg, err := loadConfig(t, "full")
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, cfg.ClientConfig.Timeout)
	v, ok := cfg.ClientConfig.Headers.Get("X-Team")
	require.True(t, ok)
	assert.Equal(t, configopaque.String("ml-platform"), v)
	assert.Equal(t, configopaque.String("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), cfg.SigningSecret)
	assert.Len(t, cfg.SigningSecrets, 1)
	assert.Equal(t, []int{409}, cfg.DeliveredStatusCodes)
	assert.Equal(t, int64(50), cfg.QueueConfig.Get().QueueSize)
	assert.Equal(t, component.MustNewID("file_storage"), *cfg.QueueConfig.Get().StorageID)
	assert.Equal(t, 24*time.Hour, cfg.RetryConfig.MaxElapsedTime)
	keys, err := cfg.keys()
	require.NoError(t, err)
	assert.Len(t, keys, 2)
}

func TestValidateRejectsBadValues(t *testing.T) {
	tests := []struct {
		name, want string
	}{
		{"bad_no_endpoint", "endpoint must be set"},
		{"bad_endpoint_scheme", `endpoint must be an http or https URL (got "ftp://trainer.example/hook")`},
		{"bad_endpoint_no_host", `endpoint must name a host (got "http:///hook")`},
		{"bad_template", "body_template does not parse"},
		{"bad_empty_secret", "signing_secrets[0] must not be empty"},
		{"bad_secret_base64", "signing_secret: a whsec_ secret must be base64"},
		{"bad_status_code", "delivered_status_codes[1] must be an HTTP status from 200 to 599 (got 99)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.name)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "TOPSECRET", "errors never quote a secret")
		})
	}
}
