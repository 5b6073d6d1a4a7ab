//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
)

// processorScope is the instrumentation scope of what the retrain processor itself adds to the
// metrics pipelines: its health metrics.
const processorScope = "github.com/visutility/otelcol-retrain/retrainprocessor"

// sink is an OTLP/gRPC metrics backend that keeps every data point it receives, in canonical form
// and as the parts a Prometheus-style backend keys and stores a sample by.
type sink struct {
	pmetricotlp.UnimplementedGRPCServer
	addr string

	mu     sync.Mutex
	points []point
}

// point is one data point the sink received. A gauge's or a sum's value is in value (an int one
// converted, with isInt set); a histogram's only in canonical.
type point struct {
	canonical string
	scope     string
	name      string
	unit      string
	resource  map[string]string
	attrs     map[string]string
	timestamp time.Time
	value     float64
	isInt     bool
}

// series names the point's series as a backend keys it: metric name, resource and point attributes.
func (p point) series() string {
	return p.name + " " + sortedPairs(p.resource) + " {" + sortedPairs(p.attrs) + "}"
}

func newSink(t *testing.T) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &sink{addr: ln.Addr().String()}
	srv := grpc.NewServer()
	pmetricotlp.RegisterGRPCServer(srv, s)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return s
}

func (s *sink) Export(_ context.Context, req pmetricotlp.ExportRequest) (pmetricotlp.ExportResponse, error) {
	points := pdataPoints(req.Metrics())
	s.mu.Lock()
	s.points = append(s.points, points...)
	s.mu.Unlock()
	return pmetricotlp.NewExportResponse(), nil
}

// receivedFromApps returns, in canonical form, every data point received but the processor's
// own (its health metrics, in processorScope): what the apps sent, if the pipeline forwards it
// unchanged.
func (s *sink) receivedFromApps() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, p := range s.points {
		if p.scope != processorScope {
			out = append(out, p.canonical)
		}
	}
	return out
}

// health returns the data points received in processorScope.
func (s *sink) health() []point {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []point
	for _, p := range s.points {
		if p.scope == processorScope {
			out = append(out, p)
		}
	}
	return out
}

// capture wraps an SDK exporter and keeps, in canonical form, every data point it exported.
type capture struct {
	sdkmetric.Exporter
	mu      sync.Mutex
	points  []string
	exports int
}

func (c *capture) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	points := sdkPoints(rm) // the SDK reuses rm after Export returns
	if err := c.Exporter.Export(ctx, rm); err != nil {
		return err
	}
	c.mu.Lock()
	c.points = append(c.points, points...)
	c.exports++
	c.mu.Unlock()
	return nil
}

func (c *capture) sent() ([]string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.points...), c.exports
}

// A canonical data point is one line naming everything OTLP carries about it but exemplars:
// resource, scope, metric, kind, temporality, attributes, times and values.

func canonical(resource, scope, metric, kind, attrs string, start, ts uint64, value string) string {
	return fmt.Sprintf("%s | %s | %s %s | {%s} | %d-%d | %s", resource, scope, metric, kind, attrs, start, ts, value)
}

func floats(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

func uints(us []uint64) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = strconv.FormatUint(u, 10)
	}
	return strings.Join(parts, ",")
}

func sortedPairs(kv map[string]string) string {
	parts := make([]string, 0, len(kv))
	for k, v := range kv {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func sdkAttrs(s attribute.Set) string {
	kv := map[string]string{}
	for _, a := range s.ToSlice() {
		kv[string(a.Key)] = a.Value.String()
	}
	return sortedPairs(kv)
}

func pdataMap(m pcommon.Map) map[string]string {
	kv := map[string]string{}
	for k, v := range m.All() {
		kv[k] = v.AsString()
	}
	return kv
}

func unixNano(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano())
}

func sdkPoints(rm *metricdata.ResourceMetrics) []string {
	var out []string
	res := sdkAttrs(*rm.Resource.Set())
	for _, sm := range rm.ScopeMetrics {
		scope := sm.Scope.Name + "@" + sm.Scope.Version
		for _, m := range sm.Metrics {
			metric := m.Name + " [" + m.Unit + "] " + m.Description
			switch data := m.Data.(type) {
			case metricdata.Histogram[float64]:
				kind := "histogram " + data.Temporality.String()
				for _, dp := range data.DataPoints {
					minV, _ := dp.Min.Value()
					maxV, _ := dp.Max.Value()
					value := fmt.Sprintf("count=%d sum=%s min=%s max=%s bounds=%s counts=%s", dp.Count,
						floats([]float64{dp.Sum}), floats([]float64{minV}), floats([]float64{maxV}), floats(dp.Bounds), uints(dp.BucketCounts))
					out = append(out, canonical(res, scope, metric, kind, sdkAttrs(dp.Attributes), unixNano(dp.StartTime), unixNano(dp.Time), value))
				}
			case metricdata.Sum[int64]:
				kind := fmt.Sprintf("sum %s monotonic=%t", data.Temporality, data.IsMonotonic)
				for _, dp := range data.DataPoints {
					out = append(out, canonical(res, scope, metric, kind, sdkAttrs(dp.Attributes), unixNano(dp.StartTime), unixNano(dp.Time), "int="+strconv.FormatInt(dp.Value, 10)))
				}
			case metricdata.Gauge[float64]:
				for _, dp := range data.DataPoints {
					out = append(out, canonical(res, scope, metric, "gauge", sdkAttrs(dp.Attributes), unixNano(dp.StartTime), unixNano(dp.Time), "double="+floats([]float64{dp.Value})))
				}
			default:
				out = append(out, fmt.Sprintf("unexpected SDK aggregation %T of %s", data, m.Name))
			}
		}
	}
	return out
}

func pdataPoints(md pmetric.Metrics) []point {
	var out []point
	for _, rm := range md.ResourceMetrics().All() {
		resource := pdataMap(rm.Resource().Attributes())
		res := sortedPairs(resource)
		for _, sm := range rm.ScopeMetrics().All() {
			scope := sm.Scope().Name() + "@" + sm.Scope().Version()
			for _, m := range sm.Metrics().All() {
				metric := m.Name() + " [" + m.Unit() + "] " + m.Description()
				add := func(kind string, attrs pcommon.Map, start, ts pcommon.Timestamp, value string, num float64, isInt bool) {
					a := pdataMap(attrs)
					out = append(out, point{
						canonical: canonical(res, scope, metric, kind, sortedPairs(a), uint64(start), uint64(ts), value),
						scope:     sm.Scope().Name(), name: m.Name(), unit: m.Unit(),
						resource: resource, attrs: a, timestamp: ts.AsTime(), value: num, isInt: isInt,
					})
				}
				switch m.Type() {
				case pmetric.MetricTypeHistogram:
					kind := "histogram " + temporality(m.Histogram().AggregationTemporality())
					for _, dp := range m.Histogram().DataPoints().All() {
						value := fmt.Sprintf("count=%d sum=%s min=%s max=%s bounds=%s counts=%s", dp.Count(),
							floats([]float64{dp.Sum()}), floats([]float64{dp.Min()}), floats([]float64{dp.Max()}),
							floats(dp.ExplicitBounds().AsRaw()), uints(dp.BucketCounts().AsRaw()))
						add(kind, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp(), value, 0, false)
					}
				case pmetric.MetricTypeSum:
					s := m.Sum()
					kind := fmt.Sprintf("sum %s monotonic=%t", temporality(s.AggregationTemporality()), s.IsMonotonic())
					for _, dp := range s.DataPoints().All() {
						value, num, isInt := numberValue(dp)
						add(kind, dp.Attributes(), dp.StartTimestamp(), dp.Timestamp(), value, num, isInt)
					}
				case pmetric.MetricTypeGauge:
					for _, dp := range m.Gauge().DataPoints().All() {
						value, num, isInt := numberValue(dp)
						add("gauge", dp.Attributes(), dp.StartTimestamp(), dp.Timestamp(), value, num, isInt)
					}
				default:
					out = append(out, point{canonical: fmt.Sprintf("unexpected OTLP type %s of %s", m.Type(), m.Name()), scope: sm.Scope().Name(), name: m.Name()})
				}
			}
		}
	}
	return out
}

// numberValue is a gauge's or a sum's value: canonical ("int=" or "double=", as the SDK side
// writes them), as a float64, and whether it is an int.
func numberValue(dp pmetric.NumberDataPoint) (string, float64, bool) {
	if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
		return "int=" + strconv.FormatInt(dp.IntValue(), 10), float64(dp.IntValue()), true
	}
	return "double=" + floats([]float64{dp.DoubleValue()}), dp.DoubleValue(), false
}

// temporality names pdata's temporality as the SDK does.
func temporality(t pmetric.AggregationTemporality) string {
	switch t {
	case pmetric.AggregationTemporalityCumulative:
		return "CumulativeTemporality"
	case pmetric.AggregationTemporalityDelta:
		return "DeltaTemporality"
	}
	return "UndefinedTemporality"
}
