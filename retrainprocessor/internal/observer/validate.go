package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"math"
	"time"
)

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// validUnitInterval checks that v is in [0, 1], open at either end as asked.
func validUnitInterval(key string, v float64, lowOpen, highOpen bool) error {
	bad := math.IsNaN(v) || v < 0 || v > 1 || (lowOpen && v == 0) || (highOpen && v == 1)
	if !bad {
		return nil
	}
	lo, hi := "[", "]"
	if lowOpen {
		lo = "("
	}
	if highOpen {
		hi = ")"
	}
	return fmt.Errorf("%s must be in %s0, 1%s (got %v)", key, lo, hi, v)
}

// UnitHint suggests the unit a duration short enough to have been written as a bare number
// (nanoseconds) probably lacks: "; did you mean 5s?".
func UnitHint(d time.Duration, unit string) string {
	if d <= 0 || d >= time.Microsecond {
		return ""
	}
	return fmt.Sprintf("; did you mean %d%s?", int64(d), unit)
}
