package kafkastorageextension

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestSetGetDelete(t *testing.T) {
	_, brokers := newCluster(t)
	c := getClient(t, start(t, brokers, "state"), retrainID)
	ctx := context.Background()

	assert.Nil(t, mustGet(t, c, "missing"))
	require.NoError(t, c.Set(ctx, "a", []byte("1")))
	assert.Equal(t, []byte("1"), mustGet(t, c, "a"), "a client reads its own write at once")
	require.NoError(t, c.Set(ctx, "a", []byte("2")))
	assert.Equal(t, []byte("2"), mustGet(t, c, "a"))
	require.NoError(t, c.Set(ctx, "empty", nil))
	assert.Equal(t, []byte{}, mustGet(t, c, "empty"), "Set with nil stores an empty value, not a tombstone")
	require.NoError(t, c.Delete(ctx, "a"))
	assert.Nil(t, mustGet(t, c, "a"))
	require.NoError(t, c.Delete(ctx, "never-set"), "deleting a missing key is no error")

	v := []byte("mine")
	require.NoError(t, c.Set(ctx, "b", v))
	v[0] = 'X'
	got := mustGet(t, c, "b")
	assert.Equal(t, []byte("mine"), got, "Set copies the value")
	got[0] = 'Y'
	assert.Equal(t, []byte("mine"), mustGet(t, c, "b"), "Get returns a copy")
}

func TestBatch(t *testing.T) {
	_, brokers := newCluster(t)
	c := getClient(t, start(t, brokers, "state"), retrainID)
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "old", []byte("o")))

	tests := []struct {
		name  string
		ops   []*storage.Operation
		gets  map[int]string // op index → the value its Get read ("<nil>" for none)
		after map[string]string
	}{
		{
			name: "gets read memory and the batch's earlier writes",
			ops: []*storage.Operation{
				storage.GetOperation("old"),
				storage.SetOperation("k", []byte("1")),
				storage.GetOperation("k"),
				storage.SetOperation("k", []byte("2")),
				storage.GetOperation("k"),
				storage.DeleteOperation("old"),
				storage.GetOperation("old"),
			},
			gets:  map[int]string{0: "o", 2: "1", 4: "2", 6: "<nil>"},
			after: map[string]string{"k": "2", "old": "<nil>"},
		},
		{
			name: "the last write of a key wins",
			ops: []*storage.Operation{
				storage.SetOperation("x", []byte("1")),
				storage.DeleteOperation("x"),
				storage.SetOperation("y", []byte("1")),
				storage.SetOperation("x", []byte("3")),
				storage.DeleteOperation("y"),
			},
			after: map[string]string{"x": "3", "y": "<nil>"},
		},
		{
			name:  "only gets",
			ops:   []*storage.Operation{storage.GetOperation("k"), storage.GetOperation("nope")},
			gets:  map[int]string{0: "2", 1: "<nil>"},
			after: map[string]string{"k": "2"},
		},
		{name: "empty"},
	}
	str := func(b []byte) string {
		if b == nil {
			return "<nil>"
		}
		return string(b)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, c.Batch(ctx, tt.ops...))
			for i, want := range tt.gets {
				assert.Equal(t, want, str(tt.ops[i].Value), "op %d", i)
			}
			for k, want := range tt.after {
				assert.Equal(t, want, str(mustGet(t, c, k)), "key %q after the batch", k)
			}
		})
	}
}

func TestTwoCollectorsSeeEachOther(t *testing.T) {
	_, brokers := newCluster(t)
	a := getClient(t, start(t, brokers, "state"), retrainID)
	b := getClient(t, start(t, brokers, "state"), retrainID)
	ctx := context.Background()

	require.NoError(t, a.Set(ctx, "k", []byte("from a")))
	eventually(t, b, "k", []byte("from a"))
	require.NoError(t, b.Set(ctx, "k", []byte("from b")))
	eventually(t, a, "k", []byte("from b"))
	require.NoError(t, a.Batch(ctx, storage.SetOperation("m", []byte("1")), storage.DeleteOperation("k")))
	eventually(t, b, "m", []byte("1"))
	eventually(t, b, "k", nil)
}

func TestRestartReadsTheCompactedState(t *testing.T) {
	cluster, brokers := newCluster(t)
	ctx := context.Background()

	first := start(t, brokers, "state")
	c := getClient(t, first, retrainID)
	for i := range 20 {
		require.NoError(t, c.Set(ctx, "counter", []byte{byte(i)}))
	}
	require.NoError(t, c.Set(ctx, "gone", []byte("x")))
	require.NoError(t, c.Delete(ctx, "gone"))
	require.NoError(t, c.Set(ctx, "kept", []byte("v")))
	require.NoError(t, c.Set(ctx, "empty", []byte{}))
	require.NoError(t, first.Shutdown(ctx))

	cluster.Compact()
	second := start(t, brokers, "state")
	c2 := getClient(t, second, retrainID)
	assert.Equal(t, []byte{19}, mustGet(t, c2, "counter"))
	assert.Nil(t, mustGet(t, c2, "gone"))
	assert.Equal(t, []byte("v"), mustGet(t, c2, "kept"))
	assert.Equal(t, []byte{}, mustGet(t, c2, "empty"), "an empty value is not read back as a tombstone")
}

func TestNamespaces(t *testing.T) {
	_, brokers := newCluster(t)
	ctx := context.Background()
	ext := start(t, brokers, "state")
	other := start(t, brokers, "state") // another collector

	clientOf := func(ext *kafkaStorage, kind component.Kind, id component.ID, name string) storage.Client {
		c, err := ext.GetClient(ctx, kind, id, name)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, c.Close(ctx)) })
		return c
	}
	tier2 := component.MustNewIDWithName("retrain", "tier2")
	clients := []struct {
		name string
		kind component.Kind
		id   component.ID
		sub  string
	}{
		{"retrain", component.KindProcessor, retrainID, ""},
		{"retrain/tier2", component.KindProcessor, tier2, ""},
		{"retrain/tier2 named", component.KindProcessor, tier2, "models"},
		{"receiver retrain", component.KindReceiver, retrainID, ""},
		{"slash in name", component.KindProcessor, component.MustNewIDWithName("retrain", "a/b"), ""},
		{"slash in storage name", component.KindProcessor, component.MustNewIDWithName("retrain", "a"), "b"},
	}
	for i, cc := range clients {
		require.NoError(t, clientOf(ext, cc.kind, cc.id, cc.sub).Set(ctx, "key", []byte(cc.name)), cc.name)
		// "/key" in namespace a + storage b must not be "key" of id a/b.
		require.NoError(t, clientOf(ext, cc.kind, cc.id, cc.sub).Set(ctx, "/key", []byte(cc.name+" slash")), cc.name)
		_ = i
	}
	for _, cc := range clients {
		t.Run(cc.name, func(t *testing.T) {
			assert.Equal(t, cc.name, string(mustGet(t, clientOf(ext, cc.kind, cc.id, cc.sub), "key")))
			assert.Equal(t, cc.name+" slash", string(mustGet(t, clientOf(ext, cc.kind, cc.id, cc.sub), "/key")))
			// The same component in another collector shares the namespace.
			eventually(t, clientOf(other, cc.kind, cc.id, cc.sub), "key", []byte(cc.name))
		})
	}
}

// A sending queue here would be one queue for every collector sharing the topic.
func TestAnExporterGetsNoClient(t *testing.T) {
	_, brokers := newCluster(t)
	ext := start(t, brokers, "state")
	_, err := ext.GetClient(context.Background(), component.KindExporter, component.MustNewID("retrain"), "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `exporter "retrain" cannot keep its sending queue here`)
}

func TestNamespaceNames(t *testing.T) {
	tests := []struct {
		kind component.Kind
		id   component.ID
		name string
		want string
	}{
		{component.KindProcessor, component.MustNewID("retrain"), "", "processor/retrain///"},
		{component.KindProcessor, component.MustNewIDWithName("retrain", "tier2"), "", "processor/retrain/tier2//"},
		{component.KindExporter, component.MustNewIDWithName("otlp", "x"), "logs", "exporter/otlp/x/logs/"},
		{component.KindReceiver, component.MustNewIDWithName("filelog", "a/b%"), "c/d", "receiver/filelog/a%2Fb%25/c%2Fd/"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, namespace(tt.kind, tt.id, tt.name))
	}
}

func TestTopicIsCreatedCompacted(t *testing.T) {
	_, brokers := newCluster(t)
	cfg := testConfig(brokers, "fresh")
	cfg.CreateTopic.Partitions = 3
	ext := create(t, cfg, nil)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))

	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	rcs, err := adm.DescribeTopicConfigs(context.Background(), "fresh")
	require.NoError(t, err)
	rc, err := rcs.On("fresh", nil)
	require.NoError(t, err)
	policy := ""
	for _, c := range rc.Configs {
		if c.Key == "cleanup.policy" && c.Value != nil {
			policy = *c.Value
		}
	}
	assert.Equal(t, "compact", policy)
	topics, err := adm.ListTopics(context.Background(), "fresh")
	require.NoError(t, err)
	assert.Len(t, topics["fresh"].Partitions, 3)

	// Keys spread over the partitions still read back, here and after a restart.
	c := getClient(t, ext, retrainID)
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		require.NoError(t, c.Set(context.Background(), k, []byte(k)))
	}
	again := getClient(t, start(t, brokers, "fresh"), retrainID)
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		assert.Equal(t, []byte(k), mustGet(t, again, k))
	}
}

func TestExistingTopicNotCompactedWarns(t *testing.T) {
	_, brokers := newCluster(t, kfake.SeedTopics(1, "plain"))
	tests := []struct {
		topic string
		warns bool
	}{
		{"plain", true},
		{"created", false},
	}
	for _, tt := range tests {
		t.Run(tt.topic, func(t *testing.T) {
			core, logs := observer.New(zapcore.WarnLevel)
			ext := create(t, testConfig(brokers, tt.topic), zap.New(core))
			require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()), "not compacted is a warning, not a failure")
			warned := logs.FilterMessageSnippet("not compacted").All()
			if !tt.warns {
				assert.Empty(t, warned)
				return
			}
			require.Len(t, warned, 1)
			assert.Equal(t, "delete", warned[0].ContextMap()["cleanup.policy"])
		})
	}
}

func TestStartFailsWhenKafkaIsUnreachable(t *testing.T) {
	addr := closedPort(t)
	cfg := testConfig([]string{addr}, "state")
	cfg.StartTimeout = 2 * time.Second
	ext := create(t, cfg, nil)

	began := time.Now()
	err := ext.Start(context.Background(), componenttest.NewNopHost())
	took := time.Since(began)
	require.Error(t, err)
	t.Log(err)
	assert.Contains(t, err.Error(), `kafka_storage: could not load topic "state" from brokers [`+addr+`] within 2s: `)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Less(t, took, 3*time.Second, "Start is bounded by start_timeout")
	assert.GreaterOrEqual(t, took, 2*time.Second, "Start keeps trying until start_timeout")

	_, err = ext.GetClient(context.Background(), component.KindProcessor, retrainID, "")
	assert.ErrorIs(t, err, errNotStarted)
}

func TestStartReturnsWhenItsContextIsCanceled(t *testing.T) {
	addr := closedPort(t)
	cfg := testConfig([]string{addr}, "state")
	cfg.StartTimeout = time.Minute
	ext := create(t, cfg, nil)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	began := time.Now()
	err := ext.Start(ctx, componenttest.NewNopHost())
	require.Error(t, err)
	t.Log(err)
	assert.Less(t, time.Since(began), 2*time.Second)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), `kafka_storage: loading topic "state" from brokers [`+addr+`]: Start's context ended`)
}

func TestShutdownWithoutStart(t *testing.T) {
	ext := create(t, testConfig([]string{closedPort(t)}, "state"), nil)
	require.NoError(t, ext.Shutdown(context.Background()))
	require.NoError(t, ext.Shutdown(context.Background()), "twice")
	_, err := ext.GetClient(context.Background(), component.KindProcessor, retrainID, "")
	assert.ErrorIs(t, err, errShutDown)
}

func TestAfterShutdownAndClose(t *testing.T) {
	_, brokers := newCluster(t)
	ctx := context.Background()
	ext := start(t, brokers, "state")
	closed := getClient(t, ext, retrainID)
	require.NoError(t, closed.Close(ctx))
	_, err := closed.Get(ctx, "k")
	assert.ErrorIs(t, err, errClientClosed)
	assert.ErrorIs(t, closed.Set(ctx, "k", nil), errClientClosed)

	c := getClient(t, ext, retrainID)
	require.NoError(t, c.Set(ctx, "k", []byte("v")))
	require.NoError(t, ext.Shutdown(ctx))
	_, err = c.Get(ctx, "k")
	assert.ErrorIs(t, err, errShutDown)
	assert.ErrorIs(t, c.Batch(ctx, storage.SetOperation("k", nil)), errShutDown)
	_, err = ext.GetClient(ctx, component.KindProcessor, retrainID, "")
	assert.ErrorIs(t, err, errShutDown)
}

func TestBatchHonoursItsContext(t *testing.T) {
	_, brokers := newCluster(t)
	c := getClient(t, start(t, brokers, "state"), retrainID)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, c.Set(ctx, "k", []byte("v")), context.Canceled)
	assert.Nil(t, mustGet(t, c, "k"))
}
