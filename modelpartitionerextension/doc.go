// Package modelpartitionerextension implements the model_partitioner extension: a Kafka record
// partitioner for contrib's kafka exporter that sends every record of one model (and version) to
// one partition, whichever pod, host or collector produced it.
//
//go:generate go tool -modfile=../internal/tools/go.mod mdatagen metadata.yaml
package modelpartitionerextension // import "github.com/visutility/otelcol-retrain/modelpartitionerextension"
