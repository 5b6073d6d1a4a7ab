//go:build tools

package main

import (
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/exporter/kafkaexporter"
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	_ "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkareceiver"
	_ "github.com/twmb/franz-go/pkg/kadm"
	_ "github.com/twmb/franz-go/pkg/kfake"
	_ "github.com/twmb/franz-go/pkg/kgo"
	_ "github.com/twmb/franz-go/pkg/kmsg"
)
