package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// watch runs the story until the expected jobs arrived (0), something went wrong (1), or the user
// interrupted (130).
func (d *demo) watch(ctx context.Context, o options) int {
	tl := d.tl
	deadline := time.NewTimer(o.timeout)
	defer deadline.Stop()
	degrade := time.NewTimer(o.degradeAt)
	defer degrade.Stop()
	status := time.NewTicker(5 * time.Second)
	defer status.Stop()

	got := map[string]bool{} // model → its expected job arrived
	notedInterpolation, notedEstimate := false, false
	for {
		select {
		case <-ctx.Done():
			tl.say("interrupted: stopping the apps and the collector")
			return exitInterrupted
		case <-deadline.C:
			tl.say("✘ timed out after %s; still waiting for %s", o.timeout, strings.Join(d.missing(got), " and "))
			if n := d.trainer.rejections(); n > 0 {
				tl.say("  the trainer rejected %d request(s) whose signature did not verify", n)
			}
			d.printCollectorProblems()
			return exitFailed
		case <-d.collector.exited:
			tl.say("✘ the collector exited unexpectedly: %v", d.collector.err)
			d.printCollectorProblems()
			return exitFailed
		case <-degrade.C:
			for _, a := range d.apps {
				if a.degrade() {
					tl.event("app", "%s: %s", a.cfg.Model, a.turn)
				}
			}
		case <-status.C:
			tl.event("apps", "%s", statusLines(d.apps))
		case dec := <-d.collector.decisions:
			d.printDecision(dec)
		case j := <-d.trainer.jobs:
			d.printDecisionOf(j.ID)
			tl.event("trainer", "%s", describeJob(j))
			if !notedInterpolation && slices.Contains(j.Reasons, "latency_sla") {
				notedInterpolation = true
				tl.event("", "(the collector's p99 comes from the SDK's histogram buckets, interpolated within the\n"+
					" bucket that holds it as Prometheus histogram_quantile does; the apps' p99 above is exact)")
			}
			if !notedEstimate && slices.Contains(j.Reasons, "estimated_accuracy") {
				notedEstimate = true
				tl.event("", "(estimated_accuracy needs no labels: it is the accuracy the model's calibrated scores imply,\n"+
					" bounded by the score histogram's bucket edges; the accuracy the app reports waits for labels)")
			}
			a := d.app(j.ModelID)
			switch {
			case a == nil:
				tl.say("✘ a job for a model no app serves: %q", j.ModelID)
				return exitFailed
			case a.reason == "":
				tl.say("✘ a job for %s, which stayed healthy", j.ModelID)
				return exitFailed
			case !slices.Contains(j.Reasons, a.reason):
				tl.say("✘ the job for %s gives reasons %v; expected %s", j.ModelID, j.Reasons, a.reason)
				return exitFailed
			}
			got[j.ModelID] = true
			if len(d.missing(got)) == 0 {
				summary, err := statusSummary(ctx, d.statusURL)
				if err != nil {
					tl.say("✘ the status page %s is down: %v", d.statusURL, err)
					d.printCollectorProblems()
					return exitFailed
				}
				tl.event("status", "%s: %s", d.statusURL, summary)
				tl.say("✔ done in %s: all %d expected retrain jobs arrived, signed, and none for %s.",
					time.Since(tl.start).Round(100*time.Millisecond), len(got), d.healthyModel())
				return 0
			}
		}
	}
}

func (d *demo) printDecision(dec decision) {
	d.decided[dec.JobID] = true
	d.tl.event("collector", "decided: retrain %s v%s (%s), job %s", dec.Model, dec.Version, strings.Join(dec.Reasons, ", "), dec.JobID)
}

// printDecisionOf prints the collector's decisions logged so far, so the one behind job id comes
// before the job. The collector logs a decision before it sends the job, but its log reaches the
// demo through a pipe: wait a moment for the line.
func (d *demo) printDecisionOf(id string) {
	if d.decided[id] {
		return
	}
	wait := time.NewTimer(300 * time.Millisecond)
	defer wait.Stop()
	for {
		select {
		case dec := <-d.collector.decisions:
			d.printDecision(dec)
			if dec.JobID == id {
				return
			}
		case <-wait.C:
			return
		}
	}
}

// missing lists the expected jobs that have not arrived.
func (d *demo) missing(got map[string]bool) []string {
	var out []string
	for _, a := range d.apps {
		if a.reason != "" && !got[a.cfg.Model] {
			out = append(out, fmt.Sprintf("the %s job for %s", a.reason, a.cfg.Model))
		}
	}
	return out
}

func (d *demo) app(model string) *demoApp {
	for _, a := range d.apps {
		if a.cfg.Model == model {
			return a
		}
	}
	return nil
}

func (d *demo) healthyModel() string {
	for _, a := range d.apps {
		if a.reason == "" {
			return a.cfg.Model
		}
	}
	return "the healthy model"
}

func (d *demo) printCollectorProblems() {
	if d.collector == nil {
		return
	}
	lines := d.collector.lastProblems()
	if len(lines) == 0 {
		d.tl.say("  the collector logged no warnings or errors")
		return
	}
	d.tl.say("  the collector's last warnings and errors:")
	for _, l := range lines {
		d.tl.say("    %s", l)
	}
}
