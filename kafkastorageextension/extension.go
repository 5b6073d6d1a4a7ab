package kafkastorageextension // import "github.com/visutility/otelcol-retrain/kafkastorageextension"

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
)

// kafkaStorage is the extension: one Kafka client, the topic in memory, and the tail that keeps
// it current.
type kafkaStorage struct {
	cfg    *Config
	logger *zap.Logger

	// mu guards the lifecycle fields below.
	mu       sync.Mutex
	cl       *kgo.Client
	st       *state
	self     string // this instance's writerHeader value, made at Start
	stopTail context.CancelFunc
	tailDone chan struct{}
	starting bool // Start was called
	stopped  bool // Shutdown was called
}

var _ storage.Extension = (*kafkaStorage)(nil)

var errNotStarted = errors.New("kafka_storage: the extension is not started")

func newKafkaStorage(cfg *Config, logger *zap.Logger) *kafkaStorage {
	return &kafkaStorage{cfg: cfg, logger: logger}
}

// Start connects, ensures the topic, and reads it from the beginning to the end offsets listed
// at Start, all within start_timeout and ctx; then it tails the topic until Shutdown.
func (k *kafkaStorage) Start(ctx context.Context, _ component.Host) error {
	k.mu.Lock()
	switch {
	case k.stopped:
		k.mu.Unlock()
		return errors.New("kafka_storage: Start after Shutdown")
	case k.starting:
		k.mu.Unlock()
		return errors.New("kafka_storage: already started")
	}
	k.starting = true
	k.mu.Unlock()
	started := false
	defer func() {
		if !started {
			k.resetStarting()
		}
	}()

	began := time.Now()
	self, err := newInstanceID()
	if err != nil {
		return fmt.Errorf("kafka_storage: make an instance id: %w", err)
	}
	loadCtx, cancel := context.WithTimeout(ctx, k.cfg.StartTimeout)
	defer cancel()

	opts, err := kgoOptions(loadCtx, &k.cfg.ClientConfig, k.logger)
	if err != nil {
		return fmt.Errorf("kafka_storage: %w", err)
	}
	connErrs := &connectErrors{}
	opts = append(opts,
		kgo.WithHooks(connErrs),
		kgo.ConsumeTopics(k.cfg.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// Writes are waited for one by one (or one Batch at a time): lingering only delays them.
		kgo.ProducerLinger(0),
		// Kafka's own murmur2 hash of the key: one key, one partition.
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		kgo.RequiredAcks(kgo.AllISRAcks()),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka_storage: make the Kafka client: %w", err)
	}
	st := newState(self)
	n, err := k.load(loadCtx, cl, st, connErrs)
	if err != nil {
		cl.Close()
		if ctx.Err() != nil {
			return fmt.Errorf("kafka_storage: loading topic %q from brokers %v: Start's context ended: %w", k.cfg.Topic, k.cfg.Brokers, err)
		}
		return fmt.Errorf("kafka_storage: could not load topic %q from brokers %v within %s: %w", k.cfg.Topic, k.cfg.Brokers, k.cfg.StartTimeout, err)
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped { // Shutdown ran while Start was loading
		cl.Close()
		return errors.New("kafka_storage: shut down while starting")
	}
	started = true
	tailCtx, stop := context.WithCancel(context.Background())
	k.cl, k.st, k.self, k.stopTail, k.tailDone = cl, st, self, stop, make(chan struct{})
	go k.tail(tailCtx, cl, st, k.tailDone)
	k.logger.Info("Loaded the state topic",
		zap.String("topic", k.cfg.Topic), zap.Int("records", n), zap.Int("keys", st.size()),
		zap.Duration("took", time.Since(began)), zap.String("instance", self))
	return nil
}

// resetStarting lets a Start that failed be tried again.
func (k *kafkaStorage) resetStarting() {
	k.mu.Lock()
	k.starting = false
	k.mu.Unlock()
}

// Shutdown stops the tail and closes the Kafka client, waiting for both no longer than ctx
// allows. It is safe without Start, and more than once.
func (k *kafkaStorage) Shutdown(ctx context.Context) error {
	k.mu.Lock()
	k.stopped = true
	cl, stop, done := k.cl, k.stopTail, k.tailDone
	k.stopTail = nil
	k.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	closed := make(chan struct{})
	go func() {
		<-done // a subscriber's fn may still be running; the tail stops when it returns
		cl.Close()
		close(closed)
	}()
	select {
	case <-closed:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("kafka_storage: stopping the tail and closing the Kafka client: %w", ctx.Err())
	}
}

// GetClient returns a client whose keys live under the namespace of (kind, id, name): the same
// component in another collector shares it, any other component does not.
func (k *kafkaStorage) GetClient(_ context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return nil, errShutDown
	}
	if k.cl == nil {
		return nil, errNotStarted
	}
	if kind == component.KindExporter {
		// Every collector would read the queue whole and send what it holds: each item once
		// per collector.
		return nil, fmt.Errorf("kafka_storage: exporter %q cannot keep its sending queue here: every collector sharing the "+
			"topic would consume it; give the queue a storage of its own collector, such as file_storage", id)
	}
	return newClient(k, k.cl, k.st, namespace(kind, id, name)), nil
}

// running fails once Shutdown was called.
func (k *kafkaStorage) running() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return errShutDown
	}
	return nil
}

var errShutDown = errors.New("kafka_storage: the extension is shut down")

// namespace is the key prefix of a client: kind/type/name/storage name/, each part
// path-escaped so that no part can contain the separator and no two namespaces overlap.
func namespace(kind component.Kind, id component.ID, name string) string {
	return kindString(kind) + "/" + url.PathEscape(id.Type().String()) + "/" +
		url.PathEscape(id.Name()) + "/" + url.PathEscape(name) + "/"
}

func kindString(k component.Kind) string {
	switch k {
	case component.KindReceiver:
		return "receiver"
	case component.KindProcessor:
		return "processor"
	case component.KindExporter:
		return "exporter"
	case component.KindExtension:
		return "extension"
	case component.KindConnector:
		return "connector"
	default:
		return "other"
	}
}

func newInstanceID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// load ensures the topic and applies its records up to the end offsets listed now.
func (k *kafkaStorage) load(ctx context.Context, cl *kgo.Client, st *state, connErrs *connectErrors) (int, error) {
	adm := kadm.NewClient(cl)
	var ends, starts kadm.ListedOffsets
	err := retry(ctx, k.logger, func() error {
		if err := ensureTopic(ctx, adm, k.cfg, k.logger); err != nil {
			return err
		}
		var err error
		if ends, err = listOffsets(ctx, adm.ListEndOffsets, k.cfg.Topic); err != nil {
			return fmt.Errorf("list the end offsets: %w", err)
		}
		if starts, err = listOffsets(ctx, adm.ListStartOffsets, k.cfg.Topic); err != nil {
			return fmt.Errorf("list the start offsets: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	// remaining: the partitions not read to their end yet, with the offset of their last record.
	remaining := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if s, ok := starts.Lookup(o.Topic, o.Partition); !ok || o.Offset > s.Offset {
			remaining[o.Partition] = o.Offset - 1
		}
	})
	n := 0
	for len(remaining) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			err = fmt.Errorf("read the topic (%d partition(s) not at their end yet): %w", len(remaining), err)
			if last := connErrs.get(); last != nil {
				err = fmt.Errorf("%w (last connection error: %w)", err, last)
			}
			return n, err
		}
		var fetchErr error
		fs.EachError(func(topic string, p int32, err error) {
			fetchErr = fmt.Errorf("read %s[%d]: %w", topic, p, err)
		})
		if fetchErr != nil {
			return n, fetchErr
		}
		var recs []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			recs = append(recs, r)
			if last, ok := remaining[r.Partition]; ok && r.Offset >= last {
				delete(remaining, r.Partition)
			}
		})
		st.applyTail(recs)
		n += len(recs)
	}
	return n, nil
}

func listOffsets(ctx context.Context, list func(context.Context, ...string) (kadm.ListedOffsets, error), topic string) (kadm.ListedOffsets, error) {
	offsets, err := list(ctx, topic)
	if err == nil {
		err = offsets.Error()
	}
	return offsets, err
}

// retry calls fn until it succeeds, fails in a way retrying cannot mend, or ctx ends. franz-go
// retries requests to brokers it reached, but answers a refused connection at once, and a topic
// just created is unknown until the metadata says otherwise.
func retry(ctx context.Context, logger *zap.Logger, fn func() error) error {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (after %d attempt(s), stopped: %w)", err, attempt, ctx.Err())
		}
		if ke := (*kerr.Error)(nil); errors.As(err, &ke) && !ke.Retriable {
			return err
		}
		logger.Debug("Loading the state topic failed; retrying", zap.Int("attempt", attempt), zap.Duration("backoff", backoff), zap.Error(err))
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %d attempt(s), stopped: %w)", err, attempt, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// tail applies the topic's new records until ctx is canceled, and delivers the changes to
// subscriptions.
func (k *kafkaStorage) tail(ctx context.Context, cl *kgo.Client, st *state, done chan<- struct{}) {
	defer close(done)
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil || fs.IsClientClosed() {
			return
		}
		failed := false
		fs.EachError(func(topic string, p int32, err error) {
			failed = true
			k.logger.Warn("Reading the state topic failed; retrying", zap.String("topic", topic), zap.Int32("partition", p), zap.Error(err))
		})
		var recs []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) { recs = append(recs, r) })
		deliver(st.applyTail(recs))
		if failed && len(recs) == 0 {
			select { // not a hot loop on an error franz-go does not retry itself
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}
}
