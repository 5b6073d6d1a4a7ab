//go:generate mdatagen metadata.yaml

// Package kafkastorageextension is the kafka_storage extension: a storage extension
// (xextension/storage) backed by a compacted Kafka topic, so that every collector that names the
// same topic sees the state every other one writes. The retrain processor keeps its decision
// state in it, so that the tier-2 collectors of one consumer group share their decisions.
//
// # Keys, values and records
//
// A client from GetClient(kind, id, name) owns the namespace
//
//	<kind>/<type>/<id name>/<name>/
//
// (each part path-escaped, so none holds a '/'; e.g. processor/retrain/tier2// for the retrain/tier2
// processor with no storage name). A client's key k is the record key <namespace>k; the value is
// the raw bytes (Set with nil stores an empty value); Delete writes a tombstone (nil value). Every
// record carries the header kafka_storage.writer, a random id made at each Start.
//
// # Memory
//
// Start reads the topic from the beginning to the end offsets it lists, then a goroutine tails
// it. Memory holds, for every key of the topic (every namespace), the last record applied, with
// its partition and offset: it is bounded by the size of the compacted topic, plus an entry per
// key this instance deleted whose tombstone the tail has not read back yet. A record applies only
// if its offset is greater than the one held for its key (one key is on one partition, so offsets
// order its records). Get reads memory only. Set, Delete and Batch produce and wait for the
// acknowledgements (acks=all), then apply the records at their acknowledged offsets, so a client
// reads its own writes at once, and a record of another collector read later by the tail that is
// older than them does not overwrite them.
//
// # Batch
//
// Batch runs its operations in order: a Get reads memory as it is after the operations before it
// in the batch; Sets and Deletes are produced in order and all are acknowledged before Batch
// returns. Batch is not atomic: when it returns an error, the writes it names failed and the
// others may have been written and applied; when its ctx ends first, it returns at once and the
// writes not yet acknowledged may still land (they are applied when they are).
//
// # Subscribe
//
// The client returned by GetClient has the method
//
//	Subscribe(fn func(key string, value []byte)) (cancel func())
//
// with this contract, on which callers may rely structurally (an interface with that one method):
//
//   - Before Subscribe returns, fn is called synchronously, on the caller's goroutine, once for
//     every key currently stored in the client's namespace, in key order. key is without the
//     namespace prefix; value is never nil there.
//   - Afterwards fn is called from the tail goroutine for each later change to a key of the
//     namespace written by another writer instance (another collector, or this collector's
//     previous run), in topic order; value is nil for a delete. A record that does not change
//     memory (older than what is held for its key) is not delivered.
//   - Changes made by this extension instance (any of its clients) are not delivered.
//   - Every change is either in the snapshot or delivered after it, never both and never neither:
//     the subscription is registered under the lock under which the tail applies records, and
//     the tail's deliveries to it wait for the snapshot to end.
//   - After cancel returns, fn is not running and is not called again. cancel may be called more
//     than once. Closing the client cancels its subscriptions; Subscribe on a closed client calls
//     fn for nothing.
//   - fn must not block for long: it holds up the tail, so every key's replication, for every
//     client of this extension. Callers queue what they receive and work elsewhere. fn may call
//     the client's Get, Set, Delete and Batch, but must not call cancel or Close (they wait for fn
//     to return).
//
// # Consistency
//
// Every collector converges on the latest record per key. A write is visible to the writer at
// once and to other collectors when their tail reads it: milliseconds, at most a fetch poll.
// Concurrent writers of one key: the last record in the topic wins, everywhere, including at the
// writers. Start fails, after start_timeout, when Kafka cannot be reached or the topic cannot be
// read to its end: the collector does not start with state it could not read.
package kafkastorageextension // import "github.com/visutility/otelcol-retrain/kafkastorageextension"
