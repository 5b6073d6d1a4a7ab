package kafkastorageextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/kafka/configkafka"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/visutility/otelcol-retrain/kafkastorageextension/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

	full := createDefaultConfig()
	full.Brokers = []string{"kafka-1:9092", "kafka-2:9092"}
	full.ClientID = "tier2"
	full.Topic = "retrain-state"
	full.StartTimeout = 5 * time.Second
	full.CreateTopic = CreateTopicConfig{Partitions: 3, ReplicationFactor: 2}
	full.Authentication.SASL = &configkafka.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "collector", Password: "secret"}

	tests := []struct {
		name    string
		want    *Config // when valid
		wantErr string  // when not
	}{
		{name: "", want: createDefaultConfig()},
		{name: "full", want: full},
		{name: "empty_topic", wantErr: "topic: must not be empty"},
		{name: "bad_topic", wantErr: `topic: "state/topic" has '/'`},
		{name: "zero_timeout", wantErr: "start_timeout: must be positive, got 0s"},
		{name: "negative_timeout", wantErr: "start_timeout: must be positive, got -1s"},
		{name: "bad_partitions", wantErr: "create_topic::partitions: must be at least 1, got 0"},
		{name: "bad_replication", wantErr: "create_topic::replication_factor: must be -1 (the broker's default) or at least 1, got 0"},
		{name: "oauthbearer", wantErr: `auth::sasl::mechanism: "OAUTHBEARER" is not supported by kafka_storage`},
		{name: "aws_msk", wantErr: `auth::sasl::mechanism: "AWS_MSK_IAM_OAUTHBEARER" is not supported by kafka_storage`},
		{name: "kerberos", wantErr: "auth::kerberos: is not supported by kafka_storage"},
		{name: "no_leader_epoch", wantErr: "use_leader_epoch: false is not supported by kafka_storage"},
		{name: "no_brokers", wantErr: "brokers must be specified"},
	}
	for _, tt := range tests {
		t.Run("kafka_storage/"+tt.name, func(t *testing.T) {
			sub, err := cm.Sub(component.NewIDWithName(metadata.Type, tt.name).String())
			require.NoError(t, err)
			cfg := NewFactory().CreateDefaultConfig()
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig()
	assert.Equal(t, "otelcol-retrain-state", cfg.Topic)
	assert.Equal(t, 30*time.Second, cfg.StartTimeout)
	assert.Equal(t, CreateTopicConfig{Partitions: 1, ReplicationFactor: -1}, cfg.CreateTopic)
	assert.Equal(t, []string{"localhost:9092"}, cfg.Brokers)
	assert.NoError(t, confmap.Validate(cfg))
}
