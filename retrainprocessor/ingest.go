package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/delta"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/quantile"
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
}

const (
	signalLatency = iota
	signalThroughput
	signalAccuracy
	signalCount
)

var signalNames = [signalCount]string{"latency", "throughput", "accuracy"}

// Precomputed, and passed as slices (opts...), so recording telemetry allocates nothing: a single
// variadic option would escape into a new slice on every call.
var (
	reasonAttrs [reasonCount][]metric.AddOption
	signalAttrs [signalCount][]metric.AddOption
)

func init() {
	for i, n := range reasonNames {
		reasonAttrs[i] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", n)))}
	}
	for i, n := range signalNames {
		signalAttrs[i] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attribute.String("signal", n)))}
	}
}

// tally counts one request's outcomes, recorded once per request instead of once per point.
type tally struct {
	aggregated [signalCount]int64
	skipped    [reasonCount]int64
	newModels  int64
}

// scratch holds one request's reusable buffers.
type scratch struct {
	tally
	series series
	bounds []float64
	counts []uint64
	inc    []uint64
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (p *retrainProcessor) ingest(ctx context.Context, md pmetric.Metrics) {
	sc := scratchPool.Get().(*scratch)
	sc.tally = tally{}
	now := p.now().UnixNano()
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		p.ingestResource(sc, rms.At(i), now)
	}
	p.record(ctx, &sc.tally)
	buf, ends := sc.series.buf[:0], sc.series.ends[:0]
	if cap(buf) > 4096 || cap(ends) > 256 { // an outsized resource: let it go
		buf, ends = nil, nil
	}
	sc.series = series{buf: buf, ends: ends} // do not keep the request alive from the pool
	scratchPool.Put(sc)
}

func (p *retrainProcessor) record(ctx context.Context, t *tally) {
	tb := p.telemetry
	for i, n := range t.aggregated {
		if n > 0 {
			tb.ProcessorRetrainDataPoints.Add(ctx, n, signalAttrs[i]...)
		}
	}
	for i, n := range t.skipped {
		if n > 0 {
			tb.ProcessorRetrainDataPointsSkipped.Add(ctx, n, reasonAttrs[i]...)
		}
	}
	if t.newModels > 0 {
		tb.ProcessorRetrainModels.Add(ctx, t.newModels)
	}
}

// signalOf says which signal a metric carries, or -1.
func (p *retrainProcessor) signalOf(name string) int {
	switch name {
	case "":
		return -1
	case p.cfg.Latency.Metric:
		return signalLatency
	case p.cfg.Throughput.Metric:
		return signalThroughput
	case p.cfg.Accuracy.Metric:
		return signalAccuracy
	}
	return -1
}

// attributeString reads a model or version attribute; only strings and integers name a model.
func attributeString(v pcommon.Value) (string, bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		return s, s != ""
	case pcommon.ValueTypeInt:
		return v.AsString(), true
	}
	return "", false
}

func (p *retrainProcessor) ingestResource(sc *scratch, rm pmetric.ResourceMetrics, now int64) {
	attrs := rm.Resource().Attributes()
	var key modelKey
	v, ok := attrs.Get(p.cfg.ModelAttribute)
	if ok {
		key.model, ok = attributeString(v)
	}
	if !ok {
		sc.skipped[reasonUnattributed] += p.watchedPoints(rm)
		return
	}
	if p.cfg.VersionAttribute != "" {
		if v, has := attrs.Get(p.cfg.VersionAttribute); has {
			key.version, _ = attributeString(v)
		}
	}

	// The model is looked up at the first watched metric, so resources that carry only other
	// metrics never take a place in the table.
	var m *model
	sc.series.forResource(p.models.seed, attrs)
	defer func() {
		if m != nil {
			m.mu.Unlock()
		}
	}()
	sms := rm.ScopeMetrics()
	for i := 0; i < sms.Len(); i++ {
		sm := sms.At(i)
		sc.series.forScope(sm)
		ms := sm.Metrics()
		for j := 0; j < ms.Len(); j++ {
			metric := ms.At(j)
			signal := p.signalOf(metric.Name())
			if signal < 0 {
				continue
			}
			if m == nil {
				if m = p.lockModel(sc, key, attrs); m == nil {
					sc.skipped[reasonOverMaxModels] += p.watchedPoints(rm)
					return
				}
				if m.refresh {
					attrs.CopyTo(m.resource)
					m.refresh = false
				}
				sc.series.forModel(m)
			}
			sc.series.forMetric(metric.Name())
			switch signal {
			case signalLatency:
				p.ingestLatency(sc, m, metric, now)
			case signalThroughput:
				p.ingestThroughput(sc, m, metric, now)
			case signalAccuracy:
				p.ingestAccuracy(sc, m, metric, now)
			}
		}
	}
}

// lockModel returns the model for key, locked, creating it unless the table is full.
func (p *retrainProcessor) lockModel(sc *scratch, key modelKey, attrs pcommon.Map) *model {
	for {
		m := p.models.get(key, func() *model {
			sc.newModels++
			res := pcommon.NewMap()
			attrs.CopyTo(res)
			return &model{key: key, window: window.Make(&p.layout), resource: res}
		})
		if m == nil {
			return nil
		}
		m.mu.Lock()
		if !m.removed {
			return m
		}
		m.mu.Unlock()
	}
}

// watchedPoints counts the data points of watched metrics in rm, for skip accounting.
func (p *retrainProcessor) watchedPoints(rm pmetric.ResourceMetrics) int64 {
	var n int64
	sms := rm.ScopeMetrics()
	for i := 0; i < sms.Len(); i++ {
		ms := sms.At(i).Metrics()
		for j := 0; j < ms.Len(); j++ {
			if metric := ms.At(j); p.signalOf(metric.Name()) >= 0 {
				n += int64(pointCount(metric))
			}
		}
	}
	return n
}

func pointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}

// pointTime is a point's time, or arrival time when it has none or is ahead of our clock.
func (p *retrainProcessor) pointTime(ts pcommon.Timestamp, now int64) int64 {
	t := int64(ts)
	if t <= 0 || t > now+p.layout.Width {
		return now
	}
	return t
}

func (sc *scratch) count(r window.Result, signal int) {
	switch r {
	case window.Added:
		sc.aggregated[signal]++
	case window.TooOld:
		sc.skipped[reasonTooOld]++
	case window.LayoutMismatch:
		sc.skipped[reasonLayoutMismatch]++
	}
}

// msPerUnit converts a latency metric's UCUM unit to milliseconds; no unit means ms.
func msPerUnit(unit string) (float64, bool) {
	switch unit {
	case "", "ms":
		return 1, true
	case "s":
		return 1e3, true
	case "us", "µs", "μs":
		return 1e-3, true
	case "ns":
		return 1e-6, true
	case "min":
		return 6e4, true
	}
	return 0, false
}

func (p *retrainProcessor) ingestLatency(sc *scratch, m *model, metric pmetric.Metric, now int64) {
	factor, ok := msPerUnit(metric.Unit())
	if !ok {
		sc.skipped[reasonUnknownUnit] += int64(pointCount(metric))
		return
	}
	switch metric.Type() {
	case pmetric.MetricTypeHistogram:
		h := metric.Histogram()
		cumulative := h.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := h.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p.ingestHistogram(sc, m, dps.At(i), cumulative, factor, now)
		}
	case pmetric.MetricTypeExponentialHistogram:
		h := metric.ExponentialHistogram()
		cumulative := h.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := h.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			p.ingestExponential(sc, m, dps.At(i), cumulative, factor, now)
		}
	case pmetric.MetricTypeGauge:
		dps := metric.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			v, ok := numberValue(dp)
			if !ok || v < 0 {
				sc.skipped[reasonBadValue]++
				continue
			}
			sc.count(m.window.AddSample(p.pointTime(dp.Timestamp(), now), v*factor), signalLatency)
		}
	default:
		sc.skipped[reasonUnknownType] += int64(pointCount(metric))
	}
}

func (p *retrainProcessor) ingestHistogram(sc *scratch, m *model, dp pmetric.HistogramDataPoint, cumulative bool, factor float64, now int64) {
	if dp.Flags().NoRecordedValue() {
		sc.skipped[reasonBadValue]++
		return
	}
	bounds, counts := dp.ExplicitBounds(), dp.BucketCounts()
	if counts.Len() == 0 && dp.Count() == 0 {
		// An empty point carries no observation and no layout; nothing to add.
		sc.aggregated[signalLatency]++
		return
	}
	if counts.Len() != bounds.Len()+1 {
		sc.skipped[reasonBadValue]++
		return
	}
	// Points of a model nearly always carry the bounds its window already holds: then they were
	// validated when adopted and need no copy.
	ms := m.window.Bounds()
	t := p.pointTime(dp.Timestamp(), now)
	start := int64(dp.StartTimestamp())
	if !cumulative {
		if start <= 0 || start > t {
			start = t
		}
		// The common case in one pass: compare the bounds and add the counts straight into
		// the slot; anything unusual takes the path below.
		if len(ms) == bounds.Len() && m.window.AddExplicitFrom(start, t, ms, func(dst []uint64) (uint64, bool) {
			return addCounts(dst, counts, bounds, factor, ms, dp.Count())
		}) {
			sc.aggregated[signalLatency]++
			return
		}
	}
	if !sameBounds(bounds, factor, ms) {
		sc.bounds = sc.bounds[:0]
		prev := 0.0
		for i := 0; i < bounds.Len(); i++ {
			b := bounds.At(i)
			if math.IsNaN(b) || math.IsInf(b, 0) || b < 0 || (i > 0 && b <= prev) {
				sc.skipped[reasonBadValue]++
				return
			}
			prev = b
			sc.bounds = append(sc.bounds, b*factor)
		}
		ms = sc.bounds
		if cumulative {
			// A stream keeps its bounds by reference (delta.Histogram.Next): give it a slice
			// nobody changes, the model's copy of the last bounds its window did not hold.
			if !slices.Equal(m.otherBounds, ms) {
				m.otherBounds = slices.Clone(ms)
			}
			ms = m.otherBounds
		}
	}
	var total uint64
	var ok bool
	sc.counts, total, ok = copyCounts(sc.counts, counts)
	if !ok || total != dp.Count() {
		sc.skipped[reasonBadValue]++
		return
	}
	if !cumulative {
		sc.count(m.window.AddExplicit(start, t, ms, sc.counts, total), signalLatency)
		return
	}
	st := m.streams.get(sc.series.key(dp.Attributes()), streamHist)
	inc, n, prevT, r := st.hist.Next(start, t, total, ms, sc.counts, sc.inc)
	sc.inc = inc
	st.last = t
	switch r {
	case delta.Stale:
		sc.skipped[reasonOutOfOrder]++
	case delta.Delta:
		sc.count(m.window.AddExplicit(prevT, t, ms, inc, n), signalLatency)
	}
}

func (p *retrainProcessor) ingestExponential(sc *scratch, m *model, dp pmetric.ExponentialHistogramDataPoint, cumulative bool, factor float64, now int64) {
	if dp.Flags().NoRecordedValue() {
		sc.skipped[reasonBadValue]++
		return
	}
	scale := dp.Scale()
	if scale < quantile.MinScale || scale > quantile.MaxScale {
		sc.skipped[reasonBadValue]++
		return
	}
	neg := dp.Negative().BucketCounts()
	for i := 0; i < neg.Len(); i++ {
		if neg.At(i) != 0 { // a negative latency
			sc.skipped[reasonBadValue]++
			return
		}
	}
	var total uint64
	var ok bool
	sc.counts, total, ok = copyCounts(sc.counts, dp.Positive().BucketCounts())
	total += dp.ZeroCount()
	if !ok || total < dp.ZeroCount() || total != dp.Count() {
		sc.skipped[reasonBadValue]++
		return
	}
	offset := dp.Positive().Offset()
	t := p.pointTime(dp.Timestamp(), now)
	start := int64(dp.StartTimestamp())
	if !cumulative {
		if start <= 0 || start > t {
			start = t
		}
		sc.count(m.window.AddExponential(start, t, factor, scale, offset, sc.counts, dp.ZeroCount(), total), signalLatency)
		return
	}
	st := m.streams.get(sc.series.key(dp.Attributes()), streamExp)
	inc, zinc, n, prevT, r := st.exp.Next(start, t, total, dp.ZeroCount(), scale, offset, sc.counts, sc.inc)
	sc.inc = inc
	st.last = t
	switch r {
	case delta.Stale:
		sc.skipped[reasonOutOfOrder]++
	case delta.Delta:
		sc.count(m.window.AddExponential(prevT, t, factor, scale, offset, inc, zinc, n), signalLatency)
	}
}

func (p *retrainProcessor) ingestThroughput(sc *scratch, m *model, metric pmetric.Metric, now int64) {
	switch metric.Type() {
	case pmetric.MetricTypeSum:
		sum := metric.Sum()
		if !sum.IsMonotonic() {
			sc.skipped[reasonUnknownType] += int64(sum.DataPoints().Len())
			return
		}
		cumulative := sum.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := sum.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			v, ok := numberValue(dp)
			if !ok || v < 0 {
				sc.skipped[reasonBadValue]++
				continue
			}
			t := p.pointTime(dp.Timestamp(), now)
			start := int64(dp.StartTimestamp())
			if !cumulative {
				if start <= 0 || start > t {
					start = t
				}
				sc.count(m.window.AddCount(start, t, v), signalThroughput)
				continue
			}
			st := m.streams.get(sc.series.key(dp.Attributes()), streamSum)
			inc, prevT, r := st.sum.Next(start, t, v)
			st.last = t
			switch r {
			case delta.Stale:
				sc.skipped[reasonOutOfOrder]++
			case delta.Delta:
				sc.count(m.window.AddCount(prevT, t, inc), signalThroughput)
			}
		}
	case pmetric.MetricTypeGauge:
		dps := metric.Gauge().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			v, ok := numberValue(dp)
			if !ok || v < 0 {
				sc.skipped[reasonBadValue]++
				continue
			}
			sc.count(m.window.AddRate(p.pointTime(dp.Timestamp(), now), v), signalThroughput)
		}
	default:
		sc.skipped[reasonUnknownType] += int64(pointCount(metric))
	}
}

func (p *retrainProcessor) ingestAccuracy(sc *scratch, m *model, metric pmetric.Metric, now int64) {
	if metric.Type() != pmetric.MetricTypeGauge {
		sc.skipped[reasonUnknownType] += int64(pointCount(metric))
		return
	}
	dps := metric.Gauge().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		dp := dps.At(i)
		v, ok := numberValue(dp)
		if !ok || v < 0 || v > 1 {
			sc.skipped[reasonBadValue]++
			continue
		}
		sc.count(m.window.AddAccuracy(p.pointTime(dp.Timestamp(), now), v), signalAccuracy)
	}
}

// sameBounds reports whether a point's bounds, converted to ms, are the window's.
func sameBounds(bounds pcommon.Float64Slice, factor float64, ms []float64) bool {
	if bounds.Len() != len(ms) || len(ms) == 0 {
		return false
	}
	for i, b := range ms {
		if bounds.At(i)*factor != b {
			return false
		}
	}
	return true
}

// addCounts adds a delta point's bucket counts into dst when its bounds, converted to ms, are ms
// and its counts sum to want; otherwise it takes back what it added and returns false. The
// caller checked len(ms) == bounds.Len() and len(dst) == counts.Len() == len(ms)+1.
func addCounts(dst []uint64, counts pcommon.UInt64Slice, bounds pcommon.Float64Slice, factor float64, ms []float64, want uint64) (uint64, bool) {
	var total uint64
	same, overflow := true, false
	for i, b := range ms {
		if bounds.At(i)*factor != b {
			same = false
		}
		c := counts.At(i)
		total += c
		overflow = overflow || total < c
		dst[i] += c
	}
	last := counts.At(len(ms))
	total += last
	overflow = overflow || total < last
	dst[len(ms)] += last
	if same && !overflow && total == want {
		return total, true
	}
	for i := range dst {
		dst[i] -= counts.At(i) // exact, even if the add wrapped around
	}
	return 0, false
}

// copyCounts copies a point's bucket counts into buf (grown as needed) and sums them, in one pass;
// ok is false when the sum overflows.
func copyCounts(buf []uint64, counts pcommon.UInt64Slice) (_ []uint64, total uint64, ok bool) {
	n := counts.Len()
	if cap(buf) < n {
		buf = make([]uint64, n, max(n, 2*cap(buf)))
	}
	buf = buf[:n]
	overflow := false
	for i := range buf {
		c := counts.At(i)
		total += c
		overflow = overflow || total < c
		buf[i] = c
	}
	return buf, total, !overflow
}

// numberValue reads a number point; NaN, ±Inf, no value and the no-recorded-value flag are bad.
func numberValue(dp pmetric.NumberDataPoint) (float64, bool) {
	if dp.Flags().NoRecordedValue() {
		return 0, false
	}
	var v float64
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeDouble:
		v = dp.DoubleValue()
	case pmetric.NumberDataPointValueTypeInt:
		v = float64(dp.IntValue())
	default:
		return 0, false
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// series names cumulative streams (resource + scope + metric + point attributes) by a hash it
// computes lazily, so delta and gauge points never pay for it.
type series struct {
	seed   maphash.Seed
	res    pcommon.Map
	scope  pmetric.ScopeMetrics
	metric string

	resHash, scopeHash, metricHash uint64
	have                           uint8

	model *model // the locked model the points belong to, which remembers its resource's hash

	buf  []byte // the bytes of one hashed part, reused
	ends []int  // where each attribute's bytes end in buf
}

const (
	haveResource uint8 = 1 << iota
	haveScope
	haveMetric
)

func (s *series) forResource(seed maphash.Seed, res pcommon.Map) {
	s.seed, s.res, s.have, s.model = seed, res, 0, nil
}

func (s *series) forModel(m *model) { s.model = m }

func (s *series) forScope(sm pmetric.ScopeMetrics) {
	s.scope = sm
	s.have &^= haveScope | haveMetric
}

func (s *series) forMetric(name string) {
	s.metric = name
	s.have &^= haveMetric
}

// key identifies the stream of a point with the given attributes. Each part is one seeded hash
// of its bytes, chained to the part that holds it; attribute sets are hashed independently of
// their order.
func (s *series) key(attrs pcommon.Map) uint64 {
	if s.have&haveResource == 0 {
		s.resHash = s.resourceHash()
		s.have |= haveResource
	}
	if s.have&haveScope == 0 {
		scope := s.scope.Scope()
		b := binary.LittleEndian.AppendUint64(s.buf[:0], s.resHash)
		b = appendString(b, scope.Name())
		b = appendString(b, scope.Version())
		s.buf = b
		s.scopeHash = maphash.Bytes(s.seed, b)
		if scope.Attributes().Len() > 0 {
			s.scopeHash = mix(s.scopeHash + s.hashMap(scope.Attributes()))
		}
		s.have |= haveScope
	}
	if s.have&haveMetric == 0 {
		s.buf = appendString(binary.LittleEndian.AppendUint64(s.buf[:0], s.scopeHash), s.metric)
		s.metricHash = maphash.Bytes(s.seed, s.buf)
		s.have |= haveMetric
	}
	if attrs.Len() == 0 {
		return s.metricHash
	}
	return mix(s.metricHash + s.hashMap(attrs))
}

// hashMap hashes attributes independently of their order: the sum of one hash per attribute.
func (s *series) hashMap(attrs pcommon.Map) uint64 {
	var h uint64
	for k, v := range attrs.All() {
		s.buf = appendAttribute(s.buf[:0], k, v)
		h += maphash.Bytes(s.seed, s.buf)
	}
	return h
}

// maxRememberedResource bounds the encoded resource a model remembers (model.resKey).
const maxRememberedResource = 1024

// resourceHash is hashMap of the resource, reused when the model's last cumulative point came
// from a resource with the same attributes in the same order: comparing their encoding costs
// less than hashing it again.
func (s *series) resourceHash() uint64 {
	b := s.buf[:0]
	s.ends = s.ends[:0]
	for k, v := range s.res.All() {
		b = appendAttribute(b, k, v)
		s.ends = append(s.ends, len(b))
	}
	s.buf = b
	m := s.model
	if m != nil && m.resKey != nil && bytes.Equal(m.resKey, b) {
		return m.resHash
	}
	var h uint64
	start := 0
	for _, end := range s.ends {
		h += maphash.Bytes(s.seed, b[start:end])
		start = end
	}
	if m != nil && len(b) <= maxRememberedResource {
		m.resKey = append(m.resKey[:0], b...)
		m.resHash = h
	}
	return h
}

// appendAttribute appends one attribute's encoding: key, value type and value.
func appendAttribute(b []byte, k string, v pcommon.Value) []byte {
	b = appendString(b, k)
	b = append(b, byte(v.Type()))
	switch v.Type() {
	case pcommon.ValueTypeStr:
		b = append(b, v.Str()...)
	case pcommon.ValueTypeInt:
		b = binary.LittleEndian.AppendUint64(b, uint64(v.Int()))
	case pcommon.ValueTypeDouble:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Double()))
	case pcommon.ValueTypeBool:
		if v.Bool() {
			b = append(b, 1)
		}
	default: // maps, slices and bytes are rare in stream identities
		b = append(b, v.AsString()...)
	}
	return b
}

// appendString appends s with its length first, so consecutive strings cannot run together.
func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// mix is splitmix64's finaliser: it spreads the bits of combined hashes.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
