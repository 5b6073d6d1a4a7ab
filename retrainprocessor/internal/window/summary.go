package window // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"

import (
	"math"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
)

// Summary is one evaluation window of a model, merged from its slots. Keep one per evaluator and
// reuse it: its buffers survive Summarize.
type Summary struct {
	// Start and End bound the window in unix nanoseconds, End exclusive.
	Start, End int64

	kind     Kind
	bounds   []float64
	factor   float64
	explicit []uint64 // the window's kept total (merged.go), not added slot by slot
	exp      quantile.Exponential
	sketch   quantile.Sketch

	latCount         uint64
	latStart, latEnd int64
	latSeen          bool

	tpSum          float64
	tpN            uint64
	tpStart, tpEnd int64
	tpGaugeSum     float64
	tpGaugeN       uint64

	accSum float64
	accN   uint64
}

func (s *Summary) reset() {
	clear(s.explicit)
	s.explicit = s.explicit[:0]
	s.exp.Reset()
	s.sketch.Reset()
	s.latCount, s.latStart, s.latEnd, s.latSeen = 0, 0, 0, false
	s.tpSum, s.tpN, s.tpStart, s.tpEnd, s.tpGaugeSum, s.tpGaugeN = 0, 0, 0, 0, 0, 0
	s.accSum, s.accN = 0, 0
}

func (s *Summary) add(sl *slot) {
	if sl.latSeen {
		switch s.kind {
		case KindExponential:
			s.exp.Merge(&sl.exp)
		case KindSketch:
			s.sketch.Merge(&sl.sketch)
		}
		s.latCount += sl.latCount
		if !s.latSeen {
			s.latSeen, s.latStart, s.latEnd = true, sl.latStart, sl.latEnd
		} else {
			s.latStart = min(s.latStart, sl.latStart)
			s.latEnd = max(s.latEnd, sl.latEnd)
		}
	}
	if sl.tpN > 0 {
		if s.tpN == 0 {
			s.tpStart, s.tpEnd = sl.tpStart, sl.tpEnd
		} else {
			s.tpStart = min(s.tpStart, sl.tpStart)
			s.tpEnd = max(s.tpEnd, sl.tpEnd)
		}
		s.tpSum += sl.tpSum
		s.tpN += sl.tpN
	}
	s.tpGaugeSum += sl.tpGaugeSum
	s.tpGaugeN += sl.tpGaugeN
	s.accSum += sl.accSum
	s.accN += sl.accN
}

// Count is the number of latency observations in the window.
func (s *Summary) Count() uint64 { return s.latCount }

// Quantile estimates the q-quantile of latency in ms, with the bounds of the bucket it comes from:
// the explicit bucket the rank falls in, the exponential bucket scaled to ms, or the sketch's
// relative error bound. See the README for each estimate's error.
func (s *Summary) Quantile(q float64) (quantile.Estimate, bool) {
	if s.latCount == 0 {
		return quantile.Estimate{}, false
	}
	switch s.kind {
	case KindExplicit:
		return quantile.Explicit(q, s.bounds, s.explicit)
	case KindExponential:
		est, ok := s.exp.Quantile(q)
		return est.Scale(s.factor), ok
	case KindSketch:
		return s.sketch.Quantile(q)
	}
	return quantile.Estimate{}, false
}

// Predictions is the number of predictions the window saw: latency observations, or the
// throughput counter's total when no latency arrived.
func (s *Summary) Predictions() uint64 {
	if s.latCount > 0 {
		return s.latCount
	}
	if s.tpN > 0 && s.tpSum > 0 {
		return uint64(math.Round(s.tpSum))
	}
	return 0
}

// Throughput returns predictions per second and the samples it rests on (0 = no data). A counter
// gives its increase over the time it covered, resting on its points (a counter that stopped
// growing is a rate of 0, not missing data); a gauge its mean, resting on its readings; with
// derive and neither, the latency observation count over the time it covered, resting on the
// observations.
func (s *Summary) Throughput(derive bool) (perSecond float64, samples uint64) {
	switch {
	case s.tpN > 0:
		if span := s.tpEnd - s.tpStart; span > 0 {
			return s.tpSum / seconds(span), s.tpN
		}
	case s.tpGaugeN > 0:
		return s.tpGaugeSum / float64(s.tpGaugeN), s.tpGaugeN
	case derive && s.latSeen:
		if span := s.latEnd - s.latStart; span > 0 {
			return float64(s.latCount) / seconds(span), s.latCount
		}
	}
	return 0, 0
}

// Accuracy returns the mean accuracy and how many readings it averages (0 = no data).
func (s *Summary) Accuracy() (mean float64, samples uint64) {
	if s.accN == 0 {
		return 0, 0
	}
	return s.accSum / float64(s.accN), s.accN
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }
