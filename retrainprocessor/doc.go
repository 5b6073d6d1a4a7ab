// Package retrainprocessor watches ML model serving metrics in per-model sliding windows and, when
// observers and a strategy decide a model has degraded, injects RetrainJob log records into the logs
// pipeline. Metrics pass through unchanged.
package retrainprocessor // import "github.com/visutility/otelcol-retrain/retrainprocessor"

//go:generate go tool -modfile=../internal/tools/go.mod mdatagen metadata.yaml
