// Package e2e holds black-box tests of the built collector: they start _build/otelcol-retrain as a
// subprocess, drive it with serving apps that use the OpenTelemetry Go SDK, and check what a real
// trainer webhook and OTLP backend receive. The tests carry the build tag e2e, so `go test ./...`
// does not need the binary; `make e2e` builds it and runs them.
package e2e
