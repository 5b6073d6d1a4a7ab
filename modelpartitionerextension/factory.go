package modelpartitionerextension // import "github.com/visutility/otelcol-retrain/modelpartitionerextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/visutility/otelcol-retrain/modelpartitionerextension/internal/metadata"
)

// NewFactory returns the factory of the model_partitioner extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		metadata.Type,
		createDefaultConfig,
		create,
		metadata.ExtensionStability,
	)
}

func create(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newExtension(cfg.(*Config), set)
}
