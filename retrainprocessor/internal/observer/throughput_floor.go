package observer // import "github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"

import (
	"fmt"
	"math"
)

func init() {
	register(Kind{
		Name:  "throughput_floor",
		Rank:  30,
		Needs: []Signal{Throughput, Latency},
		Gauge: Gauge{Name: "retrain.model.throughput", Unit: "{prediction}/s", Description: "The model's predictions per second over the window, as throughput_floor judged them."},
		Doc:   "Flags when the predictions per second are below `min_rate`.",
		Keys: map[string]string{
			"min_rate": "Predictions per second; flags below it. Judged once the model has been watched for a whole `window`, whatever its prediction count, so a model that nearly stops (or whose counter is still reported but no longer grows: a rate of 0) is flagged although it is below `min_samples`; before that, and without throughput data, it abstains.",
		},
		Default: func() Config { return &ThroughputFloorConfig{Enabled: false, MinRate: 1} },
	})
}

// ThroughputFloorConfig flags a model serving fewer predictions per second than a floor.
type ThroughputFloorConfig struct {
	Enabled bool    `mapstructure:"enabled"`
	MinRate float64 `mapstructure:"min_rate"`
	_       struct{}
}

func (c *ThroughputFloorConfig) IsEnabled() bool { return c.Enabled }

// Validate names the key (prefixed with prefix) and the bad value.
func (c *ThroughputFloorConfig) Validate(prefix string) []error {
	if !c.Enabled {
		return nil
	}
	if math.IsNaN(c.MinRate) || math.IsInf(c.MinRate, 0) || c.MinRate <= 0 {
		return []error{fmt.Errorf("%s::min_rate must be a positive number of predictions per second (got %v)", prefix, c.MinRate)}
	}
	return nil
}

func (c *ThroughputFloorConfig) New() Observer { return &throughputFloor{min: c.MinRate} }

type throughputFloor struct{ min float64 }

func (*throughputFloor) Name() string { return "throughput_floor" }

// Observe needs throughput data and a model watched for a whole window, whatever its prediction
// count: min_samples would hide exactly the models that nearly stopped serving, and a model seen
// for part of the window would read as slow.
func (o *throughputFloor) Observe(s *Stats) (f Finding, outcome Outcome) {
	switch {
	case s.ThroughputSamples == 0:
		return f, NoData
	case !(s.Coverage >= 1): // NaN included
		return f, FewSamples
	case !finite(s.ThroughputRate):
		return f, NonFinite
	}
	f.Statistic, f.Unit = "rate", "/s"
	f.Value, f.Threshold, f.Samples = s.ThroughputRate, o.min, s.ThroughputSamples
	f.Flagged = s.ThroughputRate < o.min
	return f, Observed
}
