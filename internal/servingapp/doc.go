// Package servingapp plays a model-serving application: it makes predictions at a steady rate and
// reports them with the OpenTelemetry Go SDK over OTLP, with the SDK's defaults, as an instrumented
// service would. The demo (cmd/retrain-demo) and the end-to-end tests drive the collector with it.
package servingapp // import "github.com/visutility/otelcol-retrain/internal/servingapp"
