package quantile

import "math"

// DefaultMaxBuckets is the bucket limit of an Exponential whose MaxBuckets is 0.
const DefaultMaxBuckets = 160

// Exponential is the positive range of an OpenTelemetry exponential histogram (bucket index i
// covers (base^i, base^(i+1)] with base = 2^(2^-Scale)) plus a zero count. It absorbs buckets
// at any scale and downscales so that it holds at most MaxBuckets buckets.
//
// While it holds no buckets its Scale is unset: the next Add adopts the incoming scale.
// The zero value is an empty Exponential with DefaultMaxBuckets.
type Exponential struct {
	Scale      int32
	ZeroCount  uint64
	Offset     int32    // index of Counts[0]
	Counts     []uint64 // Counts[i] belongs to bucket index Offset+i
	MaxBuckets int      // 0 or less means DefaultMaxBuckets
}

// Reset empties e and unsets its scale, keeping the capacity of Counts.
func (e *Exponential) Reset() {
	e.Scale = 0
	e.ZeroCount = 0
	e.Offset = 0
	e.Counts = e.Counts[:0]
}

// Add merges buckets given at scale, counts[i] belonging to bucket index offset+i, and zeroCount.
// A scale above MaxScale is downscaled to MaxScale; a scale below MinScale cannot be represented
// and the whole call is ignored, as the OpenTelemetry data model rejects it. counts must not alias
// e.Counts (use Merge for that).
func (e *Exponential) Add(scale int32, offset int32, counts []uint64, zeroCount uint64) {
	if scale < MinScale {
		return
	}
	e.ZeroCount += zeroCount
	first, counts := trimZeros(int64(offset), counts)
	if len(counts) == 0 {
		return
	}
	last := first + int64(len(counts)) - 1
	limit := e.maxBuckets()

	target := min(scale, MaxScale)
	held := len(e.Counts) > 0
	if held {
		target = min(target, e.Scale)
	}
	lo, hi := first>>steps(scale, target), last>>steps(scale, target)
	if held {
		k := steps(e.Scale, target)
		lo = min(lo, int64(e.Offset)>>k)
		hi = max(hi, (int64(e.Offset)+int64(len(e.Counts))-1)>>k)
	}
	// Below MinScale, addRun folds the lowest buckets instead; only indices outside float64's
	// range or a tiny MaxBuckets get there.
	for target > MinScale && (hi-lo+1 > int64(limit) || hi > math.MaxInt32) {
		lo >>= 1
		hi >>= 1
		target--
	}
	if held {
		e.Offset, e.Counts = downscale(e.Offset, e.Counts, steps(e.Scale, target))
	}
	e.Scale = target
	e.Offset, e.Counts = addRun(e.Offset, e.Counts, limit, first, steps(scale, target), counts)
}

// Merge adds the buckets and zero count of o to e.
func (e *Exponential) Merge(o *Exponential) {
	if o == e {
		e.ZeroCount *= 2
		for i := range e.Counts {
			e.Counts[i] *= 2
		}
		return
	}
	e.Add(o.Scale, o.Offset, o.Counts, o.ZeroCount)
}

// Count returns the number of observations: the zero count plus all buckets.
func (e *Exponential) Count() uint64 {
	return e.ZeroCount + sum(e.Counts)
}

// Quantile returns the nearest-rank q-quantile (0 < q < 1) within RelativeError of the true one,
// bounded by the bucket holding it (0 for the zero count); ok is false for an empty e or a q
// outside (0, 1). Buckets fold only at MinScale or past index MaxInt32, where their bounds are
// already 0 or +Inf.
func (e *Exponential) Quantile(q float64) (Estimate, bool) {
	return nearestRank(q, e.ZeroCount, e.Scale, e.Offset, e.Counts, e.Count(), false)
}

// RelativeError returns (b-1)/(b+1) for the base b of the current scale.
func (e *Exponential) RelativeError() float64 {
	return relativeError(e.Scale)
}

func (e *Exponential) maxBuckets() int {
	if e.MaxBuckets <= 0 {
		return DefaultMaxBuckets
	}
	return e.MaxBuckets
}

// steps returns how many scale steps lead down from one scale to a coarser one, without int32
// overflow for out-of-range input scales.
func steps(from, to int32) uint {
	return uint(int64(from) - int64(to))
}
