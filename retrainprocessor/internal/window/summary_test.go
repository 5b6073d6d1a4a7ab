package window

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
)

// sla is latency_sla with the defaults: p99 over 100 ms.
var sla = (&observer.LatencySLAConfig{Enabled: true, Percentile: 0.99, Threshold: 100 * time.Millisecond}).New()

// observe runs latency_sla on the summary, past min_samples.
func observe(s *Summary) observer.Outcome {
	_, outcome := sla.Observe(&observer.Stats{Latency: s, Predictions: s.Predictions(), MinSamples: 1, Coverage: 1})
	return outcome
}

func TestSummaryQuantileCarriesTheBucketBounds(t *testing.T) {
	base := 1000 * sec
	inf := math.Inf(1)
	// The JavaScript SDK's default bounds, made for ms, on a latency in seconds (factor 1000).
	jsBounds := []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}
	for i := range jsBounds {
		jsBounds[i] *= 1000
	}
	jsCounts := make([]uint64, len(jsBounds)+1)
	jsCounts[1] = 100 // every healthy request takes 20 ms: (0 s, 5 s]
	sdkBounds := []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}
	overflow := make([]uint64, len(sdkBounds)+1)
	overflow[len(sdkBounds)] = 100
	sketchSamples := func(w *Window) {
		for i := range 100 {
			w.AddSample(base+int64(i), 150)
		}
	}
	tests := []struct {
		name    string
		add     func(w *Window)
		want    quantile.Estimate
		outcome observer.Outcome
	}{
		{
			name:    "explicit buckets in seconds with bounds made for ms straddle the threshold",
			add:     func(w *Window) { w.AddExplicit(base, base, jsBounds, jsCounts, 100) },
			want:    quantile.Estimate{Value: 4950, Lower: 0, Upper: 5000},
			outcome: observer.Unresolved,
		},
		{
			name:    "the overflow bucket has no upper bound",
			add:     func(w *Window) { w.AddExplicit(base, base, sdkBounds, overflow, 100) },
			want:    quantile.Estimate{Value: 10000, Lower: 10000, Upper: inf},
			outcome: observer.Observed,
		},
		{
			// Scale 0 in seconds: bucket 6 is (64 s, 128 s].
			name:    "an exponential bucket is scaled to ms",
			add:     func(w *Window) { w.AddExponential(base, base, 1000, 0, 6, []uint64{100}, 0, 100) },
			want:    quantile.Estimate{Value: 64000 * 4 / 3.0, Lower: 64000, Upper: 128000},
			outcome: observer.Observed,
		},
		{
			// Scale -1 in ms: bucket 3 is (64 ms, 256 ms].
			name:    "an exponential bucket straddling the threshold",
			add:     func(w *Window) { w.AddExponential(base, base, 1, -1, 3, []uint64{100}, 0, 100) },
			want:    quantile.Estimate{Value: 64 * 8 / 5.0, Lower: 64, Upper: 256},
			outcome: observer.Unresolved,
		},
		{
			name: "samples are bounded by the sketch's relative error",
			add:  sketchSamples,
			want: func() quantile.Estimate {
				var sk quantile.Sketch
				sk.Add(150)
				est, _ := sk.Quantile(0.5)
				return est
			}(),
			outcome: observer.Observed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWindow(10*time.Second, 3)
			tt.add(w)
			var s Summary
			w.Summarize(base+10*sec, &s)
			got, ok := s.Quantile(0.99)
			require.True(t, ok)
			assert.InEpsilon(t, tt.want.Value, got.Value, 1e-12, "value")
			assert.InEpsilon(t, tt.want.Lower+1, got.Lower+1, 1e-12, "lower")
			if math.IsInf(tt.want.Upper, 1) {
				assert.Equal(t, tt.want.Upper, got.Upper, "upper")
			} else {
				assert.InEpsilon(t, tt.want.Upper, got.Upper, 1e-12, "upper")
			}
			assert.Equal(t, tt.outcome, observe(&s), "latency_sla")
		})
	}
	t.Run("the sketch bound is its relative error around the value", func(t *testing.T) {
		w := newTestWindow(10*time.Second, 3)
		sketchSamples(w)
		var s Summary
		w.Summarize(base+10*sec, &s)
		got, _ := s.Quantile(0.99)
		assert.InEpsilon(t, got.Value/(1+quantile.SketchRelativeError), got.Lower, 1e-12)
		assert.InEpsilon(t, got.Value/(1-quantile.SketchRelativeError), got.Upper, 1e-9)
		assert.Less(t, got.Lower, 150.0)
		assert.GreaterOrEqual(t, got.Upper, 150.0)
	})
}

func TestSummaryQuantileOfOverflowingLatencyIsNotFinite(t *testing.T) {
	base := 1000 * sec
	// Bounds 1, 1e305, 1e306 in minutes: the ingest multiplies them by 60000 ms.
	minutes := []float64{1, 1e305, 1e306}
	for i := range minutes {
		minutes[i] *= 60000
	}
	tests := []struct {
		name string
		add  func(w *Window) Result
		nan  bool
	}{
		{"explicit bounds in minutes overflowing to +Inf, rank below them", func(w *Window) Result {
			return w.AddExplicit(base, base, minutes, []uint64{0, 100, 0, 0}, 100)
		}, false},
		{"explicit bounds in minutes overflowing to +Inf, rank between them", func(w *Window) Result {
			return w.AddExplicit(base, base, minutes, []uint64{0, 0, 100, 0}, 100)
		}, true},
		{"explicit bounds in minutes overflowing to +Inf, rank above them", func(w *Window) Result {
			return w.AddExplicit(base, base, minutes, []uint64{0, 0, 0, 100}, 100)
		}, false},
		{"an exponential histogram at scale 0 from offset 1024", func(w *Window) Result {
			return w.AddExponential(base, base, 1, 0, 1024, []uint64{100}, 0, 100)
		}, false},
		{"an exponential histogram at scale 0 from offset 1023 in seconds", func(w *Window) Result {
			return w.AddExponential(base, base, 1000, 0, 1023, []uint64{100}, 0, 100)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWindow(10*time.Second, 3)
			require.Equal(t, Added, tt.add(w))
			var s Summary
			w.Summarize(base+10*sec, &s)
			got, ok := s.Quantile(0.99)
			require.True(t, ok)
			if tt.nan {
				assert.True(t, math.IsNaN(got.Value), "p99 %v", got.Value)
			} else {
				assert.True(t, math.IsInf(got.Value, 1), "p99 %v", got.Value)
			}
			assert.Equal(t, observer.NonFinite, observe(&s), "latency_sla abstains")
		})
	}
}

func TestThroughputOfACounterThatStoppedGrowingIsZero(t *testing.T) {
	base := 1000 * sec
	tests := []struct {
		name    string
		counts  []float64 // one point per 10 s slot
		rate    float64
		samples uint64
	}{
		{"stopped: every delta is zero", []float64{0, 0, 0}, 0, 3},
		{"nearly stopped: one prediction in 30 s", []float64{0, 1, 0}, 1.0 / 30, 3},
		{"a fraction of a prediction", []float64{0.25, 0, 0}, 0.25 / 30, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWindow(10*time.Second, 3)
			for i, n := range tt.counts {
				at := base + int64(i)*10*sec
				require.Equal(t, Added, w.AddCount(at, at+10*sec-1, n))
			}
			var s Summary
			w.Summarize(base+30*sec, &s)
			rate, samples := s.Throughput(false)
			assert.InDelta(t, tt.rate, rate, 1e-9)
			assert.Equal(t, tt.samples, samples, "the counter's points are data")
		})
	}
}
