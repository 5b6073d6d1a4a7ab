//go:generate mdatagen metadata.yaml

// Package kafkastorageextension is a placeholder.
package kafkastorageextension // import "github.com/visutility/otelcol-retrain/kafkastorageextension"
