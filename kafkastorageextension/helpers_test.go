package kafkastorageextension

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/kafkastorageextension/internal/metadata"
)

// newCluster starts a one-broker kfake cluster on 127.0.0.1 and returns its addresses.
func newCluster(t *testing.T, opts ...kfake.Opt) (*kfake.Cluster, []string) {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()
}

func testConfig(brokers []string, topic string) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.Brokers = brokers
	cfg.Topic = topic
	cfg.StartTimeout = 10 * time.Second
	return cfg
}

// create builds the extension through its factory, not started; it is shut down at cleanup.
func create(t *testing.T, cfg *Config, logger *zap.Logger) *kafkaStorage {
	t.Helper()
	set := extensiontest.NewNopSettings(metadata.Type)
	if logger != nil {
		set.Logger = logger
	}
	ext, err := NewFactory().Create(context.Background(), set, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return ext.(*kafkaStorage)
}

// start builds and starts the extension: one collector.
func start(t *testing.T, brokers []string, topic string) *kafkaStorage {
	t.Helper()
	ext := create(t, testConfig(brokers, topic), nil)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	return ext
}

var retrainID = component.MustNewID("retrain")

// subscriber is the interface the retrain processor relies on.
type subscriber interface {
	Subscribe(fn func(key string, value []byte)) (cancel func())
}

func getClient(t *testing.T, ext storage.Extension, id component.ID) storage.Client {
	t.Helper()
	c, err := ext.GetClient(context.Background(), component.KindProcessor, id, "")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close(context.Background())) })
	_, ok := c.(subscriber)
	require.True(t, ok, "the client has Subscribe")
	return c
}

func mustGet(t *testing.T, c storage.Client, key string) []byte {
	t.Helper()
	v, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	return v
}

// eventually waits until c holds want at key: the other collector's tail read it.
func eventually(t *testing.T, c storage.Client, key string, want []byte) {
	t.Helper()
	require.Eventually(t, func() bool {
		v, err := c.Get(context.Background(), key)
		require.NoError(t, err)
		if want == nil {
			return v == nil
		}
		return string(v) == string(want)
	}, 10*time.Second, 5*time.Millisecond, "key %q never became %q", key, want)
}

// change is one call to a Subscribe fn.
type change struct {
	key     string
	value   string
	deleted bool
}

// recorder collects the calls to a Subscribe fn.
type recorder struct {
	mu      sync.Mutex
	changes []change
}

func (r *recorder) fn(key string, value []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, change{key: key, value: string(value), deleted: value == nil})
}

func (r *recorder) get() []change {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]change(nil), r.changes...)
}

// closedPort returns 127.0.0.1:<port> where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
