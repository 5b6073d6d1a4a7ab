package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// timeline prints the demo's events, each stamped with the time since the demo started.
type timeline struct {
	start time.Time
	mu    sync.Mutex
	w     io.Writer
}

func newTimeline(w io.Writer) *timeline { return &timeline{start: time.Now(), w: w} }

// event prints one event: who (collector, trainer, apps...) and what; extra lines are indented
// under the first.
func (t *timeline) event(who, format string, args ...any) {
	lines := strings.Split(fmt.Sprintf(format, args...), "\n")
	t.mu.Lock()
	defer t.mu.Unlock()
	// The timeline is the terminal: there is nowhere better to report a failed write.
	_, _ = fmt.Fprintf(t.w, "%7s  %-9s  %s\n", t.since(), who, lines[0])
	for _, l := range lines[1:] {
		_, _ = fmt.Fprintf(t.w, "%7s  %-9s  %s\n", "", "", l)
	}
}

// say prints a line without a timestamp: the banner and the verdict.
func (t *timeline) say(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, _ = fmt.Fprintf(t.w, format+"\n", args...)
}

func (t *timeline) since() string {
	return fmt.Sprintf("+%.1fs", time.Since(t.start).Seconds())
}
