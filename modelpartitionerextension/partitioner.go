package modelpartitionerextension // import "github.com/visutility/otelcol-retrain/modelpartitionerextension"

import (
	"github.com/twmb/franz-go/pkg/kgo"
)

// partitioner is the kgo.Partitioner the extension hands to the kafka exporter.
type partitioner struct {
	walker walker
	stats  *stats
}

var _ kgo.Partitioner = (*partitioner)(nil)

// ForTopic returns the partitioner of one topic. kgo calls a topic's partitioner from one
// goroutine at a time; only the counters are shared, and they are atomic.
func (p *partitioner) ForTopic(string) kgo.TopicPartitioner {
	return &topicPartitioner{partitioner: p}
}

// topicPartitioner partitions the records of one topic.
//
// It implements neither kgo.TopicPartitionerOnNewBatch nor kgo.TopicBackupPartitioner, so kgo
// calls Partition exactly once per record and each record is counted once.
type topicPartitioner struct {
	*partitioner
	next uint32 // round robin over the records with neither a model nor a key
}

var _ kgo.TopicPartitioner = (*topicPartitioner)(nil)

// RequiresConsistency is true for every record routed by its model (and, as with the
// exporter's default sticky-key partitioner, by its key): when the record's partition is
// briefly unwritable, kgo holds the record for it rather than sending it to another partition,
// so a consumer of that partition keeps seeing all of the model's data. Only the records with
// neither a model nor a key, which are spread round robin, may go to any writable partition.
func (tp *topicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	if r.Key != nil {
		return true // every record the exporter splits by resource has a key: no walk needed
	}
	return tp.walker.find(r.Value).outcome == outcomeModel
}

// Partition picks the partition of r among n from its first resource's model and version, or
// falls back to the exporter's default: the record key's Sarama-compatible hash.
func (tp *topicPartitioner) Partition(r *kgo.Record, n int) int {
	if n <= 0 {
		return 0 // kgo never asks with no partition; nothing valid to answer
	}
	f := tp.walker.find(r.Value)
	tp.stats.record(f)
	if f.outcome == outcomeModel {
		return int(f.hash() % uint64(n))
	}
	if r.Key != nil {
		return saramaCompatHasher(r.Key, n)
	}
	tp.next++
	return int(tp.next % uint32(n))
}

// hash is modelHash of the model and version as the retrain processor names them: an int
// model or version hashes as its decimal text, so the int 42 and the string "42" (one model to
// the processor) share a partition. The text is formatted on the stack: nothing is allocated.
func (f *found) hash() uint64 {
	var m, v [maxIntText]byte
	return modelHash(f.model.text(&m), f.version.text(&v))
}

// modelHash is a stable, seed-free 64-bit hash of (model, version): FNV-1a over the model, a
// 0xff separator (a byte that never appears in UTF-8, so no two pairs give the same input) and
// the version, then murmur3's fmix64 finalizer, whose avalanche spreads the low bits that the
// modulo reads (FNV-1a's low bits depend only on the inputs' low bits). Every collector, in
// every process and after every restart, picks the same partition for the same pair and
// partition count. A missing version hashes as an empty one, so version_attribute: "" and a
// model without a version agree.
func modelHash(model, version []byte) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for _, c := range model {
		h ^= uint64(c)
		h *= prime64
	}
	h ^= 0xff
	h *= prime64
	for _, c := range version {
		h ^= uint64(c)
		h *= prime64
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// saramaCompatHasher is the hasher of the kafka exporter's default partitioner
// (record_partitioner: sticky_key: hasher: sarama_compat, contrib's
// kafka.NewSaramaCompatHasher): Sarama's FNV-1a 32 with its int32 sign convention. fnv32a is
// hash/fnv's FNV-1a 32 written out (TestHashIsStable checks they agree).
var saramaCompatHasher = kgo.SaramaCompatHasher(fnv32a)

func fnv32a(b []byte) uint32 {
	const (
		offset32 = 2166136261
		prime32  = 16777619
	)
	h := uint32(offset32)
	for _, c := range b {
		h ^= uint32(c)
		h *= prime32
	}
	return h
}
