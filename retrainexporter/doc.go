// Package retrainexporter delivers RetrainJob log records to a trainer's webhook: one signed POST
// per job (Standard Webhooks), at least once, with exporterhelper's queue and retries so jobs
// survive trainer outages and, with a storage extension, collector restarts.
package retrainexporter // import "github.com/visutility/otelcol-retrain/retrainexporter"

//go:generate go tool -modfile=../internal/tools/go.mod mdatagen metadata.yaml
