package retrainexporter

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadata"
	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadatatest"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestDeliversOneSignedRequestPerJob(t *testing.T) {
	tr := newTrainer(t, nil)
	cfg := testConfig(tr.URL + "/hooks/retrain")
	cfg.SigningSecret = secret
	exp := startExporter(t, cfg, nopHost())

	a, b := testJob("fraud-detector"), testJob("recommender")
	require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(a, b)))

	got := tr.deliveries()
	require.Len(t, got, 2)
	for i, j := range []job.Job{a, b} {
		d := got[i]
		assert.Equal(t, j.ID, d.header.Get(headerWebhookID))
		assert.Equal(t, j.ID, d.header.Get(headerIdempotencyKey))
		assert.Equal(t, "application/json", d.header.Get("Content-Type"))
		assert.True(t, strings.HasPrefix(d.header.Get("User-Agent"), "otelcol-retrain-exporter/"), d.header.Get("User-Agent"))
		require.NoError(t, verify(secret, d.header, d.body, time.Now(), 5*time.Minute))
		want, err := j.MarshalJSON()
		require.NoError(t, err)
		assert.JSONEq(t, string(want), string(d.body))
		var back job.Job
		require.NoError(t, json.Unmarshal(d.body, &back), "a trainer can decode the default body")
		assert.Equal(t, j.ID, back.ID)
	}
	metadatatest.AssertEqualExporterRetrainJobsDelivered(t, exp.tel,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: withID()}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// TestEndpointCredentialsAreSent: a password in the endpoint reaches the trainer as basic auth,
// even after the config was marshalled with the password redacted.
func TestEndpointCredentialsAreSent(t *testing.T) {
	tr := newTrainer(t, nil)
	cfg := testConfig(strings.Replace(tr.URL, "http://", "http://retrain:s3cret@", 1) + "/hooks/retrain")
	require.NoError(t, confmap.New().Marshal(cfg))
	exp := startExporter(t, cfg, nopHost())
	require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(testJob("m"))))

	got := tr.deliveries()
	require.Len(t, got, 1)
	req := http.Request{Header: got[0].header}
	user, password, ok := req.BasicAuth()
	require.True(t, ok, "Authorization: %q", got[0].header.Get("Authorization"))
	assert.Equal(t, "retrain", user)
	assert.Equal(t, "s3cret", password)
}

func TestRetryableAnswersAreRetriedWithTheSameWebhookID(t *testing.T) {
	tests := []struct {
		name  string
		fail  func(w http.ResponseWriter)
		cause string
	}{
		{"408", func(w http.ResponseWriter) { w.WriteHeader(http.StatusRequestTimeout) }, "status"},
		{"429", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) }, "status"},
		{"500", func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }, "status"},
		{"503", func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }, "status"},
		{"connection dropped", func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}, "transport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTrainer(t, func(n int, _ string, w http.ResponseWriter) bool {
				if n < 2 {
					tt.fail(w)
					return true
				}
				return false
			})
			cfg := testConfig(tr.URL)
			cfg.SigningSecret = secret
			exp := startExporter(t, cfg, nopHost())
			j := testJob("fraud-detector")
			require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(j)))

			assert.Equal(t, []string{j.ID, j.ID, j.ID}, tr.ids(), "two failures, then delivered")
			for _, d := range tr.deliveries() {
				require.NoError(t, verify(secret, d.header, d.body, time.Now(), 5*time.Minute), "every attempt is signed")
			}
			metadatatest.AssertEqualExporterRetrainJobsRetried(t, exp.tel, []metricdata.DataPoint[int64]{
				{Attributes: withID(attribute.String("cause", tt.cause)), Value: 2},
			}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
			metadatatest.AssertEqualExporterRetrainJobsDelivered(t, exp.tel,
				[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	tr := newTrainer(t, func(n int, _ string, w http.ResponseWriter) bool {
		if n == 0 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	})
	exp := startExporter(t, testConfig(tr.URL), nopHost())
	require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(testJob("m"))))
	got := tr.deliveries()
	require.Len(t, got, 2)
	// Backoff alone would retry after about a millisecond; the trainer asked for a second.
	assert.GreaterOrEqual(t, got[1].at.Sub(got[0].at), 900*time.Millisecond)
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true}, // a date in the past: retry now
		{"", 0, false},
		{"-5", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := retryAfter(tt.in, now)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestPermanentRefusalIsLoggedAndNotRetried(t *testing.T) {
	tr := newTrainer(t, func(_ int, _ string, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"detail": "conf.model_id is required"}` + strings.Repeat("x", 1000)))
		return true
	})
	cfg := testConfig(tr.URL)
	cfg.SigningSecret = secret
	core, logs := observer.New(zap.InfoLevel)
	exp := startExporterWithLogger(t, cfg, zap.New(core))
	require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(testJob("m"))))

	assert.Len(t, tr.deliveries(), 1, "a 400 is not retried")
	entries := logs.FilterMessage("Giving up on retrain job").All()
	require.Len(t, entries, 1)
	msg := entries[0].ContextMap()["error"].(string)
	assert.Contains(t, msg, "400")
	assert.Contains(t, msg, "conf.model_id is required")
	assert.Less(t, len(msg), 400, "only an excerpt of the answer is logged")
	for _, e := range logs.All() {
		assert.NotContains(t, e.Message+toString(e.ContextMap()), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "the secret never reaches the logs")
	}
	metadatatest.AssertEqualExporterRetrainJobsFailed(t, exp.tel, []metricdata.DataPoint[int64]{
		{Attributes: withID(attribute.String("reason", "rejected")), Value: 1},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func TestGivingUpNamesTheJob(t *testing.T) {
	j := testJob("m")
	refuse := func(code int) func(int, string, http.ResponseWriter) bool {
		return func(_ int, _ string, w http.ResponseWriter) bool {
			w.Header().Set("Location", "http://127.0.0.1:1/elsewhere")
			w.WriteHeader(code)
			return true
		}
	}
	tests := []struct {
		name     string
		answer   func(int, string, http.ResponseWriter) bool
		template string
		record   func(lr plog.LogRecord) // breaks the record
		reason   string
		wantID   string
	}{
		{name: "undecodable with a readable id", reason: reasonUndecodable, wantID: j.ID,
			record: func(lr plog.LogRecord) { lr.Attributes().Remove(job.AttrModelID) }},
		{name: "undecodable with an id of another type", reason: reasonUndecodable, wantID: "42",
			record: func(lr plog.LogRecord) { lr.Attributes().PutInt(job.AttrJobID, 42) }},
		{name: "undecodable with an empty id", reason: reasonUndecodable, wantID: noJobID,
			record: func(lr plog.LogRecord) { lr.Attributes().PutStr(job.AttrJobID, "") }},
		{name: "undecodable without an id", reason: reasonUndecodable, wantID: noJobID,
			record: func(lr plog.LogRecord) { lr.Attributes().Remove(job.AttrJobID) }},
		// The sample job rendered at start has two evidence entries, the test job one.
		{name: "unrenderable", template: `{"second": {{ json (index .Evidence 1) }}}`, reason: reasonUnrenderable, wantID: j.ID},
		{name: "rejected", answer: refuse(http.StatusUnprocessableEntity), reason: reasonRejected, wantID: j.ID},
		{name: "redirected", answer: refuse(http.StatusFound), reason: reasonRedirected, wantID: j.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTrainer(t, tt.answer)
			cfg := testConfig(tr.URL)
			cfg.BodyTemplate = tt.template
			core, logs := observer.New(zap.InfoLevel)
			exp := startExporterWithLogger(t, cfg, zap.New(core))
			ld := jobLogs(j)
			if tt.record != nil {
				tt.record(ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0))
			}
			require.NoError(t, exp.ConsumeLogs(context.Background(), ld), "a job given up on is not retried")

			entries := logs.FilterMessage("Giving up on retrain job").All()
			require.Len(t, entries, 1)
			fields := entries[0].ContextMap()
			assert.Equal(t, tt.wantID, fields["job_id"])
			assert.Equal(t, tt.reason, fields["reason"])
		})
	}
}

func toString(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func TestConfiguredStatusCountsAsDelivered(t *testing.T) {
	tr := newTrainer(t, func(_ int, _ string, w http.ResponseWriter) bool {
		w.WriteHeader(http.StatusConflict) // Airflow: a dag run with this id exists
		return true
	})
	cfg := testConfig(tr.URL)
	cfg.DeliveredStatusCodes = []int{409}
	exp := startExporter(t, cfg, nopHost())
	require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(testJob("m"))))
	assert.Len(t, tr.deliveries(), 1)
	metadatatest.AssertEqualExporterRetrainJobsDelivered(t, exp.tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	target := newTrainer(t, nil)
	tr := newTrainer(t, func(_ int, _ string, w http.ResponseWriter) bool {
		w.Header().Set("Location", target.URL)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return true
	})
	exp := startExporter(t, testConfig(tr.URL), nopHost())
	require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(testJob("m"))))
	assert.Len(t, tr.deliveries(), 1)
	assert.Empty(t, target.deliveries(), "the signed job was not sent to the redirect target")
	metadatatest.AssertEqualExporterRetrainJobsFailed(t, exp.tel, []metricdata.DataPoint[int64]{
		{Attributes: withID(attribute.String("reason", "redirected")), Value: 1},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func TestTimeoutIsRetryable(t *testing.T) {
	release := make(chan struct{})
	tr := newTrainer(t, func(n int, _ string, w http.ResponseWriter) bool {
		if n == 0 {
			<-release
		}
		return false
	})
	t.Cleanup(func() { close(release) })
	cfg := testConfig(tr.URL)
	cfg.ClientConfig.Timeout = 50 * time.Millisecond
	e := newStartedExporter(t, cfg)
	err := e.post(context.Background(), testJob("m"), []byte(`{}`))
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var perm *permanentError
	assert.NotErrorAs(t, err, &perm)
	var netErr net.Error
	require.ErrorAs(t, err, &netErr)
	assert.True(t, netErr.Timeout(), "a timeout, not another transport error: %v", err)
}

func TestNonJobRecordsPassWithoutARequest(t *testing.T) {
	tr := newTrainer(t, nil)
	exp := startExporter(t, testConfig(tr.URL), nopHost())
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr("GET /predict 200")
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	assert.Empty(t, tr.deliveries())
	metadatatest.AssertEqualExporterRetrainRecordsIgnored(t, exp.tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: withID()}}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func TestMalformedJobIsCountedAndDoesNotBlockTheOthers(t *testing.T) {
	tr := newTrainer(t, nil)
	exp := startExporter(t, testConfig(tr.URL), nopHost())
	good := testJob("good")
	ld := jobLogs(testJob("bad"), good)
	bad := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	bad.Attributes().Remove(job.AttrModelID)
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	assert.Equal(t, []string{good.ID}, tr.ids())
	metadatatest.AssertEqualExporterRetrainJobsFailed(t, exp.tel, []metricdata.DataPoint[int64]{
		{Attributes: withID(attribute.String("reason", "undecodable")), Value: 1},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

func TestOnlyTheFailedJobsOfABatchAreRetried(t *testing.T) {
	flaky := testJob("flaky")
	failed := false
	tr := newTrainer(t, func(_ int, id string, w http.ResponseWriter) bool {
		if id == flaky.ID && !failed {
			failed = true
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		return false
	})
	exp := startExporter(t, testConfig(tr.URL), nopHost())
	steady := testJob("steady")
	require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(steady, flaky)))
	assert.Equal(t, []string{steady.ID, flaky.ID, flaky.ID}, tr.ids(), "the delivered job is not sent again")
}

func TestTemplateBody(t *testing.T) {
	tr := newTrainer(t, nil)
	cfg := testConfig(tr.URL)
	cfg.BodyTemplate = `{"run": {{ json .ID }}, "model": {{ json .ModelID }}, "why": {{ json (join .Reasons ",") }}}`
	exp := startExporter(t, cfg, nopHost())
	j := testJob(`quote"model`)
	require.NoError(t, exp.ConsumeLogs(context.Background(), jobLogs(j)))
	got := tr.deliveries()
	require.Len(t, got, 1)
	assert.JSONEq(t, `{"run": "`+j.ID+`", "model": "quote\"model", "why": "latency_sla"}`, string(got[0].body))
}

func TestBrokenTemplateFailsAtStart(t *testing.T) {
	tests := map[string]string{
		"unknown field":  `{"x": {{ json .NoSuchField }}}`,
		"invalid JSON":   `{"run": {{ .ID }}}`,
		"failing helper": `{{ json (index .Reasons 5) }}`,
	}
	for name, tmpl := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig("http://127.0.0.1:1")
			cfg.BodyTemplate = tmpl
			require.NoError(t, cfg.Validate(), "it parses")
			exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(metadata.Type), cfg)
			require.NoError(t, err)
			assert.ErrorContains(t, exp.Start(context.Background(), nopHost()), "body_template")
			require.NoError(t, exp.Shutdown(context.Background()))
		})
	}
}

func TestStatusClassesWithoutRetries(t *testing.T) {
	// The classification itself, one request each, for every class of answer.
	tests := []struct {
		code      int
		delivered bool
		permanent bool
	}{
		{200, true, false}, {201, true, false}, {202, true, false}, {204, true, false},
		{301, false, true}, {400, false, true}, {401, false, true}, {403, false, true}, {404, false, true},
		{409, false, true}, {422, false, true},
		{408, false, false}, {429, false, false}, {500, false, false}, {502, false, false}, {503, false, false}, {504, false, false},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.code), func(t *testing.T) {
			tr := newTrainer(t, func(_ int, _ string, w http.ResponseWriter) bool {
				w.WriteHeader(tt.code)
				return true
			})
			e := newStartedExporter(t, testConfig(tr.URL))
			err := e.post(context.Background(), testJob("m"), []byte(`{}`))
			if tt.delivered {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var perm *permanentError
			assert.Equal(t, tt.permanent, asPermanent(err, &perm), "permanent")
		})
	}
}

func asPermanent(err error, p **permanentError) bool {
	return errorsAs(err, p)
}

func TestUnreachableTrainerIsATransportError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	e := newStartedExporter(t, testConfig("http://"+addr))
	err = e.post(context.Background(), testJob("m"), []byte(`{}`))
	require.Error(t, err)
	var perm *permanentError
	assert.False(t, asPermanent(err, &perm))
}

func TestReadExcerpt(t *testing.T) {
	assert.Equal(t, "(empty body)", readExcerpt(strings.NewReader("")))
	assert.Equal(t, "bad request", readExcerpt(strings.NewReader("  bad\x00request\n")))
	assert.Len(t, readExcerpt(strings.NewReader(strings.Repeat("x", 5000))), bodyExcerptBytes)
}
