package retrainexporter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/retrainexporter/internal/metadatatest"
)

// BenchmarkDeliver is jobs per second delivered, signed, by the exporter built with the real
// factory (queue disabled, so ConsumeLogs returns once its jobs are delivered) to a local trainer
// that reads each body and answers 200. jobs is the number of RetrainJob records per ConsumeLogs.
func BenchmarkDeliver(b *testing.B) {
	for _, jobs := range []int{1, 100} {
		b.Run(fmt.Sprintf("jobs=%d", jobs), func(b *testing.B) {
			var received, signed atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				received.Add(1)
				if r.Header.Get(headerWebhookSignature) != "" {
					signed.Add(1)
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()

			cfg := testConfig(srv.URL)
			cfg.SigningSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
			cfg.RetryConfig.Enabled = false
			require.NoError(b, cfg.Validate())
			tel := componenttest.NewTelemetry()
			exp, err := NewFactory().CreateLogs(context.Background(), metadatatest.NewSettings(tel), cfg)
			require.NoError(b, err)
			require.NoError(b, exp.Start(context.Background(), nopHost()))
			defer func() {
				require.NoError(b, exp.Shutdown(context.Background()))
				require.NoError(b, tel.Shutdown(context.Background()))
			}()

			batch := make([]job.Job, jobs)
			for i := range batch {
				batch[i] = testJob(fmt.Sprintf("model-%04d", i))
			}
			ld := jobLogs(batch...)
			ctx := context.Background()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := exp.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n*jobs)/b.Elapsed().Seconds(), "jobs/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*jobs), "ns/job")
			require.EqualValues(b, n*jobs, received.Load(), "every job is one request")
			require.EqualValues(b, n*jobs, signed.Load(), "every request is signed")
		})
	}
}
