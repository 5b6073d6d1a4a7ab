package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"math"

	"github.com/visutility/otelcol-retrain/internal/job"
)

// ThroughputFloorConfig flags a model serving fewer predictions per second than a floor.
type ThroughputFloorConfig struct {
	Enabled bool    `mapstructure:"enabled"`
	MinRate float64 `mapstructure:"min_rate"`
	_       struct{}
}

// ThroughputFloorOverride replaces the keys it sets for one model.
type ThroughputFloorOverride struct {
	Enabled *bool    `mapstructure:"enabled"`
	MinRate *float64 `mapstructure:"min_rate"`
	_       struct{}
}

// With returns the config with the override's keys applied.
func (c ThroughputFloorConfig) With(o *ThroughputFloorOverride) ThroughputFloorConfig {
	if o == nil {
		return c
	}
	if o.Enabled != nil {
		c.Enabled = *o.Enabled
	}
	if o.MinRate != nil {
		c.MinRate = *o.MinRate
	}
	return c
}

// Validate names the key (prefixed with prefix) and the bad value.
func (c ThroughputFloorConfig) Validate(prefix string) []error {
	if !c.Enabled {
		return nil
	}
	if math.IsNaN(c.MinRate) || math.IsInf(c.MinRate, 0) || c.MinRate <= 0 {
		return []error{fmt.Errorf("%s::min_rate must be a positive number of predictions per second (got %v)", prefix, c.MinRate)}
	}
	return nil
}

type throughputFloor struct{ min float64 }

// NewThroughputFloor builds the throughput_floor observer.
func NewThroughputFloor(c ThroughputFloorConfig) Observer { return &throughputFloor{min: c.MinRate} }

func (*throughputFloor) Name() string { return "throughput_floor" }

// Observe needs throughput data and a model watched for a whole window, whatever its prediction
// count: min_samples would hide exactly the models that nearly stopped serving, and a model seen
// for part of the window would read as slow.
func (o *throughputFloor) Observe(s *Stats) (ev job.Evidence, outcome Outcome) {
	switch {
	case s.ThroughputSamples == 0:
		return ev, NoData
	case !(s.Coverage >= 1): // NaN included
		return ev, FewSamples
	case !finite(s.ThroughputRate):
		return ev, NonFinite
	}
	ev.Observer, ev.Statistic, ev.Unit = o.Name(), "rate", "/s"
	ev.Value, ev.Threshold, ev.Samples = s.ThroughputRate, o.min, s.ThroughputSamples
	ev.Flagged = s.ThroughputRate < o.min
	return ev, Observed
}
