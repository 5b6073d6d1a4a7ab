package kafkastorageextension // import "github.com/visutility/otelcol-retrain/kafkastorageextension"

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
)

const (
	defaultTopic        = "otelcol-retrain-state"
	defaultStartTimeout = 30 * time.Second
)

// Config is the kafka_storage extension's configuration.
type Config struct {
	// The contrib Kafka client settings: brokers, client_id, tls, auth, metadata, ... The ones this
	// extension cannot honour are refused by Validate (see unsupported).
	configkafka.ClientConfig `mapstructure:",squash"`

	// Topic holds the state; it is created, compacted, when missing.
	Topic string `mapstructure:"topic"`

	// CreateTopic is how the topic is created when it does not exist.
	CreateTopic CreateTopicConfig `mapstructure:"create_topic"`

	// StartTimeout bounds Start: connecting, ensuring the topic and reading it to its end.
	StartTimeout time.Duration `mapstructure:"start_timeout"`

	// prevent unkeyed literals
	_ struct{}
}

// CreateTopicConfig is how a missing topic is created; an existing topic is used as it is.
type CreateTopicConfig struct {
	// Partitions of the new topic (default 1). Do not add partitions later: a key's records must
	// stay on one partition for their offsets to order them.
	Partitions int `mapstructure:"partitions"`
	// ReplicationFactor of the new topic; -1 (the default) takes the broker's
	// default.replication.factor.
	ReplicationFactor int `mapstructure:"replication_factor"`
}

func createDefaultConfig() *Config {
	return &Config{
		ClientConfig: configkafka.NewDefaultClientConfig(),
		Topic:        defaultTopic,
		CreateTopic: CreateTopicConfig{
			Partitions:        1,
			ReplicationFactor: -1,
		},
		StartTimeout: defaultStartTimeout,
	}
}

// Validate checks this extension's own keys and refuses the client settings it does not
// implement. configkafka.ClientConfig's own Validate is called by the collector on the embedded
// struct, so it is not repeated here.
func (c *Config) Validate() error {
	var errs []error
	if err := validateTopic(c.Topic); err != nil {
		errs = append(errs, err)
	}
	if c.StartTimeout <= 0 {
		errs = append(errs, fmt.Errorf("start_timeout: must be positive, got %s", c.StartTimeout))
	}
	if p := c.CreateTopic.Partitions; p < 1 || p > math.MaxInt32 {
		errs = append(errs, fmt.Errorf("create_topic::partitions: must be at least 1, got %d", p))
	}
	if r := c.CreateTopic.ReplicationFactor; r != -1 && (r < 1 || r > math.MaxInt16) {
		errs = append(errs, fmt.Errorf("create_topic::replication_factor: must be -1 (the broker's default) or at least 1, got %d", r))
	}
	errs = append(errs, unsupported(&c.ClientConfig)...)
	return errors.Join(errs...)
}

// validateTopic applies Kafka's rules for topic names.
func validateTopic(topic string) error {
	switch {
	case topic == "":
		return errors.New("topic: must not be empty")
	case topic == "." || topic == "..":
		return fmt.Errorf("topic: %q is not a valid Kafka topic name", topic)
	case len(topic) > 249:
		return fmt.Errorf("topic: %q is longer than Kafka's 249 characters", topic)
	}
	for _, r := range topic {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '.' && r != '_' && r != '-' {
			return fmt.Errorf("topic: %q has %q; Kafka topic names hold only ASCII letters, digits, '.', '_' and '-'", topic, r)
		}
	}
	return nil
}

// supportedMechanisms are the SASL mechanisms kgoOptions builds, from franz-go's own sasl packages.
var supportedMechanisms = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}

// unsupported names the client settings that are set but that this extension does not implement:
// they fail validation rather than being ignored.
func unsupported(c *configkafka.ClientConfig) []error {
	var errs []error
	if sasl := c.Authentication.SASL; sasl != nil {
		ok := false
		for _, m := range supportedMechanisms {
			ok = ok || sasl.Mechanism == m
		}
		if !ok {
			errs = append(errs, fmt.Errorf("auth::sasl::mechanism: %q is not supported by kafka_storage (supported: %v)", sasl.Mechanism, supportedMechanisms))
		}
	}
	if c.Authentication.Kerberos != nil {
		errs = append(errs, errors.New("auth::kerberos: is not supported by kafka_storage; use auth::sasl with PLAIN or SCRAM"))
	}
	if !c.UseLeaderEpoch {
		errs = append(errs, errors.New("use_leader_epoch: false is not supported by kafka_storage"))
	}
	return errs
}
