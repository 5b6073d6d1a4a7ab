package retrainprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/kafkastorageextension"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/state"
)

// Tier 2 of a Kafka deployment: several collectors share their decision state through the real
// kafka_storage extension on a Kafka-protocol broker (kfake, on 127.0.0.1). Each node here is one
// collector; a model moves from one to the other as a rebalance would move its partition.

func startKafkaCluster(t *testing.T) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// kafkaNode is a collector whose processor keeps its state in kafka_storage on brokers.
func kafkaNode(t *testing.T, brokers []string, cfg *Config, o nodeOptions) *node {
	t.Helper()
	f := kafkastorageextension.NewFactory()
	sc := f.CreateDefaultConfig().(*kafkastorageextension.Config)
	sc.Brokers = brokers
	sc.StartTimeout = 10 * time.Second
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), sc)
	require.NoError(t, err)
	o.ext = ext
	n := startNode(t, cfg, o)
	require.NotNil(t, n.p.shared, "kafka_storage is seen as shared")
	return n
}

// waitForChange waits until another collector's write of key reached n.
func (n *node) waitForChange(key string) {
	n.t.Helper()
	require.Eventually(n.t, func() bool {
		n.p.shared.mu.Lock()
		defer n.p.shared.mu.Unlock()
		_, ok := n.p.shared.changes[key]
		return ok
	}, 10*time.Second, 5*time.Millisecond, "another collector's write of %s", key)
}

// waitForHandedOn waits until another collector's latest write of key reached n with an empty
// outbox: its write after handing its job on, which lands milliseconds after the one that fired
// it (in the collector a tick comes long after both).
func (n *node) waitForHandedOn(key string) {
	n.t.Helper()
	require.Eventually(n.t, func() bool {
		n.p.shared.mu.Lock()
		defer n.p.shared.mu.Unlock()
		b, ok := n.p.shared.changes[key]
		if !ok || b == nil {
			return false
		}
		r, err := state.Decode(b)
		return err == nil && len(r.Outbox) == 0
	}, 10*time.Second, 5*time.Millisecond, "another collector's write of %s after its hand-off", key)
}

// decision is k's decision, read under the evaluation's lock.
func (n *node) decision(k modelKey) *decision {
	n.p.evalMu.Lock()
	defer n.p.evalMu.Unlock()
	return n.p.eval.decisions[k]
}

// stored reads key from n's storage client.
func (n *node) stored(key string) []byte {
	n.t.Helper()
	b, err := n.p.store.client.Get(context.Background(), key)
	require.NoError(n.t, err)
	return b
}

func TestASharedStorageHandsTheCooldownToTheNextCollector(t *testing.T) {
	brokers := startKafkaCluster(t)
	a := degraded("fraud-detector")
	first := new(consumertest.LogsSink)
	n1 := kafkaNode(t, brokers, testConfig(), nodeOptions{logs: first, now: t0})
	n1.degradeAndEvaluate(a, t0)
	jobs := decodeJobs(t, first.AllLogs())
	require.Len(t, jobs, 1)
	assert.Nil(t, n1.stored(state.IndexKey), "no index in a shared storage: each collector would write over the others'")

	// The partition moves: the second collector now gets the model's data.
	second := new(consumertest.LogsSink)
	n2 := kafkaNode(t, brokers, testConfig(), nodeOptions{logs: second, now: t0.Add(time.Minute)})
	n2.degradeAndEvaluate(a, t0.Add(time.Minute))
	assert.Empty(t, decodeJobs(t, second.AllLogs()), "the first collector's cooldown holds on the second")
	metadatatest.AssertEqualProcessorRetrainJobsSuppressed(t, n2.tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
	d := n2.decision(modelKey{model: "fraud-detector"})
	require.NotNil(t, d)
	assert.Equal(t, jobs[0].ID, d.st.LastJobID)
	assert.Equal(t, 1, n2.logs.FilterMessageSnippet("Took over the decision state other collectors wrote").Len())
}

func TestASharedStorageHandsThePendingStreakToTheNextCollector(t *testing.T) {
	brokers := startKafkaCluster(t)
	cfg := func() *Config {
		c := testConfig()
		c.Strategy.For = 3 * time.Minute
		return c
	}
	a := degraded("fraud-detector")
	sink := new(consumertest.LogsSink)
	n1 := kafkaNode(t, brokers, cfg(), nodeOptions{logs: sink, now: t0})
	n1.degradeAndEvaluate(a, t0)
	n1.degradeAndEvaluate(a, t0.Add(time.Minute))

	n2 := kafkaNode(t, brokers, cfg(), nodeOptions{logs: sink, now: t0.Add(2 * time.Minute)})
	n2.degradeAndEvaluate(a, t0.Add(2*time.Minute))
	require.Empty(t, decodeJobs(t, sink.AllLogs()))
	n2.degradeAndEvaluate(a, t0.Add(3*time.Minute))
	jobs := decodeJobs(t, sink.AllLogs())
	require.Len(t, jobs, 1, "the streak began at t0, on the first collector")
	assert.Equal(t, t0.Add(3*time.Minute), jobs[0].RequestedAt)
}

// A collector that still evaluates a model it no longer gets (its window has not slid past the
// rebalance) fires for it: the collector that holds the model now takes the cooldown from its write.
func TestAJobOfTheFormerHolderStartsTheCooldownOfTheNewOne(t *testing.T) {
	brokers := startKafkaCluster(t)
	stale := new(consumertest.LogsSink)
	current := new(consumertest.LogsSink)
	n1 := kafkaNode(t, brokers, testConfig(), nodeOptions{logs: stale, now: t0})
	n2 := kafkaNode(t, brokers, testConfig(), nodeOptions{logs: current, now: t0})

	// The second collector holds the model already: one export, too few predictions to judge.
	other := newApp("fraud-api-7f9", "fraud-detector", "", t0.Add(-time.Hour))
	other.accuracy = 0.95
	other.serve(20, 20)
	n2.p.ingest(context.Background(), other.export(t0.Add(-time.Second)))
	n2.p.evaluate(context.Background(), t0)
	require.Empty(t, decodeJobs(t, current.AllLogs()))

	a := degraded("fraud-detector")
	n1.degradeAndEvaluate(a, t0)
	require.Len(t, decodeJobs(t, stale.AllLogs()), 1)
	key := state.Key("fraud-detector", "")
	n2.waitForHandedOn(key)

	n2.degradeAndEvaluate(a, t0.Add(time.Minute))
	assert.Empty(t, decodeJobs(t, current.AllLogs()), "the former holder's job started the cooldown here")
	metadatatest.AssertEqualProcessorRetrainJobsSuppressed(t, n2.tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
}

func TestAnOutboxJobLeftInASharedStorageIsHandedOnByTheNextCollector(t *testing.T) {
	brokers := startKafkaCluster(t)
	gate := &gateLogs{} // the first collector's exporter queue is full: the job stays in its outbox
	a := degraded("fraud-detector")
	n1 := kafkaNode(t, brokers, testConfig(), nodeOptions{logs: gate, now: t0})
	n1.degradeAndEvaluate(a, t0)
	require.Zero(t, gate.LogRecordCount())
	n1.stop() // gone, with the job in its outbox

	sink := new(consumertest.LogsSink)
	n2 := kafkaNode(t, brokers, testConfig(), nodeOptions{logs: sink, now: t0.Add(time.Minute)})
	n2.degradeAndEvaluate(a, t0.Add(time.Minute))
	jobs := decodeJobs(t, sink.AllLogs())
	require.Len(t, jobs, 1, "the job is handed on, and no second one fired inside its cooldown")
	assert.Equal(t, job.NewID("fraud-detector", "", t0), jobs[0].ID, "with the id it was fired with")
	assert.Equal(t, 1, n2.logs.FilterMessageSnippet("their outbox jobs are handed on again").Len())

	n2.p.evaluate(context.Background(), t0.Add(2*time.Minute))
	assert.Len(t, decodeJobs(t, sink.AllLogs()), 1, "handed on once")
	r, err := state.Decode(n2.stored(state.Key("fraud-detector", "")))
	require.NoError(t, err)
	assert.Empty(t, r.Outbox, "the record no longer holds the job")
	assert.Equal(t, jobs[0].ID, r.LastJobID)
}

func TestSilencesAreSharedByTheCollectors(t *testing.T) {
	brokers := startKafkaCluster(t)
	n1 := kafkaNode(t, brokers, testConfig(), nodeOptions{now: t0})
	n2 := kafkaNode(t, brokers, testConfig(), nodeOptions{now: t0})
	sl, err := n1.p.addSilence(context.Background(), "fraud-detector", "", time.Hour, "migration")
	require.NoError(t, err)
	n2.waitForChange(silencesKey)
	n2.p.evaluate(context.Background(), t0)
	got := n2.p.silences.snapshot()
	require.Len(t, got, 1)
	assert.Equal(t, sl.ID, got[0].ID)

	// A collector started later reads them too, and a deletion on another one reaches it.
	n3 := kafkaNode(t, brokers, testConfig(), nodeOptions{now: t0})
	require.Len(t, n3.p.silences.snapshot(), 1)
	require.NoError(t, n2.p.deleteSilence(context.Background(), sl.ID))
	n3.waitForChange(silencesKey)
	n3.p.evaluate(context.Background(), t0)
	assert.Empty(t, n3.p.silences.snapshot())
}

// The storage is shared only when its client says so; file_storage's is not.
func TestFileStorageIsNotShared(t *testing.T) {
	n := startNode(t, testConfig(), nodeOptions{dir: t.TempDir(), now: t0})
	assert.Nil(t, n.p.shared)
}

// The collector that holds the model already when the former holder fires (its window has not
// slid past the rebalance) takes the former holder's outbox job too: if the former holder dies
// with it, the job is not lost with it.
func TestAnOutboxJobOfTheFormerHolderIsHandedOnByTheHolder(t *testing.T) {
	brokers := startKafkaCluster(t)
	gate := &gateLogs{} // the former holder's queue is full
	n1 := kafkaNode(t, brokers, testConfig(), nodeOptions{logs: gate, now: t0})
	sink := new(consumertest.LogsSink)
	n2 := kafkaNode(t, brokers, testConfig(), nodeOptions{logs: sink, now: t0})
	other := newApp("fraud-api-7f9", "fraud-detector", "", t0.Add(-time.Hour))
	other.accuracy = 0.5
	other.serve(20, 20) // too few predictions to judge
	n2.p.ingest(context.Background(), other.export(t0.Add(-time.Second)))
	n2.p.evaluate(context.Background(), t0)

	a := degraded("fraud-detector")
	n1.degradeAndEvaluate(a, t0)
	require.Zero(t, gate.LogRecordCount())
	key := state.Key("fraud-detector", "")
	n2.waitForChange(key)
	n2.p.evaluate(context.Background(), t0.Add(time.Minute))
	jobs := decodeJobs(t, sink.AllLogs())
	require.Len(t, jobs, 1, "the holder handed the former holder's job on")
	// The former holder writes its record again, still listing the job, then goes away: the
	// holder, which handed the job on, does not take it a second time.
	n1.p.evalMu.Lock()
	n1.p.eval.touch(modelKey{model: "fraud-detector"})
	n1.p.flush(context.Background(), t0.Add(time.Minute))
	n1.p.evalMu.Unlock()
	n2.waitForChange(key)
	n1.stop()

	assert.Equal(t, job.NewID("fraud-detector", "", t0), jobs[0].ID)
	assert.Equal(t, 1, n2.logs.FilterMessageSnippet("Took RetrainJobs other collectors left in the outbox").Len())
	n2.degradeAndEvaluate(a, t0.Add(2*time.Minute))
	assert.Len(t, decodeJobs(t, sink.AllLogs()), 1, "no second job inside the cooldown")
}

// Two collectors changing the silences at about the same time end on the same list: each change
// starts from the storage's latest, and a change announced by another collector is read again
// from the storage rather than applied as it was queued.
func TestSilencesConvergeWhenTwoCollectorsChangeThem(t *testing.T) {
	brokers := startKafkaCluster(t)
	n1 := kafkaNode(t, brokers, testConfig(), nodeOptions{now: t0})
	n2 := kafkaNode(t, brokers, testConfig(), nodeOptions{now: t0})
	s1, err := n1.p.addSilence(context.Background(), "model-a", "", time.Hour, "one")
	require.NoError(t, err)
	n2.waitForChange(silencesKey) // queued on n2, not taken: its next evaluation would
	s2, err := n2.p.addSilence(context.Background(), "model-b", "", time.Hour, "two")
	require.NoError(t, err)
	n1.waitForChange(silencesKey)
	n1.p.evaluate(context.Background(), t0)
	n2.p.evaluate(context.Background(), t0)
	ids := func(n *node) (out []string) {
		for _, s := range n.p.silences.snapshot() {
			out = append(out, s.ID)
		}
		return out
	}
	assert.Equal(t, []string{s1.ID, s2.ID}, ids(n1))
	assert.Equal(t, []string{s1.ID, s2.ID}, ids(n2))
}

// While two collectors hold one model, one's write makes the other write back only what the
// record lacks; a record that holds everything is not written again, so they do not answer
// each other at every evaluation.
func TestTwoHoldersDoNotRewriteARecordThatHoldsEverything(t *testing.T) {
	brokers := startKafkaCluster(t)
	n1 := kafkaNode(t, brokers, testConfig(), nodeOptions{now: t0})
	n2 := kafkaNode(t, brokers, testConfig(), nodeOptions{now: t0})
	other := newApp("fraud-api-7f9", "fraud-detector", "", t0.Add(-time.Hour))
	other.serve(20, 20)
	n2.p.ingest(context.Background(), other.export(t0.Add(-time.Second)))
	n2.p.evaluate(context.Background(), t0)
	n1.degradeAndEvaluate(degraded("fraud-detector"), t0)
	key := state.Key("fraud-detector", "")
	n2.waitForHandedOn(key)
	end := endOffset(t, brokers)
	n2.p.ingest(context.Background(), other.export(t0.Add(59*time.Second)))
	n2.p.evaluate(context.Background(), t0.Add(time.Minute))
	assert.Equal(t, end, endOffset(t, brokers), "the holder took the cooldown and wrote nothing back")
	d := n2.decision(modelKey{model: "fraud-detector"})
	require.NotNil(t, d)
	assert.Equal(t, job.NewID("fraud-detector", "", t0), d.st.LastJobID)
}

// A collector that stopped holding a model, and was told another one wrote it since, drops its
// own decision: it neither deletes nor overwrites what the other writes.
func TestAFormerHolderLeavesTheRecordToTheOthers(t *testing.T) {
	brokers := startKafkaCluster(t)
	n1 := kafkaNode(t, brokers, testConfig(), nodeOptions{now: t0})
	a := degraded("fraud-detector")
	n1.degradeAndEvaluate(a, t0)
	k := modelKey{model: "fraud-detector"}
	require.NotNil(t, n1.decision(k))
	// n1's window empties: it evicts the model and keeps the cooldown.
	n1.clock.set(t0.Add(20 * time.Minute))
	n1.p.evaluate(context.Background(), t0.Add(20*time.Minute))
	require.Nil(t, n1.p.models.lookup(k))
	require.NotNil(t, n1.decision(k))

	n2 := kafkaNode(t, brokers, testConfig(), nodeOptions{now: t0.Add(20 * time.Minute)})
	n2.degradeAndEvaluate(a, t0.Add(20*time.Minute)) // takes it over, writes it
	n2.p.evalMu.Lock()                               // write the taken-over record, as its next change would
	n2.p.eval.touch(k)
	n2.p.flush(context.Background(), t0.Add(20*time.Minute))
	n2.p.evalMu.Unlock()
	key := state.Key("fraud-detector", "")
	n1.waitForChange(key)
	n1.p.evaluate(context.Background(), t0.Add(21*time.Minute))
	assert.Nil(t, n1.decision(k), "the decision is the holder's now")
	// Past the cooldown, n1 has nothing to drop: the record stays.
	n1.clock.set(t0.Add(2 * time.Hour))
	n1.p.evaluate(context.Background(), t0.Add(2*time.Hour))
	assert.NotNil(t, n2.stored(key), "the former holder did not delete the record")
}

// With Kafka gone, an evaluation gives up on writing after the store's timeout, and Shutdown
// returns: the state stays in memory, counted as a failed write.
func TestAnEvaluationDoesNotWaitForKafkaForever(t *testing.T) {
	defer func(old time.Duration) { loadTimeout = old }(loadTimeout)
	loadTimeout = 200 * time.Millisecond
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	n := kafkaNode(t, c.ListenAddrs(), testConfig(), nodeOptions{now: t0})
	c.Close()
	evaluated := make(chan struct{})
	go func() {
		n.degradeAndEvaluate(degraded("fraud-detector"), t0)
		close(evaluated)
	}()
	select {
	case <-evaluated:
	case <-time.After(30 * time.Second):
		t.Fatal("the evaluation still waits for Kafka 30s later")
	}
	m, err := n.tel.GetMetric("otelcol_processor_retrain_state_errors")
	require.NoError(t, err, "failed writes are counted")
	assert.NotEmpty(t, m.Data.(metricdata.Sum[int64]).DataPoints)
	stopped := make(chan struct{})
	go func() {
		n.stop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown still waits for Kafka 30s later")
	}
}

// endOffset is the end offset of the state topic's one partition: how many records were written.
func endOffset(t *testing.T, brokers []string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	ends, err := kadm.NewClient(cl).ListEndOffsets(context.Background(), "otelcol-retrain-state")
	require.NoError(t, err)
	var n int64
	ends.Each(func(o kadm.ListedOffset) { n += o.Offset })
	return n
}
