package retrainexporter // import "github.com/visutility/otelcol-retrain/retrainexporter"

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"text/template"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Config is the retrain exporter's configuration.
type Config struct {
	// ClientConfig holds the HTTP settings: endpoint, timeout, headers, TLS, proxy, compression, auth.
	ClientConfig confighttp.ClientConfig                                  `mapstructure:",squash"`
	QueueConfig  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig  configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// SigningSecret signs each request (Standard Webhooks); a whsec_ prefix marks a base64 key.
	SigningSecret configopaque.String `mapstructure:"signing_secret"`
	// SigningSecrets signs with several secrets at once, for rotation.
	SigningSecrets []configopaque.String `mapstructure:"signing_secrets"`
	// BodyTemplate is a Go text/template over the job that renders the request body; empty means
	// the default JSON body.
	BodyTemplate string `mapstructure:"body_template"`
	// DeliveredStatusCodes are non-2xx answers that still count as delivered, such as 409 from a
	// trainer that already has a run with the job's id.
	DeliveredStatusCodes []int `mapstructure:"delivered_status_codes"`

	_ struct{}
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Marshaler = Config{}
)

func createDefaultConfig() component.Config {
	client := confighttp.NewDefaultClientConfig()
	client.Timeout = 10 * time.Second
	retry := configretry.NewDefaultBackOffConfig()
	// A retrain request must survive a trainer outage of any length: retry until it is delivered
	// or refused. The queue bounds what waits; only a persistent queue keeps it across a stop.
	retry.MaxElapsedTime = 0
	return &Config{
		ClientConfig: client,
		QueueConfig:  configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:  retry,
	}
}

// Validate checks every key at load; errors name the key and the bad value, never a secret.
func (cfg *Config) Validate() error {
	var errs []error
	if err := validateEndpoint(cfg.ClientConfig.Endpoint); err != nil {
		errs = append(errs, err)
	}
	if cfg.ClientConfig.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout must not be negative (got %s)", cfg.ClientConfig.Timeout))
	}
	if _, err := cfg.keys(); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseTemplate(cfg.BodyTemplate); err != nil {
		errs = append(errs, err)
	}
	for i, code := range cfg.DeliveredStatusCodes {
		if code < 200 || code > 599 {
			errs = append(errs, fmt.Errorf("delivered_status_codes[%d] must be an HTTP status from 200 to 599 (got %d)", i, code))
		}
	}
	return errors.Join(errs...)
}

func validateEndpoint(endpoint string) error {
	if endpoint == "" {
		return errors.New("endpoint must be set to the trainer's webhook URL")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		// url.Error quotes the URL it parsed: give the reason the redacted endpoint fails for.
		redacted := redactEndpoint(endpoint)
		_, err = url.Parse(redacted)
		if uerr, ok := errors.AsType[*url.Error](err); ok {
			err = uerr.Err
		} else if err == nil {
			err = errors.New("its password must be percent-encoded")
		}
		return fmt.Errorf("endpoint %q is not a valid URL: %w", redacted, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("endpoint must be an http or https URL (got %q)", redactEndpoint(endpoint))
	}
	if u.Host == "" {
		return fmt.Errorf("endpoint must name a host (got %q)", redactEndpoint(endpoint))
	}
	return nil
}

// redactEndpoint hides the password of an endpoint's userinfo the way url.URL.Redacted does
// (user:xxxxx@host), also in endpoints that are not valid URLs, so errors can quote them.
func redactEndpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return u.Redacted()
		}
		return endpoint
	}
	if err == nil && u.Opaque == "" && u.Host != "" {
		return endpoint // a URL without userinfo: an "@" in its path or query is no password
	}
	// "user:pass@host" without a scheme, "http:/user:pass@host", a bad port: the userinfo is
	// what precedes the last "@" of the authority.
	head := endpoint
	if i := strings.IndexAny(endpoint, "?#"); i >= 0 {
		head = endpoint[:i]
	}
	at := strings.LastIndex(head, "@")
	if at < 0 {
		return endpoint
	}
	start := strings.LastIndex(head[:at], "/") + 1
	if i := strings.Index(head[:at], "//"); i >= 0 {
		start = i + 2
	}
	colon := strings.Index(head[start:at], ":")
	if colon < 0 {
		return endpoint
	}
	return endpoint[:start+colon+1] + "xxxxx" + endpoint[at:]
}

// Marshal writes the config the way confmap would, but with the passwords of endpoint and
// proxy_url redacted: print-config and anything else that marshals the config never show them.
// The config the exporter runs with keeps the real endpoint: cfg is a copy.
func (cfg Config) Marshal(conf *confmap.Conf) error {
	cfg.ClientConfig.Endpoint = redactEndpoint(cfg.ClientConfig.Endpoint)
	cfg.ClientConfig.ProxyURL = redactEndpoint(cfg.ClientConfig.ProxyURL)
	// plainConfig has Config's fields and tags but not this method, so confmap does not call it again.
	type plainConfig Config
	return conf.Marshal(plainConfig(cfg))
}

// keys decodes every signing secret into HMAC key bytes, in order: signing_secret first.
func (cfg *Config) keys() ([][]byte, error) {
	var keys [][]byte
	var errs []error
	add := func(field string, s configopaque.String) {
		k, err := decodeSecret(string(s))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", field, err))
			return
		}
		keys = append(keys, k)
	}
	if cfg.SigningSecret != "" {
		add("signing_secret", cfg.SigningSecret)
	}
	for i, s := range cfg.SigningSecrets {
		if s == "" {
			errs = append(errs, fmt.Errorf("signing_secrets[%d] must not be empty", i))
			continue
		}
		add(fmt.Sprintf("signing_secrets[%d]", i), s)
	}
	return keys, errors.Join(errs...)
}

// whsecPrefix marks a Standard Webhooks secret: base64 of the key bytes.
const whsecPrefix = "whsec_"

func decodeSecret(s string) ([]byte, error) {
	if !strings.HasPrefix(s, whsecPrefix) {
		return []byte(s), nil
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, whsecPrefix))
	if err != nil {
		// The error would quote part of the secret: say only what is wrong.
		return nil, errors.New("a whsec_ secret must be base64 after the prefix, and this one is not")
	}
	if len(k) == 0 {
		return nil, errors.New("a whsec_ secret must not be empty after the prefix")
	}
	return k, nil
}

// parseTemplate parses body_template; nil means the default body.
func parseTemplate(text string) (*template.Template, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	t, err := template.New("body_template").Option("missingkey=error").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("body_template does not parse: %w", err)
	}
	return t, nil
}
