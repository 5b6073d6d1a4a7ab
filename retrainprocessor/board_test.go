package retrainprocessor

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/metadatatest"
	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/status"
)

// statusConfig turns the status board on; the server listens on a free loopback port.
func statusConfig() *Config {
	cfg := testConfig()
	cfg.Status.NetAddr.Endpoint = "127.0.0.1:0"
	return cfg
}

func TestASilencedModelIsEvaluatedAndCountedAndFiresNoJob(t *testing.T) {
	dir := t.TempDir()
	sink := new(consumertest.LogsSink)
	n := startNode(t, statusConfig(), nodeOptions{dir: dir, logs: sink, now: t0})
	src := n.p.board
	sl, err := src.AddSilence("fraud-detector", "", 10*time.Minute, "migrating the feature store")
	require.NoError(t, err)
	assert.Equal(t, t0.Add(10*time.Minute), sl.Until)

	a := degraded("fraud-detector")
	n.degradeAndEvaluate(a, t0.Add(time.Minute))
	assert.Zero(t, sink.LogRecordCount(), "silenced: no job")
	metadatatest.AssertEqualProcessorRetrainJobsSilenced(t, n.tel, []metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp())
	m, ok := src.Model("fraud-detector", "")
	require.True(t, ok)
	assert.Equal(t, status.StateSilenced, m.State)
	assert.Equal(t, status.GateSilence, m.Gate)
	assert.Equal(t, sl.Until, m.SilencedUntil)
	assert.True(t, m.CooldownUntil.IsZero(), "a silenced decision starts no cooldown")

	// The silence survives a restart.
	n.stop()
	n = startNode(t, statusConfig(), nodeOptions{dir: dir, logs: sink, now: t0.Add(2 * time.Minute)})
	require.Len(t, n.p.board.Silences(), 1)
	assert.Equal(t, sl.ID, n.p.board.Silences()[0].ID)
	n.degradeAndEvaluate(a, t0.Add(2*time.Minute))
	assert.Zero(t, sink.LogRecordCount())

	// It expires by itself: the next evaluation past it fires.
	n.degradeAndEvaluate(a, t0.Add(11*time.Minute))
	require.Len(t, decodeJobs(t, sink.AllLogs()), 1)
	assert.Empty(t, n.p.board.Silences(), "expired")
	m, _ = n.p.board.Model("fraud-detector", "")
	assert.Equal(t, status.GateFired, m.Gate)
	require.Len(t, m.LastJobs, 1)
	assert.Equal(t, status.StateCooldown, m.State)
}

func TestDeletingASilenceLetsTheModelFire(t *testing.T) {
	sink := new(consumertest.LogsSink)
	n := startNode(t, statusConfig(), nodeOptions{logs: sink, now: t0})
	sl, err := n.p.board.AddSilence("fraud-detector", "3", time.Hour, "")
	require.NoError(t, err)
	other := degraded("fraud-detector") // version "" is not silenced by a silence of version 3
	n.degradeAndEvaluate(other, t0)
	require.Len(t, decodeJobs(t, sink.AllLogs()), 1, "another version fires")
	require.NoError(t, n.p.board.DeleteSilence(sl.ID))
	assert.ErrorIs(t, n.p.board.DeleteSilence(sl.ID), status.ErrNotFound)
	assert.Empty(t, n.p.board.Silences())
}

func TestTheBoardSaysWhyAModelDidOrDidNotFire(t *testing.T) {
	cfg := statusConfig()
	cfg.Strategy.For = time.Minute
	n := startNode(t, cfg, nodeOptions{now: t0})
	a := degraded("fraud-detector")
	n.degradeAndEvaluate(a, t0)
	m, ok := n.p.board.Model("fraud-detector", "")
	require.True(t, ok)
	assert.Equal(t, status.StatePending, m.State)
	assert.Equal(t, status.GateFor, m.Gate)
	assert.Equal(t, t0, m.PendingSince)
	require.NotEmpty(t, m.Findings)
	assert.Equal(t, "fraud-api", m.Resource["service.name"])

	n.degradeAndEvaluate(a, t0.Add(time.Minute))
	m, _ = n.p.board.Model("fraud-detector", "")
	assert.Equal(t, status.GateFired, m.Gate)
	n.degradeAndEvaluate(a, t0.Add(2*time.Minute))
	m, _ = n.p.board.Model("fraud-detector", "")
	assert.Equal(t, status.GateCooldown, m.Gate)
	assert.Equal(t, status.StateCooldown, m.State)
	require.NotEmpty(t, m.History)
	for _, s := range m.History {
		assert.Len(t, s.Points, 3, "%s: one point per evaluation", s.Observer)
	}

	page := n.p.board.Models(status.Filter{State: status.StateCooldown})
	assert.Equal(t, 1, page.Total)
	assert.Equal(t, 1, page.Counts[status.StateCooldown])
	assert.Empty(t, page.Models[0].History, "listings leave history out")
	assert.Zero(t, n.p.board.Models(status.Filter{Model: "nope"}).Total)
}

func TestTheBoardKeepsABoundedHistory(t *testing.T) {
	n := startNode(t, statusConfig(), nodeOptions{now: t0})
	a := newApp("svc", "m", "", t0.Add(-time.Hour))
	a.accuracy = 0.95
	for i := range status.HistoryLength + 10 {
		at := t0.Add(time.Duration(i) * time.Minute)
		n.clock.set(at)
		a.serve(200, 20)
		n.p.ingest(context.Background(), a.export(at.Add(-time.Second)))
		n.p.evaluate(context.Background(), at)
	}
	m, ok := n.p.board.Model("m", "")
	require.True(t, ok)
	for _, s := range m.History {
		assert.LessOrEqual(t, len(s.Points), status.HistoryLength, s.Observer)
	}
}

func TestWithoutAStatusEndpointThereIsNoBoard(t *testing.T) {
	n := startNode(t, testConfig(), nodeOptions{now: t0})
	assert.Nil(t, n.p.board)
	assert.Nil(t, n.p.server)
}

func TestTheStatusServerServesTheBoardThroughConfighttp(t *testing.T) {
	n := startNode(t, statusConfig(), nodeOptions{now: t0})
	require.NotNil(t, n.p.server)
	base := "http://" + n.p.server.addr.String()
	n.degradeAndEvaluate(degraded("fraud-detector"), t0)

	resp, err := http.Get(base + "/api/v1/models/fraud-detector")
	require.NoError(t, err)
	var m status.Model
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, status.GateFired, m.Gate)

	resp, err = http.Post(base+"/api/v1/silences", "application/json",
		strings.NewReader(`{"model_id": "fraud-detector", "duration": "1h", "comment": "incident 42"}`))
	require.NoError(t, err)
	var sl status.Silence
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&sl))
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, t0.Add(time.Hour), sl.Until)
	require.Len(t, n.p.board.Silences(), 1)

	resp, err = http.Get(base + "/")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Contains(t, string(page), `data-model="fraud-detector"`)

	n.stop()
	_, err = http.Get(base + "/")
	assert.Error(t, err, "the server stops with the processor")
}

func TestADryRunShowsWhatWouldHaveFired(t *testing.T) {
	cfg := statusConfig()
	cfg.Strategy.DryRun = true
	sink := new(consumertest.LogsSink)
	n := startNode(t, cfg, nodeOptions{logs: sink, now: t0})
	n.degradeAndEvaluate(degraded("fraud-detector"), t0)
	assert.Zero(t, sink.LogRecordCount())
	m, ok := n.p.board.Model("fraud-detector", "")
	require.True(t, ok)
	assert.Equal(t, status.GateWouldFire, m.Gate)
	require.Len(t, m.LastJobs, 1)
	assert.True(t, m.LastJobs[0].DryRun)
	assert.True(t, n.p.board.Info().DryRun, "the page shows the dry-run banner")
}

// flakyStorage is file_storage whose first read of the silences fails, as a busy disk might.
type flakyStorage struct {
	extension.Extension
}

func (f flakyStorage) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	c, err := f.Extension.(storage.Extension).GetClient(ctx, kind, id, name)
	return flakyClient{c}, err
}

type flakyClient struct{ storage.Client }

func (c flakyClient) Get(ctx context.Context, key string) ([]byte, error) {
	if key == silencesKey {
		return nil, errors.New("busy")
	}
	return c.Client.Get(ctx, key)
}

func TestSilencesThatCouldNotBeReadAreNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, statusConfig(), nodeOptions{dir: dir, now: t0})
	_, err := n.p.board.AddSilence("a", "", time.Hour, "")
	require.NoError(t, err)
	_, err = n.p.board.AddSilence("b", "", time.Hour, "")
	require.NoError(t, err)
	n.stop()

	f := filestorage.NewFactory()
	sc := f.CreateDefaultConfig().(*filestorage.Config)
	sc.Directory = dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), sc)
	require.NoError(t, err)
	n = startNode(t, statusConfig(), nodeOptions{ext: flakyStorage{ext}, now: t0.Add(time.Minute)})
	assert.Equal(t, 1, n.logs.FilterMessageSnippet("Cannot read the stored silences").Len())
	_, err = n.p.board.AddSilence("c", "", time.Hour, "")
	assert.ErrorIs(t, err, errSilencesUnreadable)
	n.stop()

	n = startNode(t, statusConfig(), nodeOptions{dir: dir, now: t0.Add(2 * time.Minute)})
	assert.Len(t, n.p.board.Silences(), 2, "both survived")
}

// slowStorage is file_storage whose writes wait until released.
type slowStorage struct {
	extension.Extension
	entered, release chan struct{}
}

func (s slowStorage) GetClient(ctx context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	c, err := s.Extension.(storage.Extension).GetClient(ctx, kind, id, name)
	return slowClient{c, s.entered, s.release}, err
}

type slowClient struct {
	storage.Client
	entered, release chan struct{}
}

func (c slowClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		if op.Key == silencesKey {
			c.entered <- struct{}{}
			select {
			case <-c.release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return c.Client.Batch(ctx, ops...)
}

func TestASlowSilenceWriteDoesNotHoldUpTheEvaluation(t *testing.T) {
	f := filestorage.NewFactory()
	sc := f.CreateDefaultConfig().(*filestorage.Config)
	sc.Directory = t.TempDir()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), sc)
	require.NoError(t, err)
	entered, release := make(chan struct{}, 1), make(chan struct{})
	n := startNode(t, statusConfig(), nodeOptions{ext: slowStorage{ext, entered, release}, now: t0})
	n.degradeAndEvaluate(degraded("a"), t0)
	added := make(chan error, 1)
	go func() {
		_, err := n.p.board.AddSilence("b", "", time.Hour, "")
		added <- err
	}()
	<-entered // "b" is being written
	done := make(chan struct{})
	go func() {
		n.p.evaluate(context.Background(), t0.Add(time.Minute)) // reads the silences while "b" is being written
		_ = n.p.board.Silences()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the evaluation waited for the silence write")
	}
	close(release)
	require.NoError(t, <-added)
	assert.Len(t, n.p.board.Silences(), 1)
}
