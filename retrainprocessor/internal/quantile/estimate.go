package quantile

// Estimate is a quantile estimate and the bounds of the bucket it comes from:
// Lower <= Value <= Upper, and the true quantile lies in [Lower, Upper]. A bucket excludes its
// lower bound, so the true quantile is above Lower unless Lower is 0 or equals Upper. Upper is
// +Inf for a rank in an explicit histogram's overflow bucket.
type Estimate struct{ Value, Lower, Upper float64 }

// Scale multiplies the estimate and its bounds by f > 0, as a change of unit.
func (e Estimate) Scale(f float64) Estimate {
	return Estimate{Value: e.Value * f, Lower: e.Lower * f, Upper: e.Upper * f}
}
