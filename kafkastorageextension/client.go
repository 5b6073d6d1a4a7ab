package kafkastorageextension // import "github.com/visutility/otelcol-retrain/kafkastorageextension"

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// client is one component's view of the topic: the keys under its namespace prefix.
type client struct {
	ext    *kafkaStorage
	cl     *kgo.Client
	st     *state
	prefix string

	mu     sync.Mutex
	closed bool
	subs   map[*subscription]struct{}
}

var _ storage.Client = (*client)(nil)

var errClientClosed = errors.New("kafka_storage: the client is closed")

func newClient(ext *kafkaStorage, cl *kgo.Client, st *state, prefix string) *client {
	return &client{ext: ext, cl: cl, st: st, prefix: prefix, subs: map[*subscription]struct{}{}}
}

// running fails once the client is closed or the extension shut down.
func (c *client) running() error {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return errClientClosed
	}
	return c.ext.running()
}

// Get reads memory only: the latest value applied for key, nil when there is none.
func (c *client) Get(_ context.Context, key string) ([]byte, error) {
	if err := c.running(); err != nil {
		return nil, err
	}
	return c.st.get(c.prefix + key), nil
}

// Set writes key, waiting for the broker's acknowledgement; a nil value is stored as an empty
// one (nil would be a tombstone: use Delete).
func (c *client) Set(ctx context.Context, key string, value []byte) error {
	return c.Batch(ctx, storage.SetOperation(key, value))
}

// Delete writes a tombstone for key, waiting for the broker's acknowledgement.
func (c *client) Delete(ctx context.Context, key string) error {
	return c.Batch(ctx, storage.DeleteOperation(key))
}

// Batch runs ops in order. A Get reads memory as it would be after the ops before it (a Set or
// Delete earlier in the batch is seen even before its acknowledgement). Sets and Deletes are
// produced in order, without waiting for each other, and Batch returns once all are
// acknowledged: then every one of them is applied in memory.
//
// Batch is not atomic. If it returns an error, the writes named in it failed, while the others
// may have been written and applied; if ctx ends first, Batch returns at once and the writes not
// acknowledged yet may still land, and are applied when they are.
func (c *client) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if err := c.running(); err != nil {
		return err
	}
	cl, st := c.cl, c.st
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kafka_storage: %w", err)
	}
	type pendingValue struct{ value []byte }
	pending := map[string]pendingValue{}
	errs := make([]error, len(ops))
	var wg sync.WaitGroup
	produce := func(i int, key string, value []byte) {
		full := c.prefix + key
		r := &kgo.Record{
			Topic:   c.ext.cfg.Topic,
			Key:     []byte(full),
			Value:   value,
			Headers: []kgo.RecordHeader{{Key: writerHeader, Value: []byte(st.self)}},
		}
		wg.Add(1)
		cl.Produce(ctx, r, func(r *kgo.Record, err error) {
			defer wg.Done()
			if err != nil {
				errs[i] = fmt.Errorf("write %q: %w", key, err)
				return
			}
			st.applyOwn(full, value, r.Partition, r.Offset)
		})
	}
	for i, op := range ops {
		switch op.Type {
		case storage.Get:
			if p, ok := pending[op.Key]; ok {
				op.Value = clone(p.value)
			} else {
				op.Value = st.get(c.prefix + op.Key)
			}
		case storage.Set:
			v := clone(op.Value)
			if v == nil {
				v = []byte{}
			}
			pending[op.Key] = pendingValue{v}
			produce(i, op.Key, v)
		case storage.Delete:
			pending[op.Key] = pendingValue{nil}
			produce(i, op.Key, nil)
		default:
			errs[i] = fmt.Errorf("operation %d on %q: unknown type %d", i, op.Key, op.Type)
		}
	}
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("kafka_storage: waiting for the writes' acknowledgements: %w", ctx.Err())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("kafka_storage: %w", err)
	}
	return nil
}

// Subscribe: see the package documentation. After Close, it calls fn for nothing and returns a
// cancel that does nothing.
func (c *client) Subscribe(fn func(key string, value []byte)) (cancel func()) {
	if c.running() != nil {
		return func() {}
	}
	sub := c.st.subscribe(c.prefix, fn)
	c.mu.Lock()
	if c.closed { // Close ran during the snapshot, before this subscription was listed
		c.mu.Unlock()
		c.st.unsubscribe(sub)
		return func() {}
	}
	c.subs[sub] = struct{}{}
	c.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			c.st.unsubscribe(sub)
			c.mu.Lock()
			delete(c.subs, sub)
			c.mu.Unlock()
		})
	}
}

// Close cancels the client's subscriptions; later calls fail. The extension's Kafka client is
// shared and is closed by Shutdown.
func (c *client) Close(context.Context) error {
	c.mu.Lock()
	subs := c.subs
	c.closed, c.subs = true, nil
	c.mu.Unlock()
	for sub := range subs {
		c.st.unsubscribe(sub)
	}
	return nil
}
