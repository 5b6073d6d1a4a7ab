package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"runtime"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/delta"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/window"
)

// scratch holds one request's reusable buffers.
type scratch struct {
	tally
	series series
	bounds []float64
	counts []uint64
	// The point step takes and the increase it computes, per kind; the increase's buckets are
	// reused from one point to the next.
	hist pointAndIncrease[delta.HistogramPoint]
	exp  pointAndIncrease[delta.ExponentialPoint]
	sum  pointAndIncrease[delta.SumPoint]
}

type pointAndIncrease[P any] struct{ point, inc P }

// scratches keeps the requests' scratch for reuse. Not a sync.Pool: every GC empties one, and in
// the collector the decoder's garbage runs a GC every few requests, so the buffers would be grown
// again and again. It keeps as many as requests run at once, up to twice the cores.
type scratches struct{ free chan *scratch }

func newScratches() scratches {
	return scratches{free: make(chan *scratch, 2*runtime.GOMAXPROCS(0))}
}

func (s scratches) get() *scratch {
	select {
	case sc := <-s.free:
		return sc
	default:
		return new(scratch)
	}
}

func (s scratches) put(sc *scratch) {
	select {
	case s.free <- sc:
	default: // as many are kept as requests ran at once
	}
}

func (p *retrainProcessor) ingest(ctx context.Context, md pmetric.Metrics) {
	sc := p.scratches.get()
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
	sc.series = series{buf: buf, ends: ends}            // do not keep the request alive from the scratch
	sc.hist.point.Bounds, sc.hist.inc.Bounds = nil, nil // nor a model's bounds
	p.scratches.put(sc)
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
	case p.cfg.Score.Metric:
		return signalScore
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
	if len(key.model) > p.cfg.MaxAttributeLength || len(key.version) > p.cfg.MaxAttributeLength {
		// A model's key is kept for as long as the model: bound what a flood of ids can hold.
		sc.skipped[reasonOverMaxAttributeLength] += p.watchedPoints(rm)
		return
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
				if m = p.lockModel(sc, key, attrs, now); m == nil {
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
			case signalScore:
				p.ingestScore(sc, m, metric, now)
			}
		}
	}
}

// lockModel returns the model for key, locked, creating it unless the table is full.
func (p *retrainProcessor) lockModel(sc *scratch, key modelKey, attrs pcommon.Map, now int64) *model {
	for {
		m := p.models.get(key, func() *model {
			sc.newModels++
			res := pcommon.NewMap()
			attrs.CopyTo(res)
			return &model{
				key: key, since: now, window: window.Make(&p.layout), scores: window.MakeScores(&p.scoreLayout, p.cfg.Window),
				streams: streams{max: p.cfg.MaxStreamsPerModel}, resource: res,
			}
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
