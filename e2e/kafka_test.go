//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/visutility/otelcol-retrain/internal/servingapp"
)

// The Kafka deployment of the README's "Scaling out", on the built binary with the documented
// configs (testdata/kafka-tier1.yaml, kafka-tier2.yaml): two tier-1 collectors, each receiving
// one pod of every model, produce to a Kafka-protocol broker (kfake, in this test process, on
// 127.0.0.1); two tier-2 collectors in one consumer group decide, sharing their state through
// kafka_storage.
const (
	metricsTopic   = "otlp_metrics"
	metricsParts   = 8
	consumerGroup  = "otelcol-retrain"
	kafkaCooldown  = "10m"
	sessionTimeout = "3s"
)

// tier2Settings are the e2e settings laid over the documented tier-2 config: fast evaluations,
// short windows, and a session timeout that hands a dead collector's partitions on in seconds.
var tier2Settings = []string{
	"--set=processors::retrain::evaluation_interval=1s",
	"--set=processors::retrain::window=10s",
	"--set=processors::retrain::min_samples=200",
	"--set=processors::retrain::strategy::cooldown=" + kafkaCooldown,
	"--set=receivers::kafka::session_timeout=" + sessionTimeout,
	"--set=receivers::kafka::heartbeat_interval=500ms",
	"--set=extensions::kafka_storage::start_timeout=20s",
	"--set=exporters::retrain::timeout=2s",
}

// startKafka starts a one-broker Kafka-protocol cluster on 127.0.0.1 with the metrics topic.
func startKafka(t *testing.T) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(metricsParts, metricsTopic),
		kfake.GroupMinSessionTimeout(time.Second))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// kafkaCollector runs the binary on a documented Kafka config with env and the e2e settings.
func kafkaCollector(t *testing.T, configFile string, env map[string]string, settings []string, listen ...string) *collector {
	t.Helper()
	telemetry := freeAddr(t)
	_, port, _ := net.SplitHostPort(telemetry)
	env["TELEMETRY_PORT"] = port
	env["HEALTH_CHECK_ENDPOINT"] = freeAddr(t)
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	c := runCollectorEnv(t, filepath.Join("..", "testdata", configFile), kv, settings...)
	c.cfg = config{Telemetry: telemetry}
	c.waitListening(20*time.Second, append(listen, telemetry)...)
	return c
}

// tier1 is a tier-1 collector and the OTLP/gRPC address its apps send to.
type tier1 struct {
	*collector
	grpc string
}

func startTier1(t *testing.T, brokers string) tier1 {
	t.Helper()
	grpc, http := freeAddr(t), freeAddr(t)
	c := kafkaCollector(t, "kafka-tier1.yaml", map[string]string{
		"KAFKA_BROKERS": brokers, "OTLP_GRPC_ENDPOINT": grpc, "OTLP_HTTP_ENDPOINT": http,
	}, nil, grpc, http)
	return tier1{collector: c, grpc: grpc}
}

func startTier2(t *testing.T, brokers string, tr *trainer, backend *sink) *collector {
	t.Helper()
	status := freeAddr(t)
	return kafkaCollector(t, "kafka-tier2.yaml", map[string]string{
		"KAFKA_BROKERS":            brokers,
		"RETRAIN_QUEUE_DIR":        filepath.Join(t.TempDir(), "queue"),
		"RETRAIN_STATUS_ENDPOINT":  status,
		"METRICS_BACKEND":          backend.addr,
		"METRICS_BACKEND_INSECURE": "true",
		"TRAINER_URL":              tr.hookURL(),
		"RETRAIN_WEBHOOK_SECRET":   tr.secret,
	}, tier2Settings, status)
}

// startPod starts one replica of a model's serving app, sending to a tier-1 collector.
func startPod(t *testing.T, endpoint, model, pod string, slow bool) {
	t.Helper()
	sc := servingapp.Config{
		ServiceName: model + "-api", Model: model, Version: "1", Pod: pod,
		Protocol: servingapp.GRPC, Endpoint: endpoint, ExportInterval: exportInterval, Rate: predictionRate,
		Seed:     uint64(len(model) + len(pod)),
		Latency:  fastLatency,
		Accuracy: func() float64 { return goodAccuracy },
		WrapExporter: func(given sdkmetric.Exporter) sdkmetric.Exporter {
			_ = given.Shutdown(context.Background()) // replaced: no retries, the next export carries the totals
			exp, err := otlpmetricgrpc.New(context.Background(), otlpmetricgrpc.WithEndpoint(endpoint),
				otlpmetricgrpc.WithInsecure(), otlpmetricgrpc.WithRetry(otlpmetricgrpc.RetryConfig{Enabled: false}))
			require.NoError(t, err)
			return exp
		},
	}
	if slow {
		sc.Latency = slowLatency
	}
	a, err := servingapp.Start(context.Background(), sc)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_ = a.Stop(ctx)
	})
}

// startModel starts two pods of model, one behind each tier-1 collector.
func startModel(t *testing.T, tier1s []tier1, model string, slow bool) {
	for i, c := range tier1s {
		startPod(t, c.grpc, model, fmt.Sprintf("%s-pod-%d", model, i), slow)
	}
}

// TestKafkaTier2SurvivesSIGKILLOfACollector: degraded models get their jobs from whichever tier-2
// collector holds their partition; the one that fired more is killed (SIGKILL); its partitions move
// to the survivor, which takes over their state from kafka_storage. Every degraded model, before
// the kill and after it, gets exactly one job; none gets a second inside its cooldown; healthy
// models get none; and each model's points, from both of its pods, are on one partition.
func TestKafkaTier2SurvivesSIGKILLOfACollector(t *testing.T) {
	t.Parallel()
	brokers := startKafka(t)
	secret := newSecret(t)
	tr := newTrainer(t, secret)
	backend := newSink(t)

	tier2s := []*collector{startTier2(t, brokers, tr, backend), startTier2(t, brokers, tr, backend)}
	adm := kadm.NewClient(newKafkaClient(t, brokers))
	waitFor(t, 30*time.Second, "both tier-2 collectors in the consumer group, every partition assigned", func() bool {
		return groupReady(adm, 2)
	})
	tier1s := []tier1{startTier1(t, brokers), startTier1(t, brokers)}

	before := []string{"kafka-a", "kafka-b", "kafka-c", "kafka-d", "kafka-e", "kafka-f"}
	after := []string{"kafka-g", "kafka-h"}
	healthy := []string{"kafka-ok-1", "kafka-ok-2"}
	for _, m := range before {
		startModel(t, tier1s, m, true)
	}
	for _, m := range healthy {
		startModel(t, tier1s, m, false)
	}
	waitFor(t, 60*time.Second, "a job for every model degraded before the kill", func() bool {
		return tr.hasDelivered(before...)
	}, tr.summary)

	// The victim is the collector that fired more of them.
	fired := []map[string]string{firedJobs(tier2s[0].output()), firedJobs(tier2s[1].output())}
	victim, survivor := tier2s[0], tier2s[1]
	if len(fired[1]) > len(fired[0]) {
		victim, survivor = survivor, victim
		fired[0], fired[1] = fired[1], fired[0]
	}
	require.NotEmpty(t, fired[0], "the victim fired no job")
	victimModels := map[string]bool{}
	for _, m := range fired[0] {
		victimModels[m] = true
	}
	t.Logf("the victim fired %d of %d jobs", len(fired[0]), len(fired[0])+len(fired[1]))
	requireEvaluations(t, victim, 2) // its outbox removals are written
	victim.stop(syscall.SIGKILL)
	killedAt := time.Now()

	for _, m := range after {
		startModel(t, tier1s, m, true)
	}
	waitFor(t, 60*time.Second, "a job for every model degraded after the kill", func() bool {
		return tr.hasDelivered(after...)
	}, tr.summary)
	assert.True(t, strings.Contains(survivor.output(), "Took over the decision state other collectors wrote"),
		"the survivor logs that it took over the victim's models")
	// The survivor evaluates the victim's models, in cooldown, for a while: any second job shows.
	suppressed := survivor.metric("otelcol_processor_retrain_jobs_suppressed")
	waitFor(t, 30*time.Second, "the survivor suppressing the victim's models in their cooldown", func() bool {
		return survivor.metric("otelcol_processor_retrain_jobs_suppressed") >= suppressed+float64(5*len(victimModels))
	}, tr.summary)

	tr.requireWellFormed(t)
	ids := map[string]map[string]bool{}
	for _, a := range tr.all() {
		if a.status/100 != 2 {
			continue
		}
		if ids[a.job.ModelID] == nil {
			ids[a.job.ModelID] = map[string]bool{}
		}
		ids[a.job.ModelID][a.job.ID] = true
	}
	for _, m := range append(append([]string(nil), before...), after...) {
		assert.Len(t, ids[m], 1, "distinct jobs of %s (killed %s ago)\n%s", m, time.Since(killedAt).Round(time.Second), tr.summary())
	}
	for _, m := range healthy {
		assert.Empty(t, ids[m], "jobs of the healthy %s", m)
	}
	assert.Equal(t, 0.0, survivor.metric("otelcol_processor_retrain_state_errors"), "decision state errors")

	// Each model's points, from both pods and both tier-1 collectors, are on one partition.
	parts := partitionsByModel(t, brokers)
	for _, m := range append(append(append([]string(nil), before...), after...), healthy...) {
		require.Contains(t, parts, m)
		assert.Len(t, parts[m].partitions, 1, "partitions of %s", m)
		assert.Len(t, parts[m].pods, 2, "pods of %s seen on Kafka", m)
	}
}

func newKafkaClient(t *testing.T, brokers string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return cl
}

// groupReady reports whether the consumer group is stable with n members sharing every partition.
func groupReady(adm *kadm.Client, n int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	groups, err := adm.DescribeGroups(ctx, consumerGroup)
	if err != nil {
		return false
	}
	g, ok := groups[consumerGroup]
	if !ok || g.Err != nil || g.State != "Stable" || len(g.Members) != n {
		return false
	}
	assigned := 0
	for _, m := range g.Members {
		ca, ok := m.Assigned.AsConsumer()
		if !ok {
			return false
		}
		for _, tp := range ca.Topics {
			if tp.Topic == metricsTopic {
				assigned += len(tp.Partitions)
			}
		}
	}
	return assigned == metricsParts
}

type placement struct {
	partitions map[int32]bool
	pods       map[string]bool
}

// partitionsByModel reads the metrics topic from the start and says where each model's records are.
func partitionsByModel(t *testing.T, brokers string) map[string]placement {
	t.Helper()
	cl := newKafkaClient(t, brokers, kgo.ConsumeTopics(metricsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, metricsTopic)
	require.NoError(t, err)
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) { want[o.Partition] = o.Offset })
	got := map[int32]int64{}
	out := map[string]placement{}
	var u pmetric.ProtoUnmarshaler
	done := func() bool {
		for p, end := range want {
			if got[p] < end {
				return false
			}
		}
		return true
	}
	for !done() {
		fetches := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "reading %s", metricsTopic)
		fetches.EachRecord(func(r *kgo.Record) {
			got[r.Partition] = r.Offset + 1
			md, err := u.UnmarshalMetrics(r.Value)
			require.NoError(t, err)
			for _, rm := range md.ResourceMetrics().All() {
				model, _ := rm.Resource().Attributes().Get("ml.model.id")
				pod, _ := rm.Resource().Attributes().Get("k8s.pod.name")
				p, ok := out[model.Str()]
				if !ok {
					p = placement{partitions: map[int32]bool{}, pods: map[string]bool{}}
					out[model.Str()] = p
				}
				p.partitions[r.Partition] = true
				p.pods[pod.Str()] = true
			}
		})
	}
	var summary []string
	for m, p := range out {
		summary = append(summary, fmt.Sprintf("%s:%d", m, len(p.partitions)))
	}
	sort.Strings(summary)
	t.Logf("partitions per model: %s", strings.Join(summary, " "))
	return out
}
