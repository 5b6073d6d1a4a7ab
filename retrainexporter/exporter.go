package retrainexporter // import "github.com/visutility/otelcol-retrain/retrainexporter"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadata"
)

// Reasons a job is given up on; values of the `reason` attribute of jobs_failed.
const (
	reasonRejected     = "rejected"     // a 4xx other than 408 and 429
	reasonRedirected   = "redirected"   // a 3xx: redirects are not followed silently
	reasonUndecodable  = "undecodable"  // the record is not a valid RetrainJob
	reasonUnrenderable = "unrenderable" // body_template failed on this job
)

// failedReasons are the values of the `reason` attribute of jobs_failed.
var failedReasons = []string{reasonRejected, reasonRedirected, reasonUndecodable, reasonUnrenderable}

// bodyExcerptBytes bounds how much of a trainer's error answer is logged.
const bodyExcerptBytes = 256

type retrainExporter struct {
	cfg       *Config
	logger    *zap.Logger
	settings  component.TelemetrySettings
	telemetry *metadata.TelemetryBuilder
	attrs     *telemetryAttrs // of the telemetry, with the component ID
	userAgent string
	now       func() time.Time

	client    *http.Client
	signer    signer
	renderer  renderer
	delivered map[int]bool
}

func newExporter(cfg *Config, set exporter.Settings) (*retrainExporter, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("create telemetry: %w", err)
	}
	keys, err := cfg.keys()
	if err != nil {
		return nil, err
	}
	tmpl, err := parseTemplate(cfg.BodyTemplate)
	if err != nil {
		return nil, err
	}
	delivered := make(map[int]bool, len(cfg.DeliveredStatusCodes))
	for _, c := range cfg.DeliveredStatusCodes {
		delivered[c] = true
	}
	return &retrainExporter{
		cfg:       cfg,
		logger:    set.Logger,
		settings:  set.TelemetrySettings,
		telemetry: tb,
		attrs:     newTelemetryAttrs(set.ID),
		userAgent: fmt.Sprintf("otelcol-retrain-exporter/%s (%s)", set.BuildInfo.Version, set.BuildInfo.Command),
		now:       time.Now,
		signer:    signer{keys: keys},
		renderer:  renderer{tmpl: tmpl},
		delivered: delivered,
	}, nil
}

// start builds the HTTP client where the host's extensions (auth) exist, and test-renders
// body_template so a template that cannot render a job fails the collector now.
func (e *retrainExporter) start(ctx context.Context, host component.Host) error {
	if err := e.renderer.check(e.contentType()); err != nil {
		return err
	}
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.settings)
	if err != nil {
		return fmt.Errorf("build HTTP client: %w", err)
	}
	// A redirect would resend a signed job to an address nobody configured: report it instead.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	e.client = client
	if len(e.signer.keys) == 0 {
		e.logger.Warn("No signing_secret is set: trainers cannot verify that retrain requests come from this collector")
	}
	return nil
}

func (e *retrainExporter) shutdown(context.Context) error {
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	e.telemetry.Shutdown()
	return nil
}

// contentType is the configured Content-Type header, or JSON.
func (e *retrainExporter) contentType() string {
	for name, v := range e.cfg.ClientConfig.Headers.Iter {
		if strings.EqualFold(name, "Content-Type") {
			return string(v)
		}
	}
	return "application/json"
}

// pushLogs delivers every RetrainJob in ld, one request each. Jobs that failed in a retryable way
// are returned to exporterhelper as the only data to retry, so a delivered job is not sent again
// because another job of its batch failed.
func (e *retrainExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	var retry plog.Logs
	var errs []error
	var ignored int64
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		sls := rl.ScopeLogs()
		for k := 0; k < sls.Len(); k++ {
			sl := sls.At(k)
			lrs := sl.LogRecords()
			for n := 0; n < lrs.Len(); n++ {
				lr := lrs.At(n)
				if !job.IsJob(lr) {
					ignored++
					continue
				}
				err := e.deliverRecord(ctx, rl, lr)
				if err == nil || consumererror.IsPermanent(err) {
					continue
				}
				errs = append(errs, err)
				if retry == (plog.Logs{}) {
					retry = plog.NewLogs()
				}
				appendRecord(retry, rl, sl, lr)
			}
		}
	}
	if ignored > 0 {
		e.telemetry.ExporterRetrainRecordsIgnored.Add(ctx, ignored, e.attrs.id...)
	}
	if len(errs) == 0 {
		return nil
	}
	return consumererror.NewLogs(errors.Join(errs...), retry)
}

// deliverRecord decodes one record and delivers it; permanent failures are logged and counted here.
func (e *retrainExporter) deliverRecord(ctx context.Context, rl plog.ResourceLogs, lr plog.LogRecord) error {
	j, err := job.Decode(rl.Resource(), lr)
	if err != nil {
		e.giveUp(ctx, reasonUndecodable, recordJobID(lr), err)
		return consumererror.NewPermanent(err)
	}
	body, err := e.renderer.render(j)
	if err != nil {
		e.giveUp(ctx, reasonUnrenderable, j.ID, err)
		return consumererror.NewPermanent(err)
	}
	err = e.post(ctx, j, body)
	var perm *permanentError
	switch {
	case err == nil:
		e.telemetry.ExporterRetrainJobsDelivered.Add(ctx, 1, e.attrs.id...)
		e.telemetry.ExporterRetrainDeliveryLatency.Record(ctx, e.now().Sub(j.RequestedAt).Seconds(), e.attrs.idRecord...)
		e.logger.Debug("Delivered retrain job", zap.String("job_id", j.ID), zap.String("model", j.ModelID))
		return nil
	case errors.As(err, &perm):
		e.giveUp(ctx, perm.reason, j.ID, err)
		return consumererror.NewPermanent(err)
	default:
		cause := e.attrs.causeTransport
		if errors.As(err, new(*statusError)) {
			cause = e.attrs.causeStatus
		}
		e.telemetry.ExporterRetrainJobsRetried.Add(ctx, 1, cause...)
		return err
	}
}

// noJobID stands in the log for the id of a record that carries none.
const noJobID = "(none)"

// recordJobID is the id attribute of a record that does not decode, whatever else is wrong with it.
func recordJobID(lr plog.LogRecord) string {
	if v, ok := lr.Attributes().Get(job.AttrJobID); ok {
		return v.AsString()
	}
	return noJobID
}

func (e *retrainExporter) giveUp(ctx context.Context, reason, id string, err error) {
	if id == "" {
		id = noJobID
	}
	e.telemetry.ExporterRetrainJobsFailed.Add(ctx, 1, e.attrs.failedBy(reason)...)
	e.logger.Error("Giving up on retrain job",
		zap.String("job_id", id), zap.String("reason", reason), zap.Error(err))
}

// statusError is an answer from the trainer worth retrying (408, 429, 5xx).
type statusError struct {
	status  int
	excerpt string
}

func (s *statusError) Error() string {
	return fmt.Sprintf("trainer answered %d: %s", s.status, s.excerpt)
}

// permanentError is an answer retrying cannot change.
type permanentError struct {
	reason string
	msg    string
}

func (p *permanentError) Error() string { return p.msg }

// post sends one signed request for j.
func (e *retrainExporter) post(ctx context.Context, j job.Job, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.ClientConfig.Endpoint, bytes.NewReader(body))
	if err != nil {
		return &permanentError{reason: reasonRejected, msg: fmt.Sprintf("build request for job %q: %v", j.ID, err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", e.userAgent)
	req.Header.Set(headerWebhookID, j.ID)
	req.Header.Set(headerIdempotencyKey, j.ID)
	// Signed at each attempt: a verifier rejects old timestamps, and a retry may come much later.
	ts := e.now().Unix()
	req.Header.Set(headerWebhookTimestamp, strconv.FormatInt(ts, 10))
	if sig := e.signer.sign(j.ID, ts, body); sig != "" {
		req.Header.Set(headerWebhookSignature, sig)
	}

	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("post job %q to the trainer: %w", j.ID, err)
	}
	defer func() { _ = resp.Body.Close() }()
	excerpt := readExcerpt(resp.Body)

	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300, e.delivered[code]:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		err := fmt.Errorf("job %q: %w", j.ID, &statusError{status: code, excerpt: excerpt})
		if delay, ok := retryAfter(resp.Header.Get("Retry-After"), e.now()); ok {
			return exporterhelper.NewThrottleRetry(err, delay)
		}
		return err
	case code >= 300 && code < 400:
		return &permanentError{reason: reasonRedirected, msg: fmt.Sprintf(
			"job %q: trainer answered %d redirecting to %q; redirects are not followed, set endpoint to the final URL",
			j.ID, code, resp.Header.Get("Location"))}
	default:
		return &permanentError{reason: reasonRejected, msg: fmt.Sprintf(
			"job %q: trainer refused it with %d: %s", j.ID, code, excerpt)}
	}
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// readExcerpt reads the start of an answer for the log, printable and short, and drains the rest
// (bounded) so the connection can be reused.
func readExcerpt(r io.Reader) string {
	buf := make([]byte, bodyExcerptBytes)
	n, _ := io.ReadFull(r, buf)
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
	s := strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, string(buf[:n])))
	if s == "" {
		return "(empty body)"
	}
	return s
}

// appendRecord copies one record, with its resource and scope, into dst.
func appendRecord(dst plog.Logs, rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord) {
	drl := dst.ResourceLogs().AppendEmpty()
	rl.Resource().CopyTo(drl.Resource())
	drl.SetSchemaUrl(rl.SchemaUrl())
	dsl := drl.ScopeLogs().AppendEmpty()
	sl.Scope().CopyTo(dsl.Scope())
	dsl.SetSchemaUrl(sl.SchemaUrl())
	lr.CopyTo(dsl.LogRecords().AppendEmpty())
}
