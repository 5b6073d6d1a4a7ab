package drift // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/drift"

// Histogram is a distribution of prediction scores over a span of time, as the processor's
// windows hold it: explicit bucket counts over Bounds, or an exponential histogram.
type Histogram struct {
	// Count is the number of scores.
	Count uint64
	// Start and End bound the span the scores were taken in, unix nanoseconds, End exclusive.
	Start, End int64
	// Bounds are the explicit bucket bounds; Counts has len(Bounds)+1 entries. Empty for an
	// exponential histogram.
	Bounds []float64
	// Exponential marks an exponential histogram: Counts[i] is the count of bucket index
	// Offset+i at Scale, and Zero the zero count.
	Exponential   bool
	Scale, Offset int32
	Zero          uint64
	Counts        []uint64
}
