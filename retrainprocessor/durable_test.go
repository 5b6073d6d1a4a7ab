package retrainprocessor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/state"
)

var storageID = component.MustNewID("file_storage")

// node is one run of the processor, built by the real factory into a metrics and a logs
// pipeline, with the real file_storage extension on dir (none when dir is empty). Its ticker
// fires only when a test sends on ticks.
type node struct {
	t     *testing.T
	tel   *componenttest.Telemetry
	clock *clock
	mp    *metricsProcessor
	lp    *logsProcessor
	p     *retrainProcessor
	ext   extension.Extension
	ticks chan time.Time
	logs  *observer.ObservedLogs
	done  bool
}

type nodeOptions struct {
	dir    string        // file_storage directory; "" = no storage
	logs   consumer.Logs // next consumer of the logs pipeline; a sink when nil
	now    time.Time
	logger *zap.Logger // observed when nil
	ext    extension.Extension
}

func startNode(t *testing.T, cfg *Config, o nodeOptions) *node {
	t.Helper()
	n := &node{t: t, tel: componenttest.NewTelemetry(), clock: newClock(o.now), ticks: make(chan time.Time)}
	exts := map[component.ID]component.Component{}
	if o.dir != "" || o.ext != nil {
		cfg.Storage = &storageID
		n.ext = o.ext
		if n.ext == nil {
			f := filestorage.NewFactory()
			sc := f.CreateDefaultConfig().(*filestorage.Config)
			sc.Directory = o.dir
			var err error
			n.ext, err = f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), sc)
			require.NoError(t, err)
		}
		require.NoError(t, n.ext.Start(context.Background(), componenttest.NewNopHost()))
		exts[storageID] = n.ext
	}
	if o.logs == nil {
		o.logs = new(consumertest.LogsSink)
	}
	set := metadatatest.NewSettings(n.tel)
	if o.logger == nil {
		core, logs := observer.New(zapcore.InfoLevel)
		o.logger, n.logs = zap.New(core), logs
	}
	set.Logger = o.logger
	f := NewFactory()
	mp, err := f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	lp, err := f.CreateLogs(context.Background(), set, cfg, o.logs)
	require.NoError(t, err)
	n.mp, n.lp = mp.(*metricsProcessor), lp.(*logsProcessor)
	n.p = n.mp.shared
	n.p.now = n.clock.now
	n.p.wait = func(time.Duration) <-chan time.Time { return n.ticks }
	h := hostWith(exts)
	require.NoError(t, mp.Start(context.Background(), h))
	require.NoError(t, lp.Start(context.Background(), h))
	t.Cleanup(func() {
		n.stop()
		require.NoError(t, n.tel.Shutdown(context.Background()))
	})
	return n
}

// stop shuts the processor down, then its storage, as the collector does.
func (n *node) stop() {
	if n.done {
		return
	}
	n.done = true
	require.NoError(n.t, n.mp.Shutdown(context.Background()))
	require.NoError(n.t, n.lp.Shutdown(context.Background()))
	if n.ext != nil {
		require.NoError(n.t, n.ext.Shutdown(context.Background()))
	}
}

// feed ingests a's exports, every 10 s, of the five minutes before until.
func (n *node) feed(a *app, until time.Time) {
	for ts := until.Add(-295 * time.Second); ts.Before(until); ts = ts.Add(10 * time.Second) {
		a.serve(20, 20)
		n.p.ingest(context.Background(), a.export(ts))
	}
}

// degradeAndEvaluate feeds a (whose accuracy is low) up to at, then evaluates at at.
func (n *node) degradeAndEvaluate(a *app, at time.Time) {
	n.clock.set(at)
	n.feed(a, at)
	n.p.evaluate(context.Background(), at)
}

type extHost struct {
	component.Host
	ext map[component.ID]component.Component
}

func (h extHost) GetExtensions() map[component.ID]component.Component { return h.ext }

func hostWith(ext map[component.ID]component.Component) component.Host {
	return extHost{Host: componenttest.NewNopHost(), ext: ext}
}

func degraded(model string) *app {
	a := newApp("fraud-api", model, "", t0.Add(-time.Hour))
	a.accuracy = 0.5
	return a
}

func TestARestartInsideTheCooldownFiresNoSecondJob(t *testing.T) {
	for _, withStorage := range []bool{true, false} {
		name := map[bool]string{true: "with storage", false: "without storage a restart forgets"}[withStorage]
		t.Run(name, func(t *testing.T) {
			dir := ""
			if withStorage {
				dir = t.TempDir()
			}
			a := degraded("fraud-detector")
			first := new(consumertest.LogsSink)
			n := startNode(t, testConfig(), nodeOptions{dir: dir, logs: first, now: t0})
			n.degradeAndEvaluate(a, t0)
			require.Len(t, decodeJobs(t, first.AllLogs()), 1)
			n.stop()

			second := new(consumertest.LogsSink)
			n = startNode(t, testConfig(), nodeOptions{dir: dir, logs: second, now: t0.Add(time.Minute)})
			n.degradeAndEvaluate(a, t0.Add(time.Minute))
			if !withStorage {
				assert.Len(t, decodeJobs(t, second.AllLogs()), 1)
				return
			}
			assert.Empty(t, decodeJobs(t, second.AllLogs()), "the cooldown was restored")
			metadatatest.AssertEqualProcessorRetrainJobsSuppressed(t, n.tel,
				[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
		})
	}
}

func TestThePendingForStreakContinuesFromItsStoredStart(t *testing.T) {
	dir := t.TempDir()
	cfg := func() *Config {
		c := testConfig()
		c.Strategy.For = 3 * time.Minute
		return c
	}
	a := degraded("fraud-detector")
	sink := new(consumertest.LogsSink)
	n := startNode(t, cfg(), nodeOptions{dir: dir, logs: sink, now: t0})
	n.degradeAndEvaluate(a, t0)
	n.degradeAndEvaluate(a, t0.Add(time.Minute))
	n.stop()

	n = startNode(t, cfg(), nodeOptions{dir: dir, logs: sink, now: t0.Add(2 * time.Minute)})
	n.degradeAndEvaluate(a, t0.Add(2*time.Minute))
	require.Empty(t, decodeJobs(t, sink.AllLogs()))
	n.degradeAndEvaluate(a, t0.Add(3*time.Minute))
	jobs := decodeJobs(t, sink.AllLogs())
	require.Len(t, jobs, 1, "the streak began at t0, before the restart")
	assert.Equal(t, t0.Add(3*time.Minute), jobs[0].RequestedAt)
}

// blockingLogs refuses every batch until open is closed; then it accepts them into the sink.
type gateLogs struct {
	consumertest.LogsSink
	mu   sync.Mutex
	open bool
}

func (g *gateLogs) setOpen(v bool) {
	g.mu.Lock()
	g.open = v
	g.mu.Unlock()
}

func (g *gateLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open {
		return errors.New("sending queue is full")
	}
	return g.LogsSink.ConsumeLogs(ctx, ld)
}

func TestOutboxJobsAreHandedOnAfterARestartWithTheirIDs(t *testing.T) {
	dir := t.TempDir()
	gate := &gateLogs{}
	n := startNode(t, testConfig(), nodeOptions{dir: dir, logs: gate, now: t0})
	n.degradeAndEvaluate(degraded("a"), t0)
	n.degradeAndEvaluate(degraded("b"), t0.Add(time.Minute)) // a is in cooldown; b fires; a's job is retried
	metadatatest.AssertEqualProcessorRetrainJobsFailed(t, n.tel,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRetrainOutboxJobs(t, n.tel,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
	n.stop()
	require.Zero(t, gate.LogRecordCount())
	assert.Equal(t, 1, n.logs.FilterMessageSnippet("handed on at the next start").Len())

	gate.setOpen(true)
	n = startNode(t, testConfig(), nodeOptions{dir: dir, logs: gate, now: t0.Add(2 * time.Minute)})
	require.Eventually(t, func() bool { return gate.LogRecordCount() == 2 }, 10*time.Second, time.Millisecond,
		"the restored outbox is handed on before the first evaluation")
	jobs := decodeJobs(t, gate.AllLogs())
	assert.Equal(t, job.NewID("a", "", t0), jobs[0].ID, "oldest first, with the id it was fired with")
	assert.Equal(t, job.NewID("b", "", t0.Add(time.Minute)), jobs[1].ID)
	assert.Equal(t, []string{"accuracy_drift"}, jobs[0].Reasons)

	n.p.evaluate(context.Background(), t0.Add(3*time.Minute))
	assert.Equal(t, 2, gate.LogRecordCount(), "accepted jobs left the outbox: nothing is sent twice")
	n.stop()
	n = startNode(t, testConfig(), nodeOptions{dir: dir, logs: gate, now: t0.Add(4 * time.Minute)})
	n.p.evaluate(context.Background(), t0.Add(4*time.Minute))
	assert.Equal(t, 2, gate.LogRecordCount(), "nor after another restart")
}

func TestWithoutStorageJobsLeftAtShutdownAreCountedAndNamed(t *testing.T) {
	gate := &gateLogs{}
	n := startNode(t, testConfig(), nodeOptions{logs: gate, now: t0})
	assert.Equal(t, 1, n.logs.FilterMessageSnippet("No storage configured").Len())
	n.degradeAndEvaluate(degraded("a"), t0)
	n.stop()
	metadatatest.AssertEqualProcessorRetrainJobsDropped(t, n.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: withID(attribute.String("reason", "shutdown"))},
	}, metricdatatest.IgnoreTimestamp())
	lost := n.logs.FilterMessageSnippet("are lost at shutdown").All()
	require.Len(t, lost, 1)
	assert.Equal(t, []any{job.NewID("a", "", t0)}, lost[0].ContextMap()["job_ids"])
}

func TestAFullOutboxDropsTheOldestJobsCountedAndNamed(t *testing.T) {
	n := startNode(t, testConfig(), nodeOptions{logs: consumertest.NewErr(errors.New("down")), now: t0})
	n.p.evalMu.Lock()
	n.p.eval.maxOutbox = 2
	n.p.evalMu.Unlock()
	for i, m := range []string{"a", "b", "c"} {
		n.degradeAndEvaluate(degraded(m), t0.Add(time.Duration(i)*time.Minute))
	}
	metadatatest.AssertEqualProcessorRetrainJobsDropped(t, n.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: withID(attribute.String("reason", "outbox_full"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRetrainJobsFailed(t, n.tel,
		[]metricdata.DataPoint[int64]{{Value: 3, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
	dropped := n.logs.FilterMessageSnippet("Dropping the oldest RetrainJobs").All()
	require.Len(t, dropped, 1)
	assert.Equal(t, []any{job.NewID("a", "", t0)}, dropped[0].ContextMap()["job_ids"])
}

func TestUnreadableStateIsCountedAndItsModelStartsClean(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, testConfig(), nodeOptions{dir: dir, now: t0})
	n.degradeAndEvaluate(degraded("a"), t0)
	n.degradeAndEvaluate(degraded("b"), t0)
	n.stop()

	// Damage a's record and write one of a newer version for b, behind the processor's back.
	f := filestorage.NewFactory()
	sc := f.CreateDefaultConfig().(*filestorage.Config)
	sc.Directory = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), sc)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	c, err := ext.(storage.Extension).GetClient(context.Background(), component.KindProcessor, component.MustNewID("retrain"), "")
	require.NoError(t, err)
	require.NoError(t, c.Set(context.Background(), state.Key("a", ""), []byte("{garbage")))
	require.NoError(t, c.Set(context.Background(), state.Key("b", ""), []byte(`{"v":99,"model":"b"}`)))
	require.NoError(t, c.Close(context.Background()))
	require.NoError(t, ext.Shutdown(context.Background()))

	sink := new(consumertest.LogsSink)
	n = startNode(t, testConfig(), nodeOptions{dir: dir, logs: sink, now: t0.Add(time.Minute)})
	metadatatest.AssertEqualProcessorRetrainStateErrors(t, n.tel, []metricdata.DataPoint[int64]{
		{Value: 2, Attributes: withID(attribute.String("operation", "decode"))},
	}, metricdatatest.IgnoreTimestamp())
	assert.Equal(t, 2, n.logs.FilterMessageSnippet("the model starts clean").Len())
	n.degradeAndEvaluate(degraded("a"), t0.Add(time.Minute))
	assert.Len(t, decodeJobs(t, sink.AllLogs()), 1, "a started clean: no cooldown")
}

// hangingStorage is a storage extension whose reads never return until released.
type hangingStorage struct {
	component.StartFunc
	component.ShutdownFunc
	release chan struct{}
}

func (h *hangingStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return hangingClient{h.release}, nil
}

type hangingClient struct{ release chan struct{} }

func (c hangingClient) Get(context.Context, string) ([]byte, error) { <-c.release; return nil, nil }
func (hangingClient) Set(context.Context, string, []byte) error     { return nil }
func (hangingClient) Delete(context.Context, string) error          { return nil }
func (hangingClient) Batch(context.Context, ...*storage.Operation) error {
	return nil
}
func (hangingClient) Close(context.Context) error { return nil }

func TestAHangingStorageDoesNotHangStart(t *testing.T) {
	defer func(old time.Duration) { loadTimeout = old }(loadTimeout)
	loadTimeout = 10 * time.Millisecond
	hs := &hangingStorage{release: make(chan struct{})}
	defer close(hs.release)
	n := startNode(t, testConfig(), nodeOptions{ext: hs, now: t0})
	metadatatest.AssertEqualProcessorRetrainStateErrors(t, n.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: withID(attribute.String("operation", "timeout"))},
	}, metricdatatest.IgnoreTimestamp())
	n.degradeAndEvaluate(degraded("a"), t0)
	assert.Equal(t, 1, n.logs.FilterMessageSnippet("Model needs retraining").Len(), "it started clean and works")
}

// stuckLogs blocks in ConsumeLogs, ignoring its context, until released: an exporter without a
// sending queue whose trainer is down.
type stuckLogs struct {
	entered chan struct{}
	release chan struct{}
}

func (*stuckLogs) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }
func (s *stuckLogs) ConsumeLogs(context.Context, plog.Logs) error {
	close(s.entered)
	<-s.release
	return errors.New("trainer down")
}

func TestShutdownReturnsWithinItsDeadlineWhileTheLogsPipelineBlocks(t *testing.T) {
	stuck := &stuckLogs{entered: make(chan struct{}), release: make(chan struct{})}
	n := startNode(t, testConfig(), nodeOptions{dir: t.TempDir(), logs: stuck, now: t0.Add(-time.Second)})
	n.feed(degraded("a"), t0)
	n.ticks <- t0 // the loop's evaluation fires a job and blocks handing it on
	<-stuck.entered

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, n.mp.Shutdown(ctx))
	returned := make(chan struct{})
	go func() {
		assert.NoError(t, n.lp.Shutdown(ctx))
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown did not return after its context's deadline")
	}
	assert.Equal(t, 1, n.logs.FilterMessageSnippet("Shutdown's deadline passed").Len())
	close(stuck.release) // the evaluation gives up; the storage is released after it
	n.done = true
	require.Eventually(t, func() bool { return n.logs.FilterMessageSnippet("handed on at the next start").Len() == 1 },
		10*time.Second, time.Millisecond)
	require.NoError(t, n.ext.Shutdown(context.Background()))
}

func TestTheInstanceStopsWithTheLastPipelineNotTheFirst(t *testing.T) {
	sink := new(consumertest.LogsSink)
	n := startNode(t, testConfig(), nodeOptions{logs: sink, now: t0.Add(-time.Second)})
	require.NoError(t, n.mp.Shutdown(context.Background()))
	n.feed(degraded("a"), t0)
	select {
	case n.ticks <- t0: // the loop still runs
	case <-time.After(10 * time.Second):
		t.Fatal("the evaluation loop stopped with the first pipeline")
	}
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 1 }, 10*time.Second, time.Millisecond,
		"the loop's evaluation handed the job on")
	require.NoError(t, n.lp.Shutdown(context.Background()))
	n.done = true
}

func TestEveryJobIsLoggedDespiteLogSampling(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	// The collector's default sampling: per message, the first 10 lines in 10 s, then 1 in 100.
	sampled := zap.New(zapcore.NewSamplerWithOptions(core, 10*time.Second, 10, 100))
	n := startNode(t, testConfig(), nodeOptions{logger: sampled, now: t0})
	var want []any
	feed := func(model string, at time.Time) {
		n.clock.set(at)
		n.feed(degraded(model), at)
		want = append(want, job.NewID(model, "", at))
	}
	for i := range 21 { // one evaluation fires 21 jobs
		feed("model-"+string(rune('a'+i)), t0)
	}
	n.p.evaluate(context.Background(), t0)
	for i := range 15 { // then 15 evaluations fire one job each, within the same 10 s of logging
		at := t0.Add(time.Duration(i+1) * time.Minute)
		feed("single-"+string(rune('a'+i)), at)
		n.p.evaluate(context.Background(), at)
	}
	var got []any
	for _, e := range logs.FilterMessageSnippet("Models need retraining").All() {
		for _, j := range e.ContextMap()["retrain_jobs"].([]any) {
			got = append(got, j.(map[string]any)["job_id"])
		}
	}
	for _, e := range logs.FilterMessageSnippet("Model needs retraining").All() {
		got = append(got, e.ContextMap()["job_id"])
	}
	assert.ElementsMatch(t, want, got)
}

// itemQueue accepts a batch only when it fits the room left, like a sending queue sized in items.
type itemQueue struct {
	consumertest.LogsSink
	room int
}

func (q *itemQueue) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if ld.LogRecordCount() > q.room {
		return errors.New("sending queue is full")
	}
	q.room -= ld.LogRecordCount()
	return q.LogsSink.ConsumeLogs(ctx, ld)
}

func TestAQueueTooSmallForABatchGetsSmallerOnes(t *testing.T) {
	q := &itemQueue{room: 3}
	n := startNode(t, testConfig(), nodeOptions{logs: q, now: t0})
	for i := range 7 {
		n.feed(degraded("model-"+string(rune('a'+i))), t0)
	}
	n.p.evaluate(context.Background(), t0) // 7 jobs offered at once: refused
	require.Zero(t, q.LogRecordCount())
	for i := 1; i <= 3; i++ { // 3, then 1 of 1, then none fit: the queue is full
		n.p.evaluate(context.Background(), t0.Add(time.Duration(i)*time.Minute))
	}
	assert.Equal(t, 3, q.LogRecordCount(), "the room the queue had was used")
	q.room = 10
	n.p.evaluate(context.Background(), t0.Add(10*time.Minute))
	n.p.evaluate(context.Background(), t0.Add(11*time.Minute))
	assert.Equal(t, 7, q.LogRecordCount())
	assert.Len(t, decodeJobs(t, q.AllLogs()), 7)
}

func TestADryRunDecidesLogsAndCountsButSendsNoJob(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.Strategy.DryRun = true
	sink := new(consumertest.LogsSink)
	n := startNode(t, cfg, nodeOptions{dir: dir, logs: sink, now: t0})
	assert.Equal(t, 1, n.logs.FilterMessageSnippet("dry_run is on").Len(), "Start says so")
	a := degraded("fraud-detector")
	n.degradeAndEvaluate(a, t0)
	assert.Zero(t, sink.LogRecordCount(), "no job leaves")
	lines := n.logs.FilterMessageSnippet("Dry run, not sent: Model needs retraining: fraud-detector").All()
	require.Len(t, lines, 1)
	assert.Equal(t, job.NewID("fraud-detector", "", t0), lines[0].ContextMap()["job_id"], "the job it would have sent")
	metadatatest.AssertEqualProcessorRetrainJobsDryRun(t, n.tel, []metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorRetrainOutboxJobs(t, n.tel, []metricdata.DataPoint[int64]{{Value: 0, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())

	// The cooldown started, as it would have: the next evaluation is suppressed, and stays so
	// across a restart.
	n.degradeAndEvaluate(a, t0.Add(time.Minute))
	assert.Equal(t, 1, n.logs.FilterMessageSnippet("Dry run, not sent").Len())
	n.stop()
	n = startNode(t, cfg, nodeOptions{dir: dir, logs: sink, now: t0.Add(2 * time.Minute)})
	n.degradeAndEvaluate(a, t0.Add(2*time.Minute))
	assert.Zero(t, n.logs.FilterMessageSnippet("Dry run, not sent").Len())
	assert.Zero(t, sink.LogRecordCount())
}
