package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"errors"
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// Reasons a watched data point is skipped; values of the `reason` attribute of
// otelcol_processor_retrain_data_points_skipped.
const (
	reasonUnattributed = iota
	reasonBadValue
	reasonOverMaxModels
	reasonUnknownType
	reasonUnknownUnit
	reasonOutOfOrder
	reasonLayoutMismatch
	reasonTooOld
	reasonReset
	reasonOverMaxStreamsPerModel
	reasonOverMaxBucketsPerPoint
	reasonOverMaxAttributeLength
	reasonCount
)

var reasonNames = [reasonCount]string{
	reasonUnattributed:   "unattributed",
	reasonBadValue:       "bad_value",
	reasonOverMaxModels:  "over_max_models",
	reasonUnknownType:    "unknown_type",
	reasonUnknownUnit:    "unknown_unit",
	reasonOutOfOrder:     "out_of_order",
	reasonLayoutMismatch: "layout_mismatch",
	reasonTooOld:         "too_old",
	reasonReset:          "reset",

	reasonOverMaxStreamsPerModel: "over_max_streams_per_model",
	reasonOverMaxBucketsPerPoint: "over_max_buckets_per_point",
	reasonOverMaxAttributeLength: "over_max_attribute_length",
}

const (
	signalLatency = iota
	signalThroughput
	signalAccuracy
	signalScore
	signalCount
)

var signalNames = [signalCount]string{"latency", "throughput", "accuracy", "score"}

// tally counts one request's outcomes, recorded once per request instead of once per point.
type tally struct {
	aggregated [signalCount]int64
	skipped    [reasonCount]int64
	newModels  int64
}

// counted holds the totals of the per-request counters (data_points, data_points_skipped), which
// the telemetry reads through callbacks when it collects: an atomic add per request costs a
// fraction of a synchronous counter's Add, which looks its attribute set up in the SDK's map.
// Each total has a cache line of its own, so requests on two cores do not share one.
type counted struct {
	aggregated [signalCount]paddedCount
	skipped    [reasonCount]paddedCount
}

type paddedCount struct {
	n atomic.Int64
	_ [56]byte
}

// registerCounted hands the totals to the telemetry: the counters report the totals that moved.
func (p *retrainProcessor) registerCounted() error {
	observe := func(totals []paddedCount, sets [][]metric.ObserveOption) metric.Int64Callback {
		return func(_ context.Context, o metric.Int64Observer) error {
			for i := range totals {
				if n := totals[i].n.Load(); n > 0 {
					o.Observe(n, sets[i]...)
				}
			}
			return nil
		}
	}
	tb := p.telemetry
	return errors.Join(
		tb.RegisterProcessorRetrainDataPointsCallback(observe(p.counted.aggregated[:], p.attrs.signal[:])),
		tb.RegisterProcessorRetrainDataPointsSkippedCallback(observe(p.counted.skipped[:], p.attrs.reason[:])))
}

// record adds one request's tally to the processor's telemetry.
func (p *retrainProcessor) record(ctx context.Context, t *tally) {
	for i, n := range t.aggregated {
		if n > 0 {
			p.counted.aggregated[i].n.Add(n)
		}
	}
	for i, n := range t.skipped {
		if n > 0 {
			p.counted.skipped[i].n.Add(n)
		}
	}
	if t.newModels > 0 {
		p.telemetry.ProcessorRetrainModels.Add(ctx, t.newModels, p.attrs.id...)
	}
}

// count tallies what the window did with one point of signal.
func (t *tally) count(r window.Result, signal int) {
	switch r {
	case window.Added:
		t.aggregated[signal]++
	case window.TooOld:
		t.skipped[reasonTooOld]++
	case window.LayoutMismatch:
		t.skipped[reasonLayoutMismatch]++
	}
}
