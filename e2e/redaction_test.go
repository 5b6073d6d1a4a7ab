//go:build e2e

package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEndpointPasswordIsNeverPrinted runs the commands that print the exporter's endpoint on a
// config whose endpoint carries a password: they show it as url.URL.Redacted does.
func TestEndpointPasswordIsNeverPrinted(t *testing.T) {
	const password = "E2ePassw0rd"
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	tests := []struct {
		name        string
		endpoint    string
		args        []string
		wantOK      bool
		want        string
		hidesSecret bool
	}{
		{
			name:        "print-config redacted",
			endpoint:    "http://retrain:" + password + "@127.0.0.1:1/hooks/retrain",
			args:        []string{"print-config", "--mode", "redacted"},
			wantOK:      true,
			want:        "endpoint: http://retrain:xxxxx@127.0.0.1:1/hooks/retrain",
			hidesSecret: true,
		},
		{
			// confmap does not tell a component's Marshal the mode: the password stays hidden.
			name:     "print-config unredacted",
			endpoint: "http://retrain:" + password + "@127.0.0.1:1/hooks/retrain",
			args:     []string{"print-config", "--mode", "unredacted"},
			wantOK:   true,
			want:     "endpoint: http://retrain:xxxxx@127.0.0.1:1/hooks/retrain",
		},
		{
			name:     "validate names a bad scheme",
			endpoint: "ftp://retrain:" + password + "@127.0.0.1:1/hooks/retrain",
			args:     []string{"validate"},
			want:     `endpoint must be an http or https URL (got "ftp://retrain:xxxxx@127.0.0.1:1/hooks/retrain")`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, newConfig(t, tt.endpoint, secret).render(t))
			cmd := exec.Command(collectorBinary(t), append(tt.args, "--config", path)...)
			out, err := cmd.CombinedOutput()
			if tt.wantOK {
				require.NoError(t, err, "%s", out)
			} else {
				require.Error(t, err, "%s", out)
			}
			assert.Contains(t, string(out), tt.want)
			assert.NotContains(t, string(out), password)
			if tt.hidesSecret {
				assert.NotContains(t, string(out), strings.TrimPrefix(secret, "whsec_"), "opaque values are redacted")
			}
		})
	}
}
