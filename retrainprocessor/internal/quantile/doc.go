// Package quantile estimates latency percentiles from histogram buckets and raw samples.
// Explicit follows Prometheus's histogram_quantile for classic buckets; Exponential and Sketch
// hold OpenTelemetry exponential buckets in bounded memory and answer nearest-rank quantiles
// within a relative error set by their scale.
package quantile
