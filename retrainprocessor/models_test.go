package retrainprocessor

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestModel() *model { return &model{} }

func TestModelsInsertFindRemove(t *testing.T) {
	tests := []struct {
		name   string
		models int
		max    int
		remove func(i int) bool
	}{
		{"one", 1, 10, func(int) bool { return false }},
		{"grows past many rebuilds", 5000, 100000, func(int) bool { return false }},
		{"remove every other", 3000, 100000, func(i int) bool { return i%2 == 0 }},
		{"remove all", 1000, 100000, func(int) bool { return true }},
		{"full", 100, 60, func(int) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tab := newModels(tt.max)
			key := func(i int) modelKey { return modelKey{fmt.Sprintf("m%d", i), fmt.Sprint(i % 3)} }
			got := map[int]*model{}
			for i := range tt.models {
				m := tab.get(key(i), newTestModel)
				if i >= tt.max {
					assert.Nil(t, m, "model %d over max_models", i)
					continue
				}
				require.NotNil(t, m)
				assert.Equal(t, key(i), m.key)
				got[i] = m
			}
			for i, m := range got {
				assert.Same(t, m, tab.get(key(i), func() *model { t.Fatal("created again"); return nil }))
				if tt.remove(i) {
					tab.remove(m)
					tab.remove(m) // twice is harmless
				}
			}
			live := map[*model]bool{}
			for i, m := range got {
				if !tt.remove(i) {
					live[m] = true
				}
			}
			snap := tab.snapshot(nil)
			assert.Len(t, snap, len(live))
			for _, m := range snap {
				assert.True(t, live[m], "snapshot holds a removed model %v", m.key)
			}
			assert.Equal(t, int64(len(live)), tab.count.Load())

			// Removed models come back as new ones; the table still finds every live one.
			for i, m := range got {
				again := tab.get(key(i), newTestModel)
				if tt.remove(i) {
					assert.NotSame(t, m, again)
				} else {
					assert.Same(t, m, again)
				}
			}
			assert.Len(t, tab.snapshot(nil), len(got))
		})
	}
}

// Readers take no lock: run them against inserts, removals and rebuilds under the race detector.
func TestModelsConcurrentReadersAndWriters(t *testing.T) {
	tab := newModels(1 << 20)
	const n = 2000
	key := func(i int) modelKey { return modelKey{model: fmt.Sprintf("m%d", i)} }
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range 3 {
				for i := w; i < n; i += 4 {
					m := tab.get(key(i), newTestModel)
					if !assert.NotNil(t, m) || !assert.Equal(t, key(i), m.key) {
						return
					}
					if (i+r)%5 == 0 {
						tab.remove(m)
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 50 {
			for _, m := range tab.snapshot(nil) {
				if m == tombstone {
					t.Error("snapshot returned the tombstone")
					return
				}
			}
		}
	}()
	wg.Wait()
	for i := range n {
		m := tab.get(key(i), newTestModel)
		require.NotNil(t, m)
		assert.Same(t, m, tab.get(key(i), newTestModel))
	}
	assert.Equal(t, int64(n), tab.count.Load())
}
