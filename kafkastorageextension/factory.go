package kafkastorageextension // import "github.com/visutility/otelcol-retrain/kafkastorageextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/visutility/otelcol-retrain/kafkastorageextension/internal/metadata"
)

// NewFactory returns the factory of the kafka_storage extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		metadata.Type,
		func() component.Config { return createDefaultConfig() },
		createExtension,
		metadata.ExtensionStability,
	)
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newKafkaStorage(cfg.(*Config), set.Logger), nil
}
