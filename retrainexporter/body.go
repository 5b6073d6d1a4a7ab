package retrainexporter // import "github.com/visutility/otelcol-retrain/retrainexporter"

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/visutility/otelcol-retrain/internal/job"
)

// templateFuncs are available to body_template besides text/template's own.
var templateFuncs = template.FuncMap{
	// json renders any value as JSON: a string comes out quoted and escaped, a job as the default body.
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		return string(b), nil
	},
	// rfc3339 formats a time in UTC.
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"join":    strings.Join,
	"lower":   strings.ToLower,
}

// renderer turns a job into the request body.
type renderer struct {
	tmpl *template.Template // nil: the default JSON body
}

func (r renderer) render(j job.Job) ([]byte, error) {
	if r.tmpl == nil {
		return j.MarshalJSON()
	}
	var buf bytes.Buffer
	if err := r.tmpl.Execute(&buf, j); err != nil {
		return nil, fmt.Errorf("render body_template for job %q: %w", j.ID, err)
	}
	return buf.Bytes(), nil
}

// sampleJob is what body_template is test-rendered against at Start, so a template that fails on
// real jobs fails the collector at start instead of at the first job.
func sampleJob() job.Job {
	at := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	return job.Job{
		ID:           job.NewID("fraud-detector", "3", at),
		ModelID:      "fraud-detector",
		ModelVersion: "3",
		Reasons:      []string{"latency_sla"},
		Strategy:     "any",
		RequestedAt:  at,
		WindowStart:  at.Add(-5 * time.Minute),
		WindowEnd:    at,
		Evidence: []job.Evidence{
			{Observer: "latency_sla", Statistic: "p99", Value: 153.2, Threshold: 100, Unit: "ms", Samples: 5000, Flagged: true},
			{Observer: "accuracy_drift", Statistic: "mean", Value: 0.91, Threshold: 0.8, Unit: "1", Samples: 5, Flagged: false},
		},
		Resource: map[string]any{"service.name": "fraud-api", "ml.model.id": "fraud-detector", "ml.model.version": "3"},
	}
}

// check renders the sample job and, when the body is sent as JSON, checks that it is JSON.
func (r renderer) check(contentType string) error {
	body, err := r.render(sampleJob())
	if err != nil {
		return err
	}
	if isJSON(contentType) && !json.Valid(body) {
		return fmt.Errorf("body_template renders invalid JSON for a sample job (set a Content-Type header if the trainer expects another format): %.200s", body)
	}
	return nil
}

func isJSON(contentType string) bool {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}
