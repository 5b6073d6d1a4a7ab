package kafkastorageextension // import "github.com/visutility/otelcol-retrain/kafkastorageextension"

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"go.uber.org/zap"
)

// kgoOptions builds the franz-go client options for the contrib client settings this extension
// supports (Validate refused the others), as contrib's internal/kafka builds them.
// recordDeliveryTimeout bounds how long a record may wait to be written.
const recordDeliveryTimeout = time.Minute

func kgoOptions(ctx context.Context, c *configkafka.ClientConfig, logger *zap.Logger) ([]kgo.Opt, error) {
	opts := []kgo.Opt{
		kgo.WithLogger(kgoLogger{logger.Named("franz")}),
		kgo.SeedBrokers(c.Brokers...),
		kgo.DisableClientMetrics(), // as contrib: some brokers claim support they lack
		// A write Kafka cannot take fails after this instead of waiting in the client's buffer
		// forever: the caller keeps the state and writes it again.
		kgo.RecordDeliveryTimeout(recordDeliveryTimeout),
	}
	if c.TLS != nil {
		tlsCfg, err := c.TLS.LoadTLSConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		if tlsCfg != nil {
			opts = append(opts, kgo.DialTLSConfig(tlsCfg))
		}
	}
	if s := c.Authentication.SASL; s != nil {
		switch s.Mechanism {
		case "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()))
		default: // refused by Validate
			return nil, fmt.Errorf("auth::sasl::mechanism: %q is not supported", s.Mechanism)
		}
	}
	if c.ClientID != "" {
		opts = append(opts, kgo.ClientID(c.ClientID))
	}
	if c.RackID != "" {
		opts = append(opts, kgo.Rack(c.RackID))
	}
	if c.Metadata.RefreshInterval > 0 {
		opts = append(opts, kgo.MetadataMaxAge(c.Metadata.RefreshInterval))
	}
	opts = append(opts, kgo.RequestRetries(c.Metadata.Retry.Max))
	if c.Metadata.Retry.Backoff > 0 {
		opts = append(opts, kgo.RetryBackoffFn(retryBackoff(c.Metadata.Retry.Backoff)))
	}
	if c.ConnIdleTimeout > 0 {
		opts = append(opts, kgo.ConnIdleTimeout(c.ConnIdleTimeout))
	}
	if c.DialTimeout > 0 {
		opts = append(opts, kgo.DialTimeout(c.DialTimeout))
	}
	if c.ProtocolVersion != "" {
		v := kversion.FromString(c.ProtocolVersion)
		if v == nil { // refused by configkafka's Validate
			return nil, fmt.Errorf("protocol_version: %q is not a Kafka version", c.ProtocolVersion)
		}
		opts = append(opts, kgo.MinVersions(v), kgo.MaxVersions(v))
	}
	return opts, nil
}

// retryBackoff is franz-go's jittered exponential backoff from minBackoff, capped at
// max(5s, minBackoff), as contrib's.
func retryBackoff(minBackoff time.Duration) func(int) time.Duration {
	maxBackoff := max(5*time.Second, minBackoff)
	return func(fails int) time.Duration {
		if fails <= 0 {
			return minBackoff
		}
		if fails > 30 {
			return maxBackoff
		}
		backoff := minBackoff << (fails - 1)
		if backoff>>(fails-1) != minBackoff || backoff <= 0 {
			return maxBackoff
		}
		jittered := time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
		return min(max(jittered, time.Millisecond), maxBackoff)
	}
}

// connectErrors remembers the last failed broker connection, so that a Start that runs out of
// time can say why (franz-go itself answers only with the context's error).
type connectErrors struct {
	mu   sync.Mutex
	last error
}

var _ kgo.HookBrokerConnect = (*connectErrors)(nil)

func (h *connectErrors) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.last = fmt.Errorf("broker %s: %w", net.JoinHostPort(meta.Host, fmt.Sprint(meta.Port)), err)
	} else {
		h.last = nil
	}
}

func (h *connectErrors) get() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// kgoLogger hands franz-go's log lines to zap (contrib uses franz-go's kzap plugin, which this
// module does not require directly). franz-go's info lines are logged at debug: they tell of every
// connection and metadata refresh.
type kgoLogger struct{ l *zap.Logger }

func (k kgoLogger) Level() kgo.LogLevel {
	switch {
	case k.l.Core().Enabled(zap.DebugLevel):
		return kgo.LogLevelInfo
	case k.l.Core().Enabled(zap.WarnLevel):
		return kgo.LogLevelWarn
	default:
		return kgo.LogLevelError
	}
}

func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	fields := make([]zap.Field, 0, len(keyvals)/2)
	for i := 0; i+1 < len(keyvals); i += 2 {
		fields = append(fields, zap.Any(fmt.Sprint(keyvals[i]), keyvals[i+1]))
	}
	switch level {
	case kgo.LogLevelError:
		k.l.Error(msg, fields...)
	case kgo.LogLevelWarn:
		k.l.Warn(msg, fields...)
	default:
		k.l.Debug(msg, fields...)
	}
}
