package observer

import (
	"testing"
	"time"
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
