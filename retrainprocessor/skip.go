package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"

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

// record adds one request's tally to the processor's telemetry.
func (p *retrainProcessor) record(ctx context.Context, t *tally) {
	tb := p.telemetry
	for i, n := range t.aggregated {
		if n > 0 {
			tb.ProcessorRetrainDataPoints.Add(ctx, n, p.attrs.signal[i]...)
		}
	}
	for i, n := range t.skipped {
		if n > 0 {
			tb.ProcessorRetrainDataPointsSkipped.Add(ctx, n, p.attrs.reason[i]...)
		}
	}
	if t.newModels > 0 {
		tb.ProcessorRetrainModels.Add(ctx, t.newModels, p.attrs.id...)
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
