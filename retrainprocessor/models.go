package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/delta"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

type modelKey struct {
	model, version string
}

// model is one (model, version) pair's window and cumulative streams, guarded by its own lock so
// ingest for different models never contends.
type model struct {
	key modelKey

	mu       sync.Mutex
	removed  bool // set under mu when the table dropped the model; ingest then looks it up again
	window   *window.Window
	resource pcommon.Map // the model's resource attributes as last refreshed
	// refresh asks the next ingest to copy the resource again, once per evaluation.
	refresh bool
	streams map[uint64]*stream
}

// stream is the cumulative state of one series (resource + scope + metric + point attributes).
type stream struct {
	sum   delta.Sum
	hist  delta.Histogram
	exp   delta.Exponential
	last  int64 // newest point time, for eviction
	inUse uint8 // which of the above this stream is; a kind change resets it
}

const (
	streamSum uint8 = iota + 1
	streamHist
	streamExp
)

const shardCount = 64

// models is the table of tracked models, sharded so lookups from concurrent requests rarely meet.
type models struct {
	seed   maphash.Seed
	max    int64
	count  atomic.Int64
	shards [shardCount]shard
}

type shard struct {
	mu sync.RWMutex
	m  map[modelKey]*model
}

func newModels(maxModels int) *models {
	t := &models{seed: maphash.MakeSeed(), max: int64(maxModels)}
	for i := range t.shards {
		t.shards[i].m = map[modelKey]*model{}
	}
	return t
}

func (t *models) shard(k modelKey) *shard {
	return &t.shards[maphash.String(t.seed, k.model)%shardCount]
}

// get returns the model for k, or nil when it is new and the table is full.
func (t *models) get(k modelKey, create func() *model) *model {
	s := t.shard(k)
	s.mu.RLock()
	m := s.m[k]
	s.mu.RUnlock()
	if m != nil {
		return m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if m = s.m[k]; m != nil {
		return m
	}
	if t.count.Add(1) > t.max {
		t.count.Add(-1)
		return nil
	}
	m = create()
	s.m[k] = m
	return m
}

// snapshot appends every tracked model to dst.
func (t *models) snapshot(dst []*model) []*model {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		for _, m := range s.m {
			dst = append(dst, m)
		}
		s.mu.RUnlock()
	}
	return dst
}

// remove drops m from the table; the caller holds m.mu and marks it removed.
func (t *models) remove(m *model) {
	s := t.shard(m.key)
	s.mu.Lock()
	if s.m[m.key] == m {
		delete(s.m, m.key)
		t.count.Add(-1)
	}
	s.mu.Unlock()
}
