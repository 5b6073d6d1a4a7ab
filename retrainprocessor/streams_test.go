package retrainprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/delta"
)

func TestStreamsInlineThenMap(t *testing.T) {
	s := streams{max: 10}
	a, b, c := s.get(1, streamHist), s.get(2, streamSum), s.get(3, streamSum)
	assert.Equal(t, 3, s.len())
	assert.Len(t, s.more, 1, "the third stream goes to the map")
	delta.Next(&a.clock, &a.hist, 1, 10, &delta.HistogramPoint{Count: 1, Bounds: []float64{1}, Buckets: []uint64{1, 0}}, &delta.HistogramPoint{})
	delta.Next(&b.clock, &b.sum, 1, 20, &delta.SumPoint{Value: 1}, &delta.SumPoint{})
	delta.Next(&c.clock, &c.sum, 1, 30, &delta.SumPoint{Value: 1}, &delta.SumPoint{})

	assert.Same(t, a, s.get(1, streamHist))
	assert.Same(t, b, s.get(2, streamSum))
	assert.Same(t, c, s.get(3, streamSum))
	assert.Equal(t, int64(10), a.clock.Last(), "state kept")

	// A kind change starts the stream afresh.
	b2 := s.get(2, streamHist)
	assert.Same(t, b, b2)
	assert.Equal(t, streamHist, b2.inUse)
	assert.Zero(t, b2.clock.Last())

	// Eviction frees inline entries and map entries alike; freed entries are reused.
	s.evict(15) // drops 1 (last 10) and 2 (reset, last 0)
	assert.Equal(t, 1, s.len())
	assert.Same(t, c, s.get(3, streamSum))
	d := s.get(4, streamExp)
	assert.Equal(t, 2, s.len())
	assert.Zero(t, d.clock.Last(), "a fresh stream")
	assert.Same(t, d, s.get(4, streamExp))
	s.evict(100)
	assert.Zero(t, s.len())
}

func TestStreamsRefuseNewSeriesBeyondMax(t *testing.T) {
	s := streams{max: 3}
	for key := range uint64(3) {
		st := s.get(key, streamSum)
		delta.Next(&st.clock, &st.sum, 1, 10+int64(key), &delta.SumPoint{Value: 1}, &delta.SumPoint{})
	}
	assert.Nil(t, s.get(3, streamSum), "a fourth series")
	assert.Equal(t, 3, s.len())
	assert.NotNil(t, s.get(2, streamSum), "a series held")

	s.evict(11) // drops the series last seen at 10
	assert.NotNil(t, s.get(3, streamSum), "room again")
	assert.Nil(t, s.get(4, streamSum))
}
