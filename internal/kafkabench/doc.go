// Package kafkabench holds the tier-2 benchmark of the issue: the points per second one collector
// sustains from Kafka (contrib's kafka receiver, a group consumer of OTLP protobuf records on the
// otlp_metrics topic) with the retrain processor, against the same receiver without it. Everything
// is in its test files; the Kafka cluster is kfake, in-process, on 127.0.0.1.
package kafkabench
