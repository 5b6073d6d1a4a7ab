package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/visutility/otelcol-retrain/internal/job"
	"github.com/visutility/otelcol-retrain/internal/webhook"
)

// trainer is the demo's training system: a webhook that verifies each request's signature and
// hands the RetrainJob it carries to the demo, which prints it.
type trainer struct {
	url      string
	verifier *webhook.Verifier
	tl       *timeline
	server   *http.Server
	jobs     chan job.Job

	mu       sync.Mutex
	seen     map[string]bool
	rejected int
}

const trainerPath = "/hooks/retrain"

func startTrainer(secret string, tl *timeline) (*trainer, error) {
	v, err := webhook.NewVerifier(secret, 0)
	if err != nil {
		return nil, fmt.Errorf("trainer: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("trainer: listen: %w", err)
	}
	tr := &trainer{
		url:      "http://" + ln.Addr().String() + trainerPath,
		verifier: v,
		tl:       tl,
		jobs:     make(chan job.Job, 16),
		seen:     map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+trainerPath, tr.receive)
	tr.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = tr.server.Serve(ln) }()
	return tr, nil
}

func (tr *trainer) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	if err := tr.verifier.Verify(r.Header, body, time.Now()); err != nil {
		tr.mu.Lock()
		tr.rejected++
		tr.mu.Unlock()
		tr.tl.event("trainer", "✘ REJECTED a request with a bad signature (webhook-id %q): %v",
			r.Header.Get(webhook.HeaderID), err)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var j job.Job
	if err := j.UnmarshalJSON(body); err != nil {
		tr.tl.event("trainer", "✘ REJECTED a signed request that is not a RetrainJob: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	tr.mu.Lock()
	dup := tr.seen[j.ID]
	tr.seen[j.ID] = true
	tr.mu.Unlock()
	if dup {
		// A retry of a job already accepted: acknowledge it again, start nothing.
		tr.tl.event("trainer", "job %s again (a retry); already accepted", j.ID)
		w.WriteHeader(http.StatusAccepted)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	select {
	case tr.jobs <- j: // the demo prints it, after the collector's decision
	default: // the demo stopped reading
	}
}

// rejections returns how many requests failed verification.
func (tr *trainer) rejections() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.rejected
}

func (tr *trainer) close(ctx context.Context) error {
	if err := tr.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// describeJob renders a job for people: model, reasons, window and evidence with units.
func describeJob(j job.Job) string {
	var b strings.Builder
	fmt.Fprintf(&b, "received retrain job %s ✔ signature verified\n", j.ID)
	model := j.ModelID
	if j.ModelVersion != "" {
		model += " v" + j.ModelVersion
	}
	if svc, ok := j.Resource["service.name"]; ok {
		model += fmt.Sprintf("  (service.name=%v)", svc)
	}
	fmt.Fprintf(&b, "  model     %s\n", model)
	fmt.Fprintf(&b, "  reasons   %s (vote %s)\n", strings.Join(j.Reasons, ", "), j.Strategy)
	fmt.Fprintf(&b, "  window    %s → %s UTC (%s)\n",
		j.WindowStart.Format(time.TimeOnly), j.WindowEnd.Format(time.TimeOnly), j.WindowEnd.Sub(j.WindowStart))
	evidence := append([]job.Evidence(nil), j.Evidence...)
	sort.SliceStable(evidence, func(a, b int) bool { return evidence[a].Flagged && !evidence[b].Flagged })
	for i, e := range evidence {
		label := "           "
		if i == 0 {
			label = "  evidence "
		}
		verdict := "ok"
		if e.Flagged {
			verdict = "FLAGGED"
		}
		fmt.Fprintf(&b, "%s %-18s %-9s %-10s threshold %-8s %5d samples  %s",
			label, e.Observer, e.Statistic, withUnit(e.Value, e.Unit), withUnit(e.Threshold, e.Unit), e.Samples, verdict)
		if e.Bounded {
			fmt.Fprintf(&b, "  (bucket edges: %s to %s)", withUnit(e.Lower, e.Unit), withUnit(e.Upper, e.Unit))
		}
		if i < len(evidence)-1 {
			b.WriteByte('\n')
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// withUnit formats an evidence number in its unit: ms, a fraction ("1") or a rate ("/s").
func withUnit(v float64, unit string) string {
	switch unit {
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	case "1":
		return fmt.Sprintf("%.3f", v)
	case "/s":
		return fmt.Sprintf("%.1f/s", v)
	}
	return fmt.Sprintf("%g %s", v, unit)
}
