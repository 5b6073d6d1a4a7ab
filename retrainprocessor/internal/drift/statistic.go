package drift

import "fmt"

// Statistic names a drift statistic computed by [Comparer.Compare].
type Statistic uint8

const (
	// PSI is the population stability index, Σ (cur−ref)·ln(cur/ref), in [0, +inf).
	PSI Statistic = iota
	// JS is the Jensen–Shannon distance with base-2 logarithms, in [0, 1].
	JS
	// Hellinger is the Hellinger distance, √(Σ (√ref − √cur)²)/√2, in [0, 1].
	Hellinger
)

var statisticNames = [...]string{PSI: "psi", JS: "js", Hellinger: "hellinger"}

// defaultThresholds are indexed by Statistic; see the package comment for their sources.
var defaultThresholds = [...]float64{PSI: 0.2, JS: 0.1, Hellinger: 0.15}

// String returns the config name: psi, js or hellinger.
func (s Statistic) String() string {
	if s.valid() {
		return statisticNames[s]
	}
	return fmt.Sprintf("Statistic(%d)", uint8(s))
}

// ParseStatistic reads a statistic from its config name: psi, js or hellinger.
func ParseStatistic(s string) (Statistic, error) {
	for i, name := range statisticNames {
		if s == name {
			return Statistic(i), nil
		}
	}
	return 0, fmt.Errorf("must be one of psi, js, hellinger (got %q)", s)
}

// DefaultThreshold returns the value at or above which the statistic conventionally flags
// drift: 0.2 for PSI, 0.1 for JS, 0.15 for Hellinger, and NaN (never flags) for an unknown
// Statistic.
func (s Statistic) DefaultThreshold() float64 {
	if s.valid() {
		return defaultThresholds[s]
	}
	return nan
}

func (s Statistic) valid() bool { return int(s) < len(statisticNames) }
