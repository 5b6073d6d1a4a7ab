package kafkastorageextension

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

func TestSubscribe(t *testing.T) {
	_, brokers := newCluster(t)
	ctx := context.Background()
	other := getClient(t, start(t, brokers, "state"), retrainID) // another collector
	otherComponent := getClient(t, start(t, brokers, "state"), component.MustNewIDWithName("retrain", "b"))
	require.NoError(t, other.Set(ctx, "k1", []byte("1")))
	require.NoError(t, other.Set(ctx, "k2", []byte("2")))
	require.NoError(t, other.Set(ctx, "gone", []byte("x")))
	require.NoError(t, other.Delete(ctx, "gone"))

	self := getClient(t, start(t, brokers, "state"), retrainID)
	rec := &recorder{}
	cancel := self.(subscriber).Subscribe(rec.fn)
	assert.Equal(t, []change{{key: "k1", value: "1"}, {key: "k2", value: "2"}}, rec.get(),
		"the namespace's keys, delivered before Subscribe returns, without the namespace and without deleted keys")

	require.NoError(t, self.Set(ctx, "mine", []byte("m")))             // own write: not delivered
	require.NoError(t, otherComponent.Set(ctx, "k1", []byte("other"))) // another namespace: not delivered
	require.NoError(t, other.Set(ctx, "k3", []byte("3")))
	require.NoError(t, other.Delete(ctx, "k1"))
	require.NoError(t, other.Batch(ctx, storage.SetOperation("k3", []byte("3b")), storage.SetOperation("k1", []byte("1b"))))
	want := []change{
		{key: "k1", value: "1"}, {key: "k2", value: "2"},
		{key: "k3", value: "3"}, {key: "k1", deleted: true}, {key: "k3", value: "3b"}, {key: "k1", value: "1b"},
	}
	require.Eventually(t, func() bool { return len(rec.get()) >= len(want) }, 10*time.Second, 5*time.Millisecond)
	eventually(t, self, "k1", []byte("1b")) // the tail is past every write above
	require.NoError(t, self.Delete(ctx, "mine"))
	assert.Equal(t, want, rec.get(), "the other writer's changes in topic order; own writes and other namespaces not")

	cancel()
	cancel() // twice is fine
	require.NoError(t, other.Set(ctx, "after", []byte("cancel")))
	eventually(t, self, "after", []byte("cancel"))
	assert.Equal(t, want, rec.get(), "nothing after cancel")
}

func TestSubscribeSeesThePreviousRunsWrites(t *testing.T) {
	_, brokers := newCluster(t)
	ctx := context.Background()
	previous := start(t, brokers, "state") // still writing when the new one starts, as in a rolling restart
	old := getClient(t, previous, retrainID)
	require.NoError(t, old.Set(ctx, "k", []byte("before")))

	c := getClient(t, start(t, brokers, "state"), retrainID)
	rec := &recorder{}
	defer c.(subscriber).Subscribe(rec.fn)()
	require.NoError(t, old.Set(ctx, "k", []byte("after")))
	require.Eventually(t, func() bool { return len(rec.get()) == 2 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, []change{{key: "k", value: "before"}, {key: "k", value: "after"}}, rec.get())
}

// TestSubscribeNoGapNoDouble subscribes while another collector writes: every write is seen
// exactly once, in the snapshot or from the tail, and the last one seen is the last one written.
func TestSubscribeNoGapNoDouble(t *testing.T) {
	_, brokers := newCluster(t)
	ctx := context.Background()
	writer := getClient(t, start(t, brokers, "state"), retrainID)
	reader := getClient(t, start(t, brokers, "state"), retrainID)
	const n = 200
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			if err := writer.Set(ctx, "k", []byte{byte(i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	time.Sleep(20 * time.Millisecond)
	rec := &recorder{}
	defer reader.(subscriber).Subscribe(rec.fn)()
	<-done
	eventually(t, reader, "k", []byte{n - 1})
	seen := rec.get()
	require.NotEmpty(t, seen)
	for i := 1; i < len(seen); i++ {
		assert.Equal(t, seen[i-1].value[0]+1, seen[i].value[0], "consecutive, no gap and no double, at %d", i)
	}
	assert.Equal(t, byte(n-1), seen[len(seen)-1].value[0])
}

func TestCloseCancelsSubscriptions(t *testing.T) {
	_, brokers := newCluster(t)
	ctx := context.Background()
	other := getClient(t, start(t, brokers, "state"), retrainID)
	ext := start(t, brokers, "state")
	c, err := ext.GetClient(ctx, component.KindProcessor, retrainID, "")
	require.NoError(t, err)
	rec := &recorder{}
	cancel := c.(subscriber).Subscribe(rec.fn)
	require.NoError(t, c.Close(ctx))
	cancel()
	require.NoError(t, other.Set(ctx, "k", []byte("v")))
	eventually(t, getClient(t, ext, retrainID), "k", []byte("v"))
	assert.Empty(t, rec.get())
	assert.NotPanics(t, func() { c.(subscriber).Subscribe(rec.fn)() }, "Subscribe after Close does nothing")
	assert.Empty(t, rec.get())
}

// TestOffsetRule runs the two paths that apply records, the tail and the acknowledgements of
// this instance's writes, in the orders the network can give them.
func TestOffsetRule(t *testing.T) {
	const ns = "processor/retrain///"
	rec := func(offset int64, value, writer string) *kgo.Record {
		r := &kgo.Record{Key: []byte(ns + "k"), Offset: offset, Headers: []kgo.RecordHeader{{Key: writerHeader, Value: []byte(writer)}}}
		if value != "" {
			r.Value = []byte(value)
		}
		return r
	}
	type step struct {
		own  bool // an acknowledgement of our write; else a record read by the tail
		off  int64
		val  string // "" is a delete
		from string // the writer, for the tail
	}
	tests := []struct {
		name      string
		steps     []step
		want      string // "" for none
		delivered []change
		entries   int // what memory holds, tombstones included
	}{
		{
			name:  "an older record of another writer does not overwrite a newer own write",
			steps: []step{{own: true, off: 5, val: "mine"}, {off: 3, val: "theirs", from: "other"}},
			want:  "mine", entries: 1,
		},
		{
			name:  "an older record does not bring back a key deleted by a newer own delete",
			steps: []step{{own: true, off: 5}, {off: 3, val: "theirs", from: "other"}},
			want:  "", entries: 1,
		},
		{
			name:  "the tombstone is forgotten once the tail reads it back",
			steps: []step{{own: true, off: 5}, {off: 3, val: "theirs", from: "other"}, {off: 5, from: "self"}},
			want:  "", entries: 0,
		},
		{
			name:      "a newer record of another writer applies and is delivered",
			steps:     []step{{own: true, off: 5, val: "mine"}, {off: 7, val: "theirs", from: "other"}},
			want:      "theirs",
			delivered: []change{{key: "k", value: "theirs"}},
			entries:   1,
		},
		{
			name:  "an acknowledgement after the tail read past it is ignored",
			steps: []step{{off: 5, val: "mine", from: "self"}, {off: 6, val: "theirs", from: "other"}, {own: true, off: 5, val: "mine"}},
			want:  "theirs", delivered: []change{{key: "k", value: "theirs"}}, entries: 1,
		},
		{
			name:  "own records read back are not delivered",
			steps: []step{{own: true, off: 1, val: "mine"}, {off: 1, val: "mine", from: "self"}, {off: 2, val: "again", from: "self"}},
			want:  "again", entries: 1,
		},
		{
			name:      "a delete of another writer is delivered with a nil value",
			steps:     []step{{off: 1, val: "theirs", from: "other"}, {off: 2, from: "other"}},
			want:      "",
			delivered: []change{{key: "k", value: "theirs"}, {key: "k", deleted: true}},
			entries:   0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newState("self")
			r := &recorder{}
			sub := st.subscribe(ns, r.fn)
			defer st.unsubscribe(sub)
			for _, s := range tt.steps {
				if s.own {
					var v []byte
					if s.val != "" {
						v = []byte(s.val)
					}
					st.applyOwn(ns+"k", v, 0, s.off)
					continue
				}
				deliver(st.applyTail([]*kgo.Record{rec(s.off, s.val, s.from)}))
			}
			assert.Equal(t, tt.want, string(st.get(ns+"k")))
			assert.Equal(t, tt.delivered, r.get())
			assert.Equal(t, tt.entries, st.size())
		})
	}
}
