package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/state"
)

// loadTimeout bounds how long Start waits for the stored decision state; past it the processor
// starts clean and says so.
var loadTimeout = 15 * time.Second

// store reads and writes the decision state in a storage extension. Without one (the zero
// value) every call succeeds and keeps nothing.
type store struct {
	// mu keeps Close from running under a call to client: calls share it (a storage client is
	// safe for concurrent use: the evaluation's batches and the status API's silences run side
	// by side), Close takes it alone.
	mu     sync.RWMutex
	client storage.Client
	// abandoned is set when reading at Start timed out: a storage that does not answer is not
	// used again in this run, so evaluations never wait for it.
	abandoned atomic.Bool
	// closed is set, under mu, once the client was closed.
	closed bool
}

var errStorageClosed = errors.New("the storage is closed: the processor is shutting down")

func (s *store) open(ctx context.Context, host component.Host, self, id component.ID) error {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return fmt.Errorf("storage: extension %q not found; add it to service::extensions", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return fmt.Errorf("storage: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindProcessor, self, "")
	if err != nil {
		return fmt.Errorf("storage: get a client from %q: %w", id, err)
	}
	s.client = client
	return nil
}

// loaded is what load read: the records, and what it could not read.
type loaded struct {
	records []state.Record
	// problems are keys that could not be read or decoded, with why; their models start clean.
	problems []loadProblem
	// failed is set when the index could not be read at all: every model starts clean.
	failed error
}

type loadProblem struct {
	key string
	err error
}

// load reads the index and every record it lists, giving up after loadTimeout (or ctx): a
// storage that hangs must not hang the collector's start.
func (s *store) load(ctx context.Context) loaded {
	if s.client == nil {
		return loaded{}
	}
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	out := make(chan loaded, 1)
	go func() { out <- s.read(ctx) }()
	select {
	case l := <-out:
		return l
	case <-ctx.Done():
		s.abandoned.Store(true)
		return loaded{failed: fmt.Errorf("reading the decision state took longer than %s: %w", loadTimeout, ctx.Err())}
	}
}

func (s *store) read(ctx context.Context) loaded {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var l loaded
	b, err := s.client.Get(ctx, state.IndexKey)
	if err != nil {
		l.failed = fmt.Errorf("read the index: %w", err)
		return l
	}
	if b == nil {
		return l // nothing stored yet
	}
	keys, err := state.DecodeIndex(b)
	if err != nil {
		l.failed = fmt.Errorf("decode the index: %w", err)
		return l
	}
	for _, key := range keys {
		if ctx.Err() != nil {
			l.failed = ctx.Err()
			return l
		}
		b, err := s.client.Get(ctx, key)
		switch {
		case err != nil:
			l.problems = append(l.problems, loadProblem{key, err})
		case b == nil:
			l.problems = append(l.problems, loadProblem{key, errors.New("listed in the index but not stored")})
		default:
			r, err := state.Decode(b)
			if err == nil && state.Key(r.Model, r.ModelVersion) != key {
				err = fmt.Errorf("%w: stored under another model's key", state.ErrCorrupt)
			}
			if err != nil {
				l.problems = append(l.problems, loadProblem{key, err})
				continue
			}
			l.records = append(l.records, r)
		}
	}
	return l
}

// write applies ops in one batch, giving up after loadTimeout (or ctx): a storage that does not
// answer (Kafka down, for kafka_storage) must not hold the evaluation, and so every decision, or
// Shutdown; the state stays in memory and the next flush writes it.
func (s *store) write(ctx context.Context, ops []*storage.Operation) error {
	if len(ops) == 0 {
		return nil
	}
	if s.abandoned.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.client == nil {
		if s.closed {
			return errStorageClosed // a late silence from a server that outlived its shutdown deadline
		}
		return nil
	}
	return s.client.Batch(ctx, ops...)
}

// enabled reports whether state is written; the caller is the evaluation, or Start before it.
func (s *store) enabled() bool { return s.client != nil && !s.abandoned.Load() }

func (s *store) close(ctx context.Context) error {
	if s.abandoned.Load() {
		return nil // its reader may still hold the client
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		return nil
	}
	err := s.client.Close(ctx)
	s.client, s.closed = nil, true
	return err
}

// get reads one key, bounded by loadTimeout; nil when it is not set.
func (s *store) get(ctx context.Context, key string) ([]byte, error) {
	if !s.enabled() {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.client == nil {
		return nil, nil
	}
	return s.client.Get(ctx, key)
}
