// Package webhook verifies Standard Webhooks signatures the way a trainer receiving RetrainJobs
// does. The demo trainer and the end-to-end tests use it; the exporter signs, this package checks.
package webhook // import "github.com/visutility/otelcol-retrain/internal/webhook"
