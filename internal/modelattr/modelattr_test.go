package modelattr

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		model, version, want string
	}{
		{DefaultModel, DefaultVersion, ""},
		{DefaultModel, "", ""},
		{"", DefaultVersion, "model_attribute must not be empty"},
		{"model", "model", `version_attribute must differ from model_attribute (both "model")`},
		{"", "", "model_attribute must not be empty"},
	}
	for _, tt := range tests {
		err := Validate(tt.model, tt.version)
		if tt.want == "" {
			assert.NoError(t, err, "%q %q", tt.model, tt.version)
			continue
		}
		assert.EqualError(t, err, tt.want, "%q %q", tt.model, tt.version)
	}
}
