package retrainprocessor

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/retrainprocessor/internal/observer"
)

var updateREADME = flag.Bool("update-readme", false, "rewrite the README's observer table from the registry")

const (
	readmePath     = "../README.md"
	observersBegin = "<!-- observers:begin: generated from retrainprocessor/internal/observer; go test ./retrainprocessor -run TestREADMEObserverTable -update-readme -->"
	observersEnd   = "<!-- observers:end -->"
)

// observerTable renders every registered observer's keys, defaults and docs as the README shows them.
func observerTable() string {
	var b strings.Builder
	b.WriteString("| key | default | meaning |\n|---|---|---|\n")
	for _, k := range observer.Kinds() {
		for _, d := range k.Docs() {
			b.WriteString("| `observers." + k.Name + "." + d.Key + "` | `" + d.Default + "` | " + d.Doc + " |\n")
		}
	}
	return b.String()
}

// TestREADMEObserverTable keeps the README's observer table what the registry says.
func TestREADMEObserverTable(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	require.NoError(t, err)
	readme := string(raw)
	begin, end := strings.Index(readme, observersBegin), strings.Index(readme, observersEnd)
	require.True(t, begin >= 0 && end > begin, "the README has the observer table's markers")
	want := readme[:begin+len(observersBegin)] + "\n" + observerTable() + readme[end:]
	if *updateREADME {
		require.NoError(t, os.WriteFile(readmePath, []byte(want), 0o644))
		return
	}
	require.Equal(t, want, readme, "the README's observer table is stale: go test ./retrainprocessor -run TestREADMEObserverTable -update-readme")
}
