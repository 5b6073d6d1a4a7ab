package observer

import (
	"testing"
	"time"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"
)

// BenchmarkObserve is the observer loop of one model at a tick with the default observers: a
// healthy p99 read from a bucket below the threshold and accuracy above its floor.
func BenchmarkObserve(b *testing.B) {
	observers := []Observer{
		(&LatencySLAConfig{Enabled: true, Percentile: 0.99, Threshold: 100 * time.Millisecond}).New(),
		(&AccuracyDriftConfig{Enabled: true, MinAccuracy: 0.8}).New(),
	}
	stats := &Stats{
		Latency:      bucket(74.5, 50, 75, 200),
		AccuracyMean: 0.95, AccuracySamples: 30,
		Predictions: 200, MinSamples: 100, Coverage: 1,
	}
	observeLoop(b, observers, stats)
}

// observeLoop times the evaluation's observer loop over stats; every observer must observe.
func observeLoop(b *testing.B, observers []Observer, stats *Stats) {
	evidence := make([]Finding, 0, len(observers))
	b.ReportAllocs()
	for b.Loop() {
		evidence = evidence[:0]
		for _, o := range observers {
			if ev, outcome := o.Observe(stats); outcome == Observed {
				evidence = append(evidence, ev)
			}
		}
	}
	if len(evidence) != len(observers) {
		b.Fatalf("%d of %d observers observed", len(evidence), len(observers))
	}
}

// benchScores returns a window's score histogram and its pinned reference as the processor
// passes them to the observers (window.ScoreSum.Histogram): explicit20 has the bounds 0.05, 0.10,
// …, 0.95 (20 buckets), a confident shape with a few scores moved between neighbouring buckets
// in the window; exponential160 is at scale 3 with 160 buckets ending at 1 (offset -160) in the
// reference, and the window's shifted down by one bucket, so the comparison aligns them. The
// window holds 1000 scores (5 slots of 200), the reference 12000 (an hour).
func benchScores(kind string) (cur, ref *drift.Histogram) {
	switch kind {
	case "explicit20":
		bounds := make([]float64, 19)
		for i := range bounds {
			bounds[i] = float64(i+1) / 20
		}
		shape := []uint64{60, 20, 8, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4, 8, 24, 60}
		ref = &drift.Histogram{Bounds: bounds, Counts: make([]uint64, len(shape)), Start: 1, End: 1 + int64(time.Hour)}
		cur = &drift.Histogram{Bounds: bounds, Counts: make([]uint64, len(shape)), Start: 2 * int64(time.Hour), End: 2*int64(time.Hour) + int64(5*time.Minute)}
		for i, n := range shape {
			ref.Counts[i] = 60 * n
			cur.Counts[i] = 5*n + uint64(i%3) - 1 // -1, 0, +1: a little noise
		}
	case "exponential160":
		ref = &drift.Histogram{Exponential: true, Scale: 3, Offset: -160, Counts: make([]uint64, 160), Zero: 600, Start: 1, End: 1 + int64(time.Hour)}
		cur = &drift.Histogram{Exponential: true, Scale: 3, Offset: -161, Counts: make([]uint64, 160), Zero: 50, Start: 2 * int64(time.Hour), End: 2*int64(time.Hour) + int64(5*time.Minute)}
		for i := range 160 {
			ref.Counts[i] = uint64(60 + 12*(i%7))
			cur.Counts[i] = uint64(5 + i%7)
		}
	default:
		panic("unknown scores " + kind)
	}
	for _, h := range []*drift.Histogram{cur, ref} {
		h.Count = h.Zero
		for _, n := range h.Counts {
			h.Count += n
		}
	}
	return cur, ref
}

// defaultObserver is the registered observer name with its defaults, enabled.
func defaultObserver(tb testing.TB, name string) Observer {
	k, ok := Lookup(name)
	if !ok {
		tb.Fatalf("no observer %s", name)
	}
	c := k.Default()
	switch c := c.(type) {
	case *PredictionDriftConfig:
		c.Enabled = true
	case *EstimatedAccuracyConfig:
		c.Enabled = true
	default:
		tb.Fatalf("defaultObserver does not know %s", name)
	}
	return c.New()
}

// BenchmarkObserveDrift is BenchmarkObserve for the score observers with their defaults: the
// observer loop of one model at a tick, prediction_drift (pinned reference: psi over 10 bins,
// min_samples 500 a side) or estimated_accuracy (decision threshold 0.5, a bucket bound), on an
// explicit 20-bucket and an exponential 160-bucket score histogram (benchScores). Healthy
// windows: every finding is observed and none flagged.
func BenchmarkObserveDrift(b *testing.B) {
	for _, name := range []string{"prediction_drift", "estimated_accuracy"} {
		for _, kind := range []string{"explicit20", "exponential160"} {
			b.Run("observer="+name+"/scores="+kind, func(b *testing.B) {
				observers := []Observer{defaultObserver(b, name)}
				cur, ref := benchScores(kind)
				stats := &Stats{
					Score: cur, Reference: ref,
					Predictions: cur.Count, MinSamples: 100, Coverage: 1,
				}
				for _, o := range observers { // grow the comparison's buffers
					if f, outcome := o.Observe(stats); outcome != Observed || f.Flagged {
						b.Fatalf("%s: %s, flagged %v (%s %v)", o.Name(), outcome, f.Flagged, f.Statistic, f.Value)
					}
				}
				observeLoop(b, observers, stats)
			})
		}
	}
}
