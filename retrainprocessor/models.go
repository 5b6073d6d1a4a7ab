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
// ingest for different models never contends. What a point touches sits in this one object.
type model struct {
	key  modelKey
	hash uint64 // of key, set by the table

	// since is when the processor first saw the model (unix ns): how much of the window it covers.
	since int64
	// unresolvedLogged is set once the evaluation said which bucket bounds the model needs.
	unresolvedLogged bool
	// adopted is set, under evalMu, once the evaluation took over what other collectors wrote
	// of the model to a shared storage (shared.go).
	adopted bool

	mu      sync.Mutex
	removed bool // set under mu when the table dropped the model; ingest then looks it up again
	// refresh asks the next ingest to copy the resource again, once per evaluation.
	refresh  bool
	window   window.Window
	scores   window.Scores
	streams  streams
	resource pcommon.Map // the model's resource attributes as last refreshed
	// resKey is the encoded resource attributes of the last cumulative point, resHash their
	// hash (series.resourceHash).
	resKey  []byte
	resHash uint64
	// otherBounds is the last explicit bounds (ms) a cumulative point brought that the window
	// did not hold, kept so streams can share it; otherScoreBounds the same for scores.
	otherBounds, otherScoreBounds []float64
}

// stream is the cumulative state of one series (resource + scope + metric + point attributes).
type stream struct {
	// clock's newest point time is the stream's last-seen time, for eviction: only a point that
	// advanced the stream moves it, never a stale one.
	clock delta.Clock
	sum   delta.Sum
	hist  delta.Histogram
	exp   delta.Exponential
	inUse uint8 // which of the above this stream is; a kind change resets it
}

// streams holds a model's cumulative streams. An instrumented app usually sends a model one or
// two (latency histogram, prediction counter): those live inline, the rest in a map.
type streams struct {
	inline [inlineStreams]keyedStream
	more   map[uint64]*stream
	max    int // max_streams_per_model
}

const inlineStreams = 2

type keyedStream struct {
	key  uint64
	used bool
	stream
}

// get returns the cumulative state of a series, starting a fresh one when its kind changed, or
// nil when the series is new and the model holds max streams already.
func (s *streams) get(key uint64, kind uint8) *stream {
	free := -1
	for i := range s.inline {
		e := &s.inline[i]
		if e.used && e.key == key {
			return e.reuse(kind)
		}
		if !e.used && free < 0 {
			free = i
		}
	}
	if st := s.more[key]; st != nil {
		return st.reuse(kind)
	}
	if s.len() >= s.max {
		return nil
	}
	if free >= 0 {
		s.inline[free] = keyedStream{key: key, used: true, stream: stream{inUse: kind}}
		return &s.inline[free].stream
	}
	if s.more == nil {
		s.more = map[uint64]*stream{}
	}
	st := &stream{inUse: kind}
	s.more[key] = st
	return st
}

func (st *stream) reuse(kind uint8) *stream {
	if st.inUse != kind {
		*st = stream{inUse: kind}
	}
	return st
}

// evict drops the series not seen since oldest.
func (s *streams) evict(oldest int64) {
	for i := range s.inline {
		if e := &s.inline[i]; e.used && e.clock.Last() < oldest {
			*e = keyedStream{}
		}
	}
	for k, st := range s.more {
		if st.clock.Last() < oldest {
			delete(s.more, k)
		}
	}
}

// len is the number of series held.
func (s *streams) len() int {
	n := len(s.more)
	for i := range s.inline {
		if s.inline[i].used {
			n++
		}
	}
	return n
}

const (
	streamSum uint8 = iota + 1
	streamHist
	streamExp
)

const shardCount = 64

// models is the table of tracked models. Lookups, once per resource on the ingest path, take no
// lock and hash the key once: each shard is an open-addressing table (linear probing, at most
// half full counting removed entries) that readers load atomically; inserts and removals, rare in
// steady state, hold the shard's mutex and either fill an empty entry in place or publish a
// rebuilt table.
type models struct {
	seed   maphash.Seed
	max    int64
	count  atomic.Int64
	shards [shardCount]shard
}

type shard struct {
	mu    sync.Mutex // serialises writers; readers never take it
	table atomic.Pointer[table]
	used  int // live and removed entries in table, under mu
	_     [40]byte
}

// table is one shard's entries. An entry goes from nil to a model, and from a model to removed;
// only a rebuild, into a new table, reclaims removed entries.
type table struct {
	mask    uint64
	entries []atomic.Pointer[model]
}

// tombstone marks an entry whose model was dropped; probes go on past it.
var tombstone = &model{}

const minTableSize = 8

func newTable(size int) *table {
	return &table{mask: uint64(size - 1), entries: make([]atomic.Pointer[model], size)}
}

func newModels(maxModels int) *models {
	t := &models{seed: maphash.MakeSeed(), max: int64(maxModels)}
	for i := range t.shards {
		t.shards[i].table.Store(newTable(minTableSize))
	}
	return t
}

// hash is the key's hash: its low bits pick the shard, the rest the entry.
func (t *models) hash(k modelKey) uint64 {
	h := maphash.String(t.seed, k.model)
	if k.version != "" {
		h = mix(h ^ maphash.String(t.seed, k.version))
	}
	return h
}

// find returns the model for k, or nil.
func (tb *table) find(h uint64, k modelKey) *model {
	for i := (h / shardCount) & tb.mask; ; i = (i + 1) & tb.mask {
		m := tb.entries[i].Load()
		if m == nil {
			return nil
		}
		if m.hash == h && m != tombstone && m.key == k {
			return m
		}
	}
}

// get returns the model for k, or nil when it is new and the table is full.
func (t *models) get(k modelKey, create func() *model) *model {
	h := t.hash(k)
	s := &t.shards[h%shardCount]
	if m := s.table.Load().find(h, k); m != nil {
		return m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.table.Load()
	if m := tb.find(h, k); m != nil {
		return m
	}
	if t.count.Add(1) > t.max {
		t.count.Add(-1)
		return nil
	}
	m := create()
	m.key, m.hash = k, h
	if 2*(s.used+1) > len(tb.entries) {
		tb = s.rebuild(tb)
	}
	for i := (h / shardCount) & tb.mask; ; i = (i + 1) & tb.mask {
		switch e := &tb.entries[i]; e.Load() {
		case nil:
			s.used++
			e.Store(m)
			return m
		case tombstone:
			e.Store(m)
			return m
		}
	}
}

// rebuild publishes a table without removed entries, at most a quarter full; the caller holds mu.
func (s *shard) rebuild(old *table) *table {
	live := 0
	for i := range old.entries {
		if m := old.entries[i].Load(); m != nil && m != tombstone {
			live++
		}
	}
	size := minTableSize
	for size < 4*(live+1) {
		size *= 2
	}
	tb := newTable(size)
	for i := range old.entries {
		m := old.entries[i].Load()
		if m == nil || m == tombstone {
			continue
		}
		j := (m.hash / shardCount) & tb.mask
		for tb.entries[j].Load() != nil {
			j = (j + 1) & tb.mask
		}
		tb.entries[j].Store(m)
	}
	s.used = live
	s.table.Store(tb)
	return tb
}

// snapshot appends every tracked model to dst.
func (t *models) snapshot(dst []*model) []*model {
	for i := range t.shards {
		tb := t.shards[i].table.Load()
		for j := range tb.entries {
			if m := tb.entries[j].Load(); m != nil && m != tombstone {
				dst = append(dst, m)
			}
		}
	}
	return dst
}

// remove drops m from the table; the caller holds m.mu and marks it removed.
func (t *models) remove(m *model) {
	s := &t.shards[m.hash%shardCount]
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.table.Load()
	for i := (m.hash / shardCount) & tb.mask; ; i = (i + 1) & tb.mask {
		switch e := &tb.entries[i]; e.Load() {
		case nil:
			return
		case m:
			e.Store(tombstone)
			t.count.Add(-1)
			return
		}
	}
}

// lookup returns the model for k, or nil, without creating it.
func (t *models) lookup(k modelKey) *model {
	h := t.hash(k)
	return t.shards[h%shardCount].table.Load().find(h, k)
}
