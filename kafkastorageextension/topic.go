package kafkastorageextension // import "github.com/visutility/otelcol-retrain/kafkastorageextension"

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"go.uber.org/zap"
)

// ensureTopic creates the topic, compacted, when it does not exist, and warns when an existing
// one is not compacted (its old state would then be deleted by retention).
func ensureTopic(ctx context.Context, adm *kadm.Client, cfg *Config, logger *zap.Logger) error {
	topics, err := adm.ListTopics(ctx, cfg.Topic)
	if err != nil {
		return fmt.Errorf("list topic: %w", err)
	}
	td, ok := topics[cfg.Topic]
	switch {
	case ok && td.Err == nil:
		checkCompacted(ctx, adm, cfg.Topic, logger)
		return nil
	case ok && !errors.Is(td.Err, kerr.UnknownTopicOrPartition):
		return fmt.Errorf("describe topic: %w", td.Err)
	}

	compact := "compact"
	resp, err := adm.CreateTopic(ctx, int32(cfg.CreateTopic.Partitions), int16(cfg.CreateTopic.ReplicationFactor),
		map[string]*string{"cleanup.policy": &compact}, cfg.Topic)
	switch {
	case errors.Is(err, kerr.TopicAlreadyExists):
		// Another collector created it in the meantime.
		checkCompacted(ctx, adm, cfg.Topic, logger)
		return nil
	case err != nil:
		msg := ""
		if resp.ErrMessage != "" {
			msg = " (" + resp.ErrMessage + ")"
		}
		return fmt.Errorf("create the topic with cleanup.policy=compact, %d partition(s), replication factor %d: %w%s; create it yourself or grant CREATE",
			cfg.CreateTopic.Partitions, cfg.CreateTopic.ReplicationFactor, err, msg)
	}
	logger.Info("Created the state topic", zap.String("topic", cfg.Topic),
		zap.Int32("partitions", resp.NumPartitions), zap.Int16("replication_factor", resp.ReplicationFactor))
	return nil
}

// checkCompacted warns when the topic's cleanup.policy does not include compact. Not being able
// to tell is logged at debug: describing configs needs an ACL that reading and writing do not.
func checkCompacted(ctx context.Context, adm *kadm.Client, topic string, logger *zap.Logger) {
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err == nil {
		var rc kadm.ResourceConfig
		rc, err = rcs.On(topic, nil)
		if err == nil && rc.Err != nil {
			err = rc.Err
		}
		if err == nil {
			policy := "delete" // Kafka's default
			for _, c := range rc.Configs {
				if c.Key == "cleanup.policy" && c.Value != nil {
					policy = *c.Value
				}
			}
			if !isCompacted(policy) {
				logger.Warn("The state topic is not compacted: retention will delete state that is not rewritten, "+
					"and a restart reads the whole topic; set cleanup.policy=compact",
					zap.String("topic", topic), zap.String("cleanup.policy", policy))
			}
			return
		}
	}
	logger.Debug("Could not read the state topic's cleanup.policy", zap.String("topic", topic), zap.Error(err))
}

func isCompacted(policy string) bool {
	for p := range strings.SplitSeq(policy, ",") {
		if strings.TrimSpace(p) == "compact" {
			return true
		}
	}
	return false
}
