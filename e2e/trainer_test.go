//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/internal/webhook"
)

// attempt is one request the trainer received.
type attempt struct {
	webhookID      string
	idempotencyKey string
	status         int   // what the trainer answered
	verifyErr      error // nil when the signature verified
	job            job.Job
	decodeErr      error
}

// trainer is a real HTTP server playing a training system's webhook. It verifies every request's
// signature and answers 503 while down, or the status failWith set.
type trainer struct {
	*httptest.Server
	secret   string
	verifier *webhook.Verifier

	mu       sync.Mutex
	failing  int // the status every request gets; 0 serves normally
	attempts []attempt
}

// newSecret returns a random Standard Webhooks secret.
func newSecret(t *testing.T) string {
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	return "whsec_" + base64.StdEncoding.EncodeToString(key)
}

// newTrainer starts a trainer; with a listener it serves on that one (a fixed address).
func newTrainer(t *testing.T, secret string, ln ...net.Listener) *trainer {
	t.Helper()
	v, err := webhook.NewVerifier(secret, 0)
	require.NoError(t, err)
	tr := &trainer{secret: secret, verifier: v}
	tr.Server = httptest.NewUnstartedServer(http.HandlerFunc(tr.serve))
	if len(ln) > 0 {
		_ = tr.Listener.Close() // never used: the caller's listener replaces it
		tr.Listener = ln[0]
	}
	tr.Start()
	t.Cleanup(tr.Close)
	return tr
}

func (tr *trainer) hookURL() string { return tr.URL + "/hooks/retrain" }

func (tr *trainer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	a := attempt{
		webhookID:      r.Header.Get(webhook.HeaderID),
		idempotencyKey: r.Header.Get("Idempotency-Key"),
		verifyErr:      tr.verifier.Verify(r.Header, body, time.Now()),
	}
	a.decodeErr = a.job.UnmarshalJSON(body)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	switch {
	case r.URL.Path != "/hooks/retrain" || r.Method != http.MethodPost:
		a.status = http.StatusNotFound
	case tr.failing != 0:
		a.status = tr.failing
	case a.verifyErr != nil:
		a.status = http.StatusUnauthorized
	case a.decodeErr != nil:
		a.status = http.StatusBadRequest
	default:
		a.status = http.StatusAccepted
	}
	tr.attempts = append(tr.attempts, a)
	w.WriteHeader(a.status)
}

func (tr *trainer) setDown(down bool) {
	status := 0
	if down {
		status = http.StatusServiceUnavailable
	}
	tr.failWith(status)
}

// failWith makes the trainer answer every request with status; 0 serves normally again.
func (tr *trainer) failWith(status int) {
	tr.mu.Lock()
	tr.failing = status
	tr.mu.Unlock()
}

func (tr *trainer) all() []attempt {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]attempt(nil), tr.attempts...)
}

// delivered returns the accepted jobs, by model; a model accepted twice fails the test.
func (tr *trainer) delivered(t *testing.T) map[string]job.Job {
	t.Helper()
	out := map[string]job.Job{}
	for _, a := range tr.all() {
		if a.status/100 != 2 {
			continue
		}
		if prev, dup := out[a.job.ModelID]; dup {
			t.Fatalf("two jobs delivered for %s: %s and %s", a.job.ModelID, prev.ID, a.job.ID)
		}
		out[a.job.ModelID] = a.job
	}
	return out
}

// deliveredModels lists the models with an accepted job, for polling.
func (tr *trainer) deliveredModels() []string {
	var out []string
	for _, a := range tr.all() {
		if a.status/100 == 2 {
			out = append(out, a.job.ModelID)
		}
	}
	sort.Strings(out)
	return out
}

// hasDelivered reports whether a job for every model was accepted.
func (tr *trainer) hasDelivered(models ...string) bool {
	got := map[string]bool{}
	for _, m := range tr.deliveredModels() {
		got[m] = true
	}
	for _, m := range models {
		if !got[m] {
			return false
		}
	}
	return true
}

// summary describes every attempt, for failure messages.
func (tr *trainer) summary() string {
	var b strings.Builder
	attempts := tr.all()
	fmt.Fprintf(&b, "trainer received %d request(s):", len(attempts))
	for _, a := range attempts {
		fmt.Fprintf(&b, "\n  %d webhook-id=%s model=%s reasons=%v verify=%v decode=%v",
			a.status, a.webhookID, a.job.ModelID, a.job.Reasons, a.verifyErr, a.decodeErr)
	}
	return b.String()
}

// requireWellFormed checks what every trainer should: each request verified, decoded, and named
// its job in webhook-id and Idempotency-Key.
func (tr *trainer) requireWellFormed(t *testing.T) {
	t.Helper()
	for i, a := range tr.all() {
		require.NoError(t, a.verifyErr, "request %d: signature", i)
		require.NoError(t, a.decodeErr, "request %d: body", i)
		require.Equal(t, a.job.ID, a.webhookID, "request %d: webhook-id is the job id", i)
		require.Equal(t, a.job.ID, a.idempotencyKey, "request %d: Idempotency-Key is the job id", i)
	}
}
