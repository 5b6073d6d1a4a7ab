package kafkabench

// BenchmarkTier2FromKafka: the points per second one tier-2 collector sustains from Kafka, with the
// retrain processor and without it, in the same binary and run:
//
//	pipeline=receiver  contrib's kafka receiver → the counting consumer (the baseline)
//	pipeline=retrain   contrib's kafka receiver → the retrain processor → the counting consumer
//
// The topic is filled once, before any timing, with what tier 1 produces: one OTLP protobuf
// ExportMetricsServiceRequest per record, one app pod's resource per request, the SDK's cumulative
// export of that pod (see tier1Records). Every iteration is one fresh collector draining that
// backlog: a new kafka receiver in a consumer group of its own (so it starts from the earliest
// offset), and in pipeline=retrain a new processor instance, since the backlog's cumulative
// streams start over at every iteration and a processor that already saw them would skip every
// point as out of order.
//
// What is timed: from creating the receiver (its Start included: the group join and the first
// fetches are what a collector pays before the first point, the same in both pipelines) to the
// moment the counting consumer has seen every data point of the backlog. Not timed: building and
// starting the processor (once per collector, not per point; it is not in the baseline), the
// receiver's and the processor's Shutdown, deleting the consumer group and the checks that every
// point arrived exactly once and that the processor aggregated them. ns/op is one drain of the
// whole backlog; points/s is the backlog's data points over that time (a histogram point counts
// as one point). Allocations are those of the timed part, of every goroutine: the receiver's
// fetches and decoding, the processor, and kfake serving the fetches in the same process.
//
// Run it in rounds of -count=1 (the Makefile's way): -count repeats one sub-benchmark back to back,
// so receiver and retrain would not be measured under the same conditions.

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
	"github.com/visutility/otelcol-retrain/retrainprocessor"
)

const (
	topic           = "otlp_metrics"
	partitions      = 8
	exportInterval  = time.Second
	pointsPerRecord = 3 // the latency histogram, the prediction counter, the accuracy gauge

	// predictionsPerExport is the mean number of predictions a pod serves between two exports.
	predictionsPerExport = 50

	// drainTimeout bounds one drain, so a lost point fails the run instead of hanging it.
	drainTimeout = 2 * time.Minute
)

// backlog is the shape of the topic's content: models × podsPerModel app pods, each exporting
// exports times, exportInterval apart, one record per export.
type backlog struct{ models, podsPerModel, exports int }

// benchBacklog is the benchmark's: 100 models of 2 pods, 334 exports each (5 min 33 s of data at
// one export a second), 66,800 records, 200,400 data points.
var benchBacklog = backlog{models: 100, podsPerModel: 2, exports: 334}

// testBacklog is the test's, smaller so that it runs in seconds under the race detector: every
// model and partition still, 100 exports.
var testBacklog = backlog{models: 100, podsPerModel: 2, exports: 100}

func (b backlog) pods() int    { return b.models * b.podsPerModel }
func (b backlog) records() int { return b.pods() * b.exports }
func (b backlog) points() int  { return b.records() * pointsPerRecord }

// sdkBounds are the OpenTelemetry Go SDK's default explicit bucket boundaries.
var sdkBounds = []float64{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000}

// pod is one replica of a model's serving app, as internal/servingapp reports it with the Go SDK's
// defaults: cumulative temporality, explicit-bucket latency in ms with min and max, a monotonic
// prediction counter and an accuracy gauge.
type pod struct {
	model    int
	modelID  string
	resource pcommon.Map
	rng      *rand.Rand

	counts        []uint64
	total         uint64
	sum, min, max float64
	predictions   int64
	median        float64 // the pod's median latency, ms
}

func newPod(model, replica, podsPerModel int) *pod {
	cfg := servingapp.Config{
		ServiceName: fmt.Sprintf("serving-%02d", model%20),
		Model:       fmt.Sprintf("model-%03d", model),
		Version:     strconv.Itoa(1 + model%3),
		Pod:         fmt.Sprintf("model-%03d-7d9f8c6b5-%05d", model, replica),
	}
	res := pcommon.NewMap()
	for _, kv := range servingapp.Resource(cfg) {
		res.PutStr(string(kv.Key), kv.Value.AsString())
	}
	seed := uint64(model*podsPerModel + replica)
	return &pod{
		model: model, modelID: cfg.Model, resource: res,
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		counts: make([]uint64, len(sdkBounds)+1),
		min:    math.Inf(1), max: math.Inf(-1),
		median: 20 + float64(model%40),
	}
}

// serve records the predictions of one export interval: lognormal latencies around the pod's median.
func (p *pod) serve() {
	n := predictionsPerExport/2 + p.rng.IntN(predictionsPerExport+1)
	for range n {
		ms := p.median * math.Exp(0.5*p.rng.NormFloat64())
		i := 0
		for i < len(sdkBounds) && ms > sdkBounds[i] {
			i++
		}
		p.counts[i]++
		p.total++
		p.sum += ms
		p.min, p.max = min(p.min, ms), max(p.max, ms)
	}
	p.predictions += int64(n)
}

// export is the request the SDK's periodic reader sends at `at` for a process started at start.
func (p *pod) export(start, at time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	p.resource.CopyTo(rm.Resource().Attributes())
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(servingapp.ScopeName)
	st, ts := pcommon.NewTimestampFromTime(start), pcommon.NewTimestampFromTime(at)

	lat := sm.Metrics().AppendEmpty()
	lat.SetName(servingapp.LatencyMetric)
	lat.SetUnit("ms")
	lat.SetDescription("Time to serve one prediction.")
	hist := lat.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := hist.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(st)
	dp.SetTimestamp(ts)
	dp.SetCount(p.total)
	dp.SetSum(p.sum)
	dp.SetMin(p.min)
	dp.SetMax(p.max)
	dp.ExplicitBounds().FromRaw(sdkBounds)
	dp.BucketCounts().FromRaw(p.counts)

	pred := sm.Metrics().AppendEmpty()
	pred.SetName(servingapp.PredictionsMetric)
	pred.SetUnit("{prediction}")
	pred.SetDescription("Predictions served.")
	sum := pred.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	sdp := sum.DataPoints().AppendEmpty()
	sdp.SetStartTimestamp(st)
	sdp.SetTimestamp(ts)
	sdp.SetIntValue(p.predictions)

	acc := sm.Metrics().AppendEmpty()
	acc.SetName(servingapp.AccuracyMetric)
	acc.SetUnit("1")
	acc.SetDescription("Accuracy of recent predictions against feedback.")
	gdp := acc.SetEmptyGauge().DataPoints().AppendEmpty()
	gdp.SetStartTimestamp(st)
	gdp.SetTimestamp(ts)
	gdp.SetDoubleValue(0.9 + 0.05*math.Sin(float64(at.Unix()/60+int64(p.model))))
	return md
}

// tier1Records are the backlog's records in the order tier 1 produces them: export by export,
// every pod's request. The last export is at end, the apps started an hour before the first. Each
// record goes to its model's partition, keyed by the model.
func tier1Records(tb testing.TB, bl backlog, end time.Time) []*kgo.Record {
	tb.Helper()
	ps := make([]*pod, 0, bl.pods())
	for m := range bl.models {
		for r := range bl.podsPerModel {
			ps = append(ps, newPod(m, r, bl.podsPerModel))
		}
	}
	first := end.Add(-time.Duration(bl.exports-1) * exportInterval)
	start := first.Add(-time.Hour)
	var marshaler pmetric.ProtoMarshaler
	recs := make([]*kgo.Record, 0, bl.records())
	for e := range bl.exports {
		at := first.Add(time.Duration(e) * exportInterval)
		for _, p := range ps {
			p.serve()
			md := p.export(start, at)
			if n := md.DataPointCount(); n != pointsPerRecord {
				tb.Fatalf("a request holds %d data points, want %d", n, pointsPerRecord)
			}
			b, err := marshaler.MarshalMetrics(md)
			require.NoError(tb, err)
			recs = append(recs, &kgo.Record{
				Topic: topic, Partition: int32(p.model % partitions), Key: []byte(p.modelID), Value: b,
			})
		}
	}
	return recs
}

// cluster is the in-process Kafka, listening on 127.0.0.1, with the backlog in its topic.
type cluster struct {
	backlog
	brokers []string
	client  *kgo.Client
	admin   *kadm.Client
	bytes   int // of the records' values
	groups  atomic.Int64
}

func newCluster(tb testing.TB, bl backlog) *cluster {
	tb.Helper()
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topic))
	require.NoError(tb, err)
	tb.Cleanup(kc.Close)
	c := &cluster{backlog: bl, brokers: kc.ListenAddrs()}
	c.client, err = kgo.NewClient(
		kgo.SeedBrokers(c.brokers...),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	)
	require.NoError(tb, err)
	tb.Cleanup(c.client.Close)
	c.admin = kadm.NewClient(c.client)

	recs := tier1Records(tb, bl, time.Now().Truncate(time.Second))
	for _, r := range recs {
		c.bytes += len(r.Value)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(tb, c.client.ProduceSync(ctx, recs...).FirstErr())
	ends, err := c.admin.ListEndOffsets(ctx, topic)
	require.NoError(tb, err)
	var n int64
	ends.Each(func(o kadm.ListedOffset) {
		require.NoError(tb, o.Err)
		n += o.Offset
	})
	require.EqualValues(tb, bl.records(), n, "records in %s", topic)
	return c
}

// receiverConfig is tier 2's kafka receiver: a group consumer of OTLP protobuf metrics, a group of
// its own from the earliest offset; the rest are the receiver's defaults.
func (c *cluster) receiverConfig(rf receiver.Factory, group string) *kafkareceiver.Config {
	cfg := rf.CreateDefaultConfig().(*kafkareceiver.Config)
	cfg.ClientConfig.Brokers = c.brokers
	cfg.Metrics.Topics = []string{topic}
	cfg.Metrics.Encoding = "otlp_proto"
	cfg.ConsumerConfig.GroupID = group
	cfg.ConsumerConfig.InitialOffset = configkafka.EarliestOffset
	return cfg
}

func (c *cluster) newGroup(name string) string {
	return fmt.Sprintf("tier2-%s-%d", name, c.groups.Add(1))
}

// deleteGroup drops a drained receiver's group, so kfake ends its goroutines.
func (c *cluster) deleteGroup(tb testing.TB, group string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.admin.DeleteGroup(ctx, group)
	require.NoError(tb, err)
	require.NoError(tb, res.Err)
}

// sink is the exporter's stand-in: it counts data points and closes done when it has seen want.
// With byRecord, it also counts how many times it saw each record (pod and timestamp).
type sink struct {
	bl   backlog
	want int64
	n    atomic.Int64
	done chan struct{}
	once sync.Once

	byRecord bool
	mu       sync.Mutex
	seen     map[string]int
}

var _ consumer.Metrics = (*sink)(nil)

func newSink(bl backlog, byRecord bool) *sink {
	s := &sink{bl: bl, want: int64(bl.points()), done: make(chan struct{}), byRecord: byRecord}
	if byRecord {
		s.seen = make(map[string]int, bl.records())
	}
	return s
}

func (*sink) Capabilities() consumer.Capabilities { return consumer.Capabilities{MutatesData: false} }

func (s *sink) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	if s.byRecord {
		s.note(md)
	}
	if s.n.Add(int64(md.DataPointCount())) >= s.want {
		s.once.Do(func() { close(s.done) })
	}
	return nil
}

// note counts every resource of md by its pod and its latency point's timestamp: one tier-1 record.
func (s *sink) note(md pmetric.Metrics) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		id, _ := rm.Resource().Attributes().Get("service.instance.id")
		ts := rm.ScopeMetrics().At(0).Metrics().At(0).Histogram().DataPoints().At(0).Timestamp()
		s.seen[fmt.Sprintf("%s@%d", id.Str(), ts)]++
	}
}

// wait blocks until every point arrived.
func (s *sink) wait(tb testing.TB) {
	tb.Helper()
	timeout := time.NewTimer(drainTimeout)
	defer timeout.Stop()
	select {
	case <-s.done:
	case <-timeout.C:
		tb.Fatalf("drain: %d of %d data points after %s", s.n.Load(), s.want, drainTimeout)
	}
}

// check, once the receiver is shut down, asserts that no point came twice.
func (s *sink) check(tb testing.TB) {
	tb.Helper()
	if n := s.n.Load(); n != s.want {
		tb.Fatalf("the consumer saw %d data points, want exactly %d", n, s.want)
	}
	if !s.byRecord {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	require.Len(tb, s.seen, s.bl.records(), "distinct records")
	for k, n := range s.seen {
		if n != 1 {
			tb.Fatalf("record %s arrived %d times", k, n)
		}
	}
}

// retrainConfig is the processor's defaults with the health metrics off (they would add points),
// no status server (the default: no endpoint) and no storage (the default).
func retrainConfig(pf processor.Factory) *retrainprocessor.Config {
	cfg := pf.CreateDefaultConfig().(*retrainprocessor.Config)
	cfg.HealthMetrics.Enabled = false
	return cfg
}

// retrain is one processor instance serving a metrics pipeline (next: the sink) and a logs one
// (next: a nop), as the collector builds it for one component ID listed in both, with an SDK
// meter provider for its own telemetry, as in production.
type retrain struct {
	bl  backlog
	mp  processor.Metrics
	lp  processor.Logs
	tel *componenttest.Telemetry
}

func newRetrain(tb testing.TB, bl backlog, pf processor.Factory, next consumer.Metrics) *retrain {
	tb.Helper()
	ctx := context.Background()
	cfg := retrainConfig(pf)
	require.NoError(tb, cfg.Validate())
	r := &retrain{bl: bl, tel: componenttest.NewTelemetry()}
	set := processortest.NewNopSettings(pf.Type())
	set.TelemetrySettings = r.tel.NewTelemetrySettings()
	var err error
	r.mp, err = pf.CreateMetrics(ctx, set, cfg, next)
	require.NoError(tb, err)
	r.lp, err = pf.CreateLogs(ctx, set, cfg, consumertest.NewNop())
	require.NoError(tb, err)
	host := componenttest.NewNopHost()
	require.NoError(tb, r.mp.Start(ctx, host))
	require.NoError(tb, r.lp.Start(ctx, host))
	return r
}

func (r *retrain) shutdown(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	require.NoError(tb, r.mp.Shutdown(ctx))
	require.NoError(tb, r.lp.Shutdown(ctx))
	require.NoError(tb, r.tel.Shutdown(ctx))
}

// int64Sums are the totals of one of the processor's int64 sums by the value of attribute key;
// nil when it recorded nothing.
func (r *retrain) int64Sums(tb testing.TB, name, key string) map[string]int64 {
	tb.Helper()
	m, err := r.tel.GetMetric(name)
	if err != nil {
		return nil
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(tb, ok, "%s is a %T", name, m.Data)
	out := map[string]int64{}
	for _, dp := range sum.DataPoints {
		v, _ := dp.Attributes.Value(attribute.Key(key))
		out[v.AsString()] += dp.Value
	}
	return out
}

// check asserts that the processor really worked on the backlog: it tracked every model and
// aggregated every point but each cumulative stream's first (its baseline), skipping none.
//
// An evaluation tick (every 60 s of wall-clock time, aligned) that falls inside a drain forgets
// the streams not seen for a window (5 min) — the benchmark's backlog spans 333 s of data time — and their next
// point is a baseline again. The counts are then only bounded; the test tells the two cases apart
// by the processor's evaluation telemetry.
func (r *retrain) check(tb testing.TB) {
	tb.Helper()
	cumulativeDeltas := int64((r.bl.exports - 1) * r.bl.pods()) // per cumulative signal
	agg := r.int64Sums(tb, "otelcol_processor_retrain_data_points", "signal")
	skipped := r.int64Sums(tb, "otelcol_processor_retrain_data_points_skipped", "reason")
	for reason, n := range skipped {
		if n != 0 {
			tb.Errorf("the processor skipped %d data points as %s", n, reason)
		}
	}
	require.EqualValues(tb, r.bl.exports*r.bl.pods(), agg["accuracy"], "accuracy points aggregated")
	if _, err := r.tel.GetMetric("otelcol_processor_retrain_evaluation_duration"); err != nil {
		// No tick ran: the counts are exact.
		require.EqualValues(tb, cumulativeDeltas, agg["latency"], "latency points aggregated")
		require.EqualValues(tb, cumulativeDeltas, agg["throughput"], "throughput points aggregated")
		tracked := r.int64Sums(tb, "otelcol_processor_retrain_models", "processor")
		var n int64
		for _, v := range tracked {
			n += v
		}
		require.EqualValues(tb, r.bl.models, n, "models tracked")
		return
	}
	tb.Logf("an evaluation ran during the drain: latency %d, throughput %d of %d cumulative points aggregated",
		agg["latency"], agg["throughput"], cumulativeDeltas)
	for _, s := range []string{"latency", "throughput"} {
		if agg[s] <= 0 || agg[s] > cumulativeDeltas {
			tb.Errorf("%s points aggregated: %d, want in (0, %d]", s, agg[s], cumulativeDeltas)
		}
	}
}

// drain is one tier-2 collector from start to the last point of the backlog: a new kafka receiver
// into next, started, until s has seen every point. It returns the receiver, still running.
func drain(tb testing.TB, c *cluster, rf receiver.Factory, group string, next consumer.Metrics, s *sink) receiver.Metrics {
	tb.Helper()
	r, err := rf.CreateMetrics(context.Background(), receivertest.NewNopSettings(rf.Type()), c.receiverConfig(rf, group), next)
	require.NoError(tb, err)
	require.NoError(tb, r.Start(context.Background(), componenttest.NewNopHost()))
	s.wait(tb)
	return r
}

// pipeline is one way of running tier 2: with the processor or without.
type pipeline struct {
	name        string
	withRetrain bool
}

var pipelines = []pipeline{{"receiver", false}, {"retrain", true}}

// iteration is one drain of the backlog through p. timed, when set, brackets the timed part; the
// checks run after it.
func (p pipeline) iteration(tb testing.TB, c *cluster, rf receiver.Factory, pf processor.Factory, byRecord bool, timed func(func())) {
	tb.Helper()
	s := newSink(c.backlog, byRecord)
	var next consumer.Metrics = s
	var rp *retrain
	if p.withRetrain {
		rp = newRetrain(tb, c.backlog, pf, s)
		next = rp.mp
	}
	group := c.newGroup(p.name)
	var r receiver.Metrics
	timed(func() { r = drain(tb, c, rf, group, next, s) })
	require.NoError(tb, r.Shutdown(context.Background()))
	c.deleteGroup(tb, group)
	s.check(tb)
	if rp != nil {
		rp.check(tb)
		rp.shutdown(tb)
	}
}

func BenchmarkTier2FromKafka(b *testing.B) {
	c := newCluster(b, benchBacklog)
	rf, pf := kafkareceiver.NewFactory(), retrainprocessor.NewFactory()
	b.Logf("backlog: %d models × %d pods × %d exports = %d records of %d points (%d data points, %.1f MB of OTLP protobuf, %d partitions)",
		c.models, c.podsPerModel, c.exports, c.records(), pointsPerRecord, c.points(), float64(c.bytes)/1e6, partitions)
	for _, p := range pipelines {
		b.Run("pipeline="+p.name, func(b *testing.B) {
			b.ReportAllocs()
			// b.Loop runs with the timer on; each iteration stops it for everything but the drain.
			for b.Loop() {
				b.StopTimer()
				p.iteration(b, c, rf, pf, false, func(drain func()) {
					b.StartTimer()
					drain()
					b.StopTimer()
				})
				b.StartTimer()
			}
			b.ReportMetric(float64(c.points())*float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}

// TestTier2FromKafkaPassesEveryPoint drains the backlog once through each pipeline and checks that
// every record arrived exactly once, and that the processor aggregated every point.
func TestTier2FromKafkaPassesEveryPoint(t *testing.T) {
	c := newCluster(t, testBacklog)
	rf, pf := kafkareceiver.NewFactory(), retrainprocessor.NewFactory()
	for _, p := range pipelines {
		t.Run("pipeline="+p.name, func(t *testing.T) {
			began := time.Now()
			p.iteration(t, c, rf, pf, true, func(drain func()) { drain() })
			t.Logf("%d data points in %s", c.points(), time.Since(began))
		})
	}
}
