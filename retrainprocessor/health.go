package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/strategy"
)

// Health metrics: at each evaluation, for each model evaluated, gauges appended to what the
// metrics pipelines carry, with the model's resource and the processor's scope, so the backend
// the apps' metrics reach graphs every model's statistics against their thresholds:
// retrain.model.<observer's gauge> per observed finding (the evidence of that evaluation) and
// retrain.model.state = 1 with the model's state.

// Model states, the state attribute of retrain.model.state.
const (
	stateOK               = "ok"
	stateInsufficientData = "insufficient_data"
	statePending          = "pending"
	stateCooldown         = "cooldown"
	stateSilenced         = "silenced"
)

func (p *retrainProcessor) healthOn() bool {
	return p.cfg.HealthMetrics.Enabled && len(p.metrics) > 0
}

// modelState is the state a model was left in by its verdict and decision at now.
func modelState(v strategy.Verdict, dec strategy.Decision, st *strategy.State, silencedUntil, now time.Time) string {
	switch {
	case now.Before(silencedUntil):
		return stateSilenced
	case now.Before(st.CooldownUntil):
		return stateCooldown
	case dec == strategy.Pending:
		return statePending
	case v == strategy.Abstains:
		return stateInsufficientData
	}
	return stateOK
}

// appendHealth appends the gauges of the model just stepped to res, which holds its resource.
func (p *retrainProcessor) appendHealth(res pmetric.ResourceMetrics, dec strategy.Decision, now time.Time) {
	e := &p.eval
	sm := res.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(metadata.ScopeName)
	ts := pcommon.NewTimestampFromTime(now)
	ms := sm.Metrics()
	for i := range e.findings {
		f := &e.findings[i]
		if f.gauge == nil { // an observer the registry does not know (tests' fakes)
			continue
		}
		g := ms.AppendEmpty()
		g.SetName(f.gauge.Name)
		g.SetUnit(f.gauge.Unit)
		g.SetDescription(f.gauge.Description)
		dp := g.SetEmptyGauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(f.Value)
		if f.gauge.ByStatistic {
			dp.Attributes().PutStr("statistic", f.Statistic)
		}
	}
	g := ms.AppendEmpty()
	g.SetName("retrain.model.state")
	// An annotation, not "1": Prometheus' translation would name a gauge of unit 1 a ratio.
	g.SetUnit("{state}")
	g.SetDescription("1 for the model's state after the evaluation, named by the state attribute.")
	dp := g.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(ts)
	dp.SetIntValue(1)
	dp.Attributes().PutStr("state", modelState(e.verdict, dec, &e.st, e.silencedUntil, now))
}

// sendHealth hands this tick's health metrics to every metrics pipeline, a copy each but the last.
func (p *retrainProcessor) sendHealth(ctx context.Context) {
	e := &p.eval
	md := e.health
	e.health = pmetric.Metrics{}
	models := md.ResourceMetrics().Len()
	if models == 0 {
		return
	}
	for i, next := range p.metrics {
		send := md
		if i < len(p.metrics)-1 {
			send = pmetric.NewMetrics()
			md.CopyTo(send)
		}
		if err := next.ConsumeMetrics(ctx, send); err != nil {
			p.logger.Warn("A metrics pipeline refused the health metrics of an evaluation; they are dropped",
				zap.Int("models", models), zap.Error(err))
		}
	}
}
