package retrainexporter

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/otelcol"

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
		{"bad_endpoint_scheme_credentials", `endpoint must be an http or https URL (got "ftp://retrain:xxxxx@trainer.example/hook")`},
		{"bad_endpoint_no_host_credentials", `endpoint must name a host (got "http://retrain:xxxxx@/hook")`},
		{"bad_endpoint_port_credentials", `endpoint "http://retrain:xxxxx@trainer.example:80x/hook" is not a valid URL: invalid port ":80x" after host`},
		{"bad_endpoint_no_scheme_credentials", `endpoint must be an http or https URL (got "retrain:xxxxx@trainer.example/hook")`},
		{"bad_endpoint_password_encoding", `endpoint "http://retrain:xxxxx@trainer.example/hook" is not a valid URL: its password must be percent-encoded`},
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

func TestRedactEndpoint(t *testing.T) {
	tests := []struct {
		name, endpoint, want string
	}{
		{"no userinfo", "https://trainer.example/hooks/retrain?x=1", "https://trainer.example/hooks/retrain?x=1"},
		{"an @ in the path is no password", "https://trainer.example/hooks/a:b@c", "https://trainer.example/hooks/a:b@c"},
		{"user without password", "https://retrain@trainer.example/hook", "https://retrain@trainer.example/hook"},
		{"user and password", "https://retrain:s3cret@trainer.example/hook", "https://retrain:xxxxx@trainer.example/hook"},
		{"password with an escaped @", "https://retrain:p%40ss@trainer.example/hook", "https://retrain:xxxxx@trainer.example/hook"},
		{"password with a raw @", "https://retrain:p@ss@trainer.example/hook", "https://retrain:xxxxx@trainer.example/hook"},
		{"empty password", "https://retrain:@trainer.example/hook", "https://retrain:xxxxx@trainer.example/hook"},
		{"no scheme", "retrain:s3cret@trainer.example/hook", "retrain:xxxxx@trainer.example/hook"},
		{"one slash", "http:/retrain:s3cret@trainer.example/hook", "http:/retrain:xxxxx@trainer.example/hook"},
		{"bad port", "http://retrain:s3cret@trainer.example:80x/hook", "http://retrain:xxxxx@trainer.example:80x/hook"},
		{"unescaped space", "http://retrain:s3 cret@trainer.example/hook", "http://retrain:xxxxx@trainer.example/hook"},
		{"unescaped slash", "http://retrain:s3/cret@trainer.example/hook", "http://retrain:xxxxx@trainer.example/hook"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, redactEndpoint(tt.endpoint))
		})
	}
}

// credentialsConfig is the full test config with a password in its endpoint and its proxy_url.
func credentialsConfig(t *testing.T) *Config {
	t.Helper()
	cfg, err := loadConfig(t, "full")
	require.NoError(t, err)
	cfg.ClientConfig.Endpoint = "https://retrain:EndpointPassw0rd@airflow.example/api/v1/dags/retrain/dagRuns"
	cfg.ClientConfig.ProxyURL = "http://proxy:ProxyPassw0rd@proxy.example:3128"
	return cfg
}

// TestMarshalRedactsPasswords marshals the config the way `print-config --mode redacted` does:
// the collector's whole config, with the exporter's config behind the component.Config interface.
func TestMarshalRedactsPasswords(t *testing.T) {
	cfg := credentialsConfig(t)
	before := *cfg
	collectorCfg := &otelcol.Config{Exporters: map[component.ID]component.Config{component.MustNewID("retrain"): cfg}}

	conf := confmap.New()
	require.NoError(t, conf.Marshal(collectorCfg))

	assert.Equal(t, "https://retrain:xxxxx@airflow.example/api/v1/dags/retrain/dagRuns", conf.Get("exporters::retrain::endpoint"))
	assert.Equal(t, "http://proxy:xxxxx@proxy.example:3128", conf.Get("exporters::retrain::proxy_url"))
	assert.Equal(t, "[REDACTED]", conf.Get("exporters::retrain::signing_secret"), "opaque values stay redacted")
	printed := fmt.Sprint(conf.ToStringMap())
	for _, secret := range []string{"EndpointPassw0rd", "ProxyPassw0rd", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		assert.NotContains(t, printed, secret)
	}
	assert.Equal(t, before, *cfg, "the exporter keeps its real endpoint")
}

// TestMarshalChangesOnlyThePasswords compares with confmap's own marshalling of the same fields.
func TestMarshalChangesOnlyThePasswords(t *testing.T) {
	cfg := credentialsConfig(t)
	got := confmap.New()
	require.NoError(t, got.Marshal(cfg))

	type fieldsOnly Config // Config's fields without its Marshal method
	want := fieldsOnly(*cfg)
	want.ClientConfig.Endpoint = "https://retrain:xxxxx@airflow.example/api/v1/dags/retrain/dagRuns"
	want.ClientConfig.ProxyURL = "http://proxy:xxxxx@proxy.example:3128"
	plain := confmap.New()
	require.NoError(t, plain.Marshal(want))
	assert.Equal(t, plain.ToStringMap(), got.ToStringMap())

	// What print-config prints loads back: the redacted endpoint is still a valid one.
	back := createDefaultConfig().(*Config)
	require.NoError(t, got.Unmarshal(back))
	require.NoError(t, back.Validate())
	assert.Equal(t, want.ClientConfig.Endpoint, back.ClientConfig.Endpoint)
}
