package retrainexporter

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// renderShipped renders one of the templates under testdata/templates against the sample job.
func renderShipped(t *testing.T, name string) map[string]any {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "testdata", "templates", name))
	require.NoError(t, err)
	tmpl, err := parseTemplate(string(text))
	require.NoError(t, err)
	r := renderer{tmpl: tmpl}
	require.NoError(t, r.check("application/json"))
	body, err := r.render(sampleJob())
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(body, &out), "%s", body)
	return out
}

func TestAirflowTemplate(t *testing.T) {
	body := renderShipped(t, "airflow.json.tmpl")
	j := sampleJob()
	assert.Equal(t, j.ID, body["dag_run_id"], "the job id is the dag run id, so a retry cannot start a second run")
	conf, ok := body["conf"].(map[string]any)
	require.True(t, ok, "conf must be an object")
	assert.Equal(t, j.ModelID, conf["model_id"])
	assert.IsType(t, "", body["note"])
}

func TestGitHubRepositoryDispatchTemplate(t *testing.T) {
	body := renderShipped(t, "github.json.tmpl")
	assert.NotEmpty(t, body["event_type"])
	payload, ok := body["client_payload"].(map[string]any)
	require.True(t, ok)
	assert.LessOrEqual(t, len(payload), 10, "GitHub allows at most 10 top-level client_payload keys")
	assert.Equal(t, sampleJob().ID, payload["job_id"])
}

func TestKubeflowRunTemplate(t *testing.T) {
	body := renderShipped(t, "kubeflow.json.tmpl")
	assert.NotEmpty(t, body["display_name"])
	ref, ok := body["pipeline_version_reference"].(map[string]any)
	require.True(t, ok)
	assert.NotEmpty(t, ref["pipeline_id"])
	params := body["runtime_config"].(map[string]any)["parameters"].(map[string]any)
	assert.Equal(t, sampleJob().ID, params["job_id"])
	assert.Equal(t, sampleJob().ModelID, params["model_id"])
}

func TestArgoEventsTemplate(t *testing.T) {
	body := renderShipped(t, "argo-events.json.tmpl")
	name, _ := body["workflow_name"].(string)
	assert.Regexp(t, regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`), name, "a valid Kubernetes resource name")
	assert.Equal(t, sampleJob().ModelID, body["model_id"])
}
