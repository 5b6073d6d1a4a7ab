//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The README's placeholder for the checkout in its builder config.
const checkoutPlaceholder = "/path/to/otelcol-retrain"

// TestReadmeBuilderConfigBuildsACollector follows "Adding the components to your own collector"
// as a user would: the README's builder config, pointed at this checkout and run from a directory
// outside it, builds with the pinned ocb, and the binary validates the README's example config.
// It compiles a whole collector: about a minute with a warm Go build cache.
func TestReadmeBuilderConfigBuildsACollector(t *testing.T) {
	ocb := ocbBinary(t)
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	checkout, err := filepath.Abs("..")
	require.NoError(t, err)

	builderConfig := yamlBlockAfter(t, string(readme), "<!-- e2e/builder_test.go builds this block")
	require.Contains(t, builderConfig, checkoutPlaceholder, "the README's builder config names the checkout")
	dir := t.TempDir()
	rel, err := filepath.Rel(checkout, dir)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(rel, ".."), "the build runs outside the checkout (%s)", dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "builder-config.yaml"),
		[]byte(strings.ReplaceAll(builderConfig, checkoutPlaceholder, checkout)), 0o600))

	start := time.Now()
	build := exec.Command(ocb, "--config", "builder-config.yaml")
	build.Dir = dir
	out, err := build.CombinedOutput()
	require.NoError(t, err, "ocb failed:\n%s", out)
	t.Logf("ocb built the README's collector in %s", time.Since(start).Round(100*time.Millisecond))

	collectorConfig := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(collectorConfig,
		[]byte(yamlBlockAfter(t, string(readme), "## Collector configuration")), 0o600))
	validate := exec.Command(filepath.Join(dir, distBinary(t, builderConfig)), "validate", "--config", collectorConfig)
	validate.Env = append(os.Environ(), "RETRAIN_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	out, err = validate.CombinedOutput()
	require.NoError(t, err, "the README's example config does not validate with the README's collector:\n%s", out)
}

// ocbBinary is the pinned ocb `make build` installs; E2E_OCB overrides it.
func ocbBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv("E2E_OCB")
	if path == "" {
		path = filepath.Join("..", "bin", "builder")
	}
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	_, err = os.Stat(abs)
	require.NoError(t, err, "ocb is missing: run `make ocb` (or set E2E_OCB)")
	return abs
}

// yamlBlockAfter returns the first ```yaml block of a Markdown document after the line that
// starts with anchor.
func yamlBlockAfter(t *testing.T, doc, anchor string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+anchor)
	require.GreaterOrEqual(t, i, 0, "no line starts with %q", anchor)
	_, block, ok := strings.Cut(doc[i:], "\n```yaml\n")
	require.True(t, ok, "no yaml block after %q", anchor)
	block, _, ok = strings.Cut(block, "\n```\n")
	require.True(t, ok, "the yaml block after %q does not end", anchor)
	return block + "\n"
}

// distBinary is where ocb writes the collector of a builder config: output_path/name.
func distBinary(t *testing.T, builderConfig string) string {
	t.Helper()
	var name, output string
	inDist := false
	for _, line := range strings.Split(builderConfig, "\n") {
		if !strings.HasPrefix(line, " ") {
			inDist = strings.HasPrefix(line, "dist:")
			continue
		}
		if !inDist {
			continue
		}
		key, value, _ := strings.Cut(strings.TrimSpace(line), ":")
		value, _, _ = strings.Cut(value, "#")
		switch key {
		case "name":
			name = strings.TrimSpace(value)
		case "output_path":
			output = strings.TrimSpace(value)
		}
	}
	require.NotEmpty(t, name, "the builder config names no dist::name")
	require.NotEmpty(t, output, "the builder config names no dist::output_path")
	return filepath.Join(output, name)
}
