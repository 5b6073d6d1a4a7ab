package modelpartitionerextension

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/visutility/otelcol-retrain/modelpartitionerextension/internal/metadata"
)

func TestConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	for _, tc := range []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: &Config{ModelAttribute: "ml.model.id", VersionAttribute: "ml.model.version"}},
		{id: component.NewIDWithName(metadata.Type, "custom"), want: &Config{ModelAttribute: "model.name", VersionAttribute: ""}},
		{id: component.NewIDWithName(metadata.Type, "no_model"), wantErr: "model_attribute must not be empty"},
		{id: component.NewIDWithName(metadata.Type, "same"), wantErr: `version_attribute must differ from model_attribute (both "model")`},
	} {
		t.Run(tc.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tc.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = cfg.(*Config).Validate()
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg)
		})
	}
}

// The keys and defaults are the retrain processor's.
func TestDefaultsMatchTheRetrainProcessor(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, "ml.model.id", cfg.ModelAttribute)
	assert.Equal(t, "ml.model.version", cfg.VersionAttribute)
	require.NoError(t, cfg.Validate())
}
