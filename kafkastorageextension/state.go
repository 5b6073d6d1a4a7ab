package kafkastorageextension // import "github.com/visutility/otelcol-retrain/kafkastorageextension"

import (
	"slices"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// writerHeader is the record header naming the extension instance that wrote the record.
const writerHeader = "kafka_storage.writer"

// entry is what memory holds for one key of the topic: the last record applied, and where it is.
type entry struct {
	value     []byte
	deleted   bool // a tombstone this instance wrote that the tail has not read back yet
	partition int32
	offset    int64
}

// state is the topic in memory: the latest record of every key, and the subscriptions.
//
// Records are applied by two paths: the tail (every record of the topic, in topic order per
// partition) and this instance's own acknowledged writes (applied at once, so a client reads its
// own writes). A record applies only if it is after the one held for its key (same key, same
// partition, so offsets compare); tailPos makes an acknowledgement that arrives after the tail
// already read the record a no-op.
type state struct {
	self string // writerHeader value of this instance

	mu      sync.RWMutex
	entries map[string]*entry
	tailPos map[int32]int64 // last offset the tail read, per partition
	subs    map[*subscription]struct{}
}

func newState(self string) *state {
	return &state{
		self:    self,
		entries: map[string]*entry{},
		tailPos: map[int32]int64{},
		subs:    map[*subscription]struct{}{},
	}
}

// size is the number of keys held, tombstones not read back yet included.
func (s *state) size() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.entries)
}

func (s *state) get(key string) []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.entries[key]
	if !ok || e.deleted {
		return nil
	}
	return clone(e.value)
}

// applyOwn applies a write of this instance that the broker acknowledged at (partition, offset).
func (s *state) applyOwn(key string, value []byte, partition int32, offset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pos, ok := s.tailPos[partition]; ok && offset <= pos {
		return // the tail already read this record, and whatever followed it
	}
	if e, ok := s.entries[key]; ok && e.partition == partition && e.offset >= offset {
		return
	}
	// A tombstone is kept until the tail reads it back: until then an older record of the key
	// may still come from the tail, and must not bring the value back.
	s.entries[key] = &entry{value: value, deleted: value == nil, partition: partition, offset: offset}
}

// delivery is one change to hand to a subscription, outside the lock.
type delivery struct {
	sub   *subscription
	key   string // without the namespace
	value []byte
}

// applyTail applies records read from the topic, in the order read, and returns the changes to
// deliver to subscriptions: records of other writers that changed a subscribed namespace.
func (s *state) applyTail(records []*kgo.Record) []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []delivery
	for _, r := range records {
		if pos, ok := s.tailPos[r.Partition]; !ok || r.Offset > pos {
			s.tailPos[r.Partition] = r.Offset
		}
		if r.Key == nil {
			continue // not ours: every record this extension writes has a key
		}
		key := string(r.Key)
		if e, ok := s.entries[key]; ok && e.partition == r.Partition && e.offset >= r.Offset {
			if e.deleted && e.offset == r.Offset {
				delete(s.entries, key) // our tombstone, read back: nothing older can follow it
			}
			continue
		}
		// A record from another partition than the one held (partitions were added to the
		// topic) has no order with it; the one read last wins.
		if r.Value == nil {
			delete(s.entries, key)
		} else {
			s.entries[key] = &entry{value: r.Value, partition: r.Partition, offset: r.Offset}
		}
		if len(s.subs) == 0 || writer(r) == s.self {
			continue
		}
		for sub := range s.subs {
			if k, ok := strings.CutPrefix(key, sub.prefix); ok {
				out = append(out, delivery{sub: sub, key: k, value: clone(r.Value)})
			}
		}
	}
	return out
}

func writer(r *kgo.Record) string {
	for _, h := range r.Headers {
		if h.Key == writerHeader {
			return string(h.Value)
		}
	}
	return ""
}

// subscription is one Subscribe call. mu is held while fn runs, so that cancel waits for a
// running fn, and so that tail deliveries wait for the snapshot.
type subscription struct {
	prefix string
	fn     func(key string, value []byte)

	mu       sync.Mutex
	canceled bool
}

// subscribe registers fn for changes of the namespace prefix and calls it with the namespace's
// current keys before returning. Holding sub.mu from before registration to the end of the
// snapshot makes the tail's first deliveries wait behind the snapshot; registering under s.mu,
// where the tail applies records, makes every record either in the snapshot or delivered, never
// both.
func (s *state) subscribe(prefix string, fn func(key string, value []byte)) *subscription {
	sub := &subscription{prefix: prefix, fn: fn}
	sub.mu.Lock()
	defer sub.mu.Unlock()

	type kv struct {
		key   string
		value []byte
	}
	var snapshot []kv
	s.mu.Lock()
	for key, e := range s.entries {
		if k, ok := strings.CutPrefix(key, prefix); ok && !e.deleted {
			snapshot = append(snapshot, kv{k, clone(e.value)})
		}
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	slices.SortFunc(snapshot, func(a, b kv) int { return strings.Compare(a.key, b.key) })

	for _, p := range snapshot {
		fn(p.key, p.value)
	}
	return sub
}

// unsubscribe stops deliveries to sub; when it returns, sub's fn is not running and is not
// called again.
func (s *state) unsubscribe(sub *subscription) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
	sub.mu.Lock()
	sub.canceled = true
	sub.mu.Unlock()
}

func deliver(ds []delivery) {
	for _, d := range ds {
		d.sub.mu.Lock()
		if !d.sub.canceled {
			d.sub.fn(d.key, d.value)
		}
		d.sub.mu.Unlock()
	}
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
