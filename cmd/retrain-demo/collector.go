package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// decisionMessage is the processor's log message when it emits a RetrainJob.
const decisionMessage = "Model needs retraining"

// decision is what the collector logged when it decided a model needs retraining.
type decision struct {
	JobID   string   `json:"job_id"`
	Model   string   `json:"model"`
	Version string   `json:"version"`
	Reasons []string `json:"reasons"`
}

// collector is the otelcol-retrain binary running as a child process. Its output goes to a log
// file; lines that record a decision are also handed to the demo.
type collector struct {
	cmd       *exec.Cmd
	logPath   string
	decisions chan decision
	exited    chan struct{} // closed once the process ended; err is set before
	err       error

	mu        sync.Mutex
	problems  []string // the last warnings and errors the collector logged
	logFailed bool     // the log file could not be written (reported once, as a problem)
}

// logErr reports, once, that the collector's log file could not be written.
func (c *collector) logErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.logFailed {
		return
	}
	c.logFailed = true
	c.problems = append(c.problems, fmt.Sprintf("writing %s: %v", c.logPath, err))
}

const keptProblems = 10

// startCollector runs binary with configs (merged in order), env added to the demo's environment.
func startCollector(binary string, configs []string, env []string, logPath string, verbose io.Writer) (*collector, error) {
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("collector binary: %w (build it with `make build`)", err)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("collector log: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		_ = logFile.Close() // the error being returned is the one that matters
		return nil, err
	}
	var args []string
	for _, c := range configs {
		args = append(args, "--config", c)
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = w, w
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close() // the start error is the one that matters
		_ = r.Close()
		_ = w.Close()
		return nil, fmt.Errorf("start the collector: %w", err)
	}
	_ = w.Close() // the child holds its own copy; EOF comes when it exits
	c := &collector{cmd: cmd, logPath: logPath, decisions: make(chan decision, 16), exited: make(chan struct{})}
	go c.read(r, logFile, verbose)
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *collector) read(r io.ReadCloser, logFile *os.File, verbose io.Writer) {
	defer func() { _ = r.Close() }()
	defer func() {
		if err := logFile.Close(); err != nil {
			c.logErr(err)
		}
	}()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if _, err := fmt.Fprintln(logFile, line); err != nil {
			c.logErr(err)
		}
		if verbose != nil {
			_, _ = fmt.Fprintln(verbose, line) // the terminal: nowhere better to report a failure
		}
		if p, ok := problem(line); ok {
			c.mu.Lock()
			c.problems = append(c.problems, p)
			if len(c.problems) > keptProblems {
				c.problems = c.problems[len(c.problems)-keptProblems:]
			}
			c.mu.Unlock()
		}
		if d, ok := parseDecision(line); ok {
			select {
			case c.decisions <- d:
			default:
			}
		}
	}
}

// parseDecision reads a console-encoded log line: time, level, caller, message, then JSON fields.
func parseDecision(line string) (decision, bool) {
	i := strings.Index(line, decisionMessage)
	if i < 0 {
		return decision{}, false
	}
	j := strings.IndexByte(line[i:], '{')
	if j < 0 {
		return decision{}, false
	}
	var d decision
	if err := json.Unmarshal([]byte(line[i+j:]), &d); err != nil || d.Model == "" {
		return decision{}, false
	}
	return d, true
}

// resourceField is the collector's own resource, repeated on every log line.
var resourceField = regexp.MustCompile(`"resource": \{[^}]*\}, ?`)

// problem returns a warning or error line, without the collector's resource, or a line the
// collector printed outside its logger (such as a config error at start).
func problem(line string) (string, bool) {
	fields := strings.SplitN(line, "\t", 3)
	if len(fields) == 3 && fields[1] != "warn" && fields[1] != "error" {
		return "", false
	}
	return resourceField.ReplaceAllString(line, ""), true
}

// lastProblems returns the last warnings and errors the collector printed.
func (c *collector) lastProblems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.problems...)
}

// waitReady polls until every address accepts TCP connections.
func (c *collector) waitReady(ctx context.Context, addrs ...string) error {
	for _, addr := range addrs {
		for {
			conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				_ = conn.Close() // it was only a probe
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the collector did not listen on %s: %w", addr, context.Cause(ctx))
			case <-c.exited:
				return fmt.Errorf("the collector exited before it was ready: %v", c.err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

// stop asks the collector to shut down (SIGTERM) and kills it if it has not within grace.
func (c *collector) stop(grace time.Duration) error {
	select {
	case <-c.exited:
		return c.err
	default:
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal the collector: %w", err)
	}
	select {
	case <-c.exited:
		return c.err
	case <-time.After(grace):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("the collector did not stop within %s after SIGTERM; killed it", grace)
	}
}

// telemetryConfig serves the collector's own metrics on addr instead of the default
// localhost:8888, which another collector on the machine may hold.
func telemetryConfig(dir, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "telemetry.yaml")
	yaml := fmt.Sprintf(`service:
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: %s
                port: %s
`, host, port)
	return path, os.WriteFile(path, []byte(yaml), 0o600)
}

// freeAddr returns a loopback address with a port nobody listens on right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", err
	}
	return addr, nil
}
