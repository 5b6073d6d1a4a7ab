// Package job is the RetrainJob schema shared by the retrain processor and the retrain exporter.
// The processor encodes a Job as an OpenTelemetry log record with Append; the exporter recognises
// records with IsJob, rebuilds them with Decode and renders the default webhook body with MarshalJSON.
package job
