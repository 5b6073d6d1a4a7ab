//go:build e2e

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// collectorBinary is the distribution `make build` produces; E2E_COLLECTOR overrides it.
func collectorBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv("E2E_COLLECTOR")
	if path == "" {
		path = filepath.Join("..", "_build", "otelcol-retrain")
	}
	abs, err := filepath.Abs(path)
	require.NoError(t, err)
	_, err = os.Stat(abs)
	require.NoError(t, err, "the collector binary is missing: run `make build` (or set E2E_COLLECTOR)")
	return abs
}

// collector is one run of the collector binary.
type collector struct {
	t          *testing.T
	cfg        config
	configPath string
	cmd        *exec.Cmd
	logPath    string
	exited     chan struct{} // closed when the process ended; state is set before
	state      *os.ProcessState
}

// startCollector runs the binary on cfg and waits until its receivers accept connections.
func startCollector(t *testing.T, cfg config) *collector {
	t.Helper()
	c := runCollector(t, writeConfig(t, cfg.render(t)))
	c.cfg = cfg
	c.waitListening(15*time.Second, cfg.GRPC, cfg.HTTP, cfg.Telemetry)
	return c
}

// runCollector starts the binary on a config file and returns without waiting.
func runCollector(t *testing.T, configPath string) *collector {
	t.Helper()
	return runCollectorEnv(t, configPath, nil)
}

// runCollectorEnv starts the binary on a config file with env added to the test's environment
// and further arguments (e.g. --set), and returns without waiting.
func runCollectorEnv(t *testing.T, configPath string, env []string, args ...string) *collector {
	t.Helper()
	logFile, err := os.CreateTemp(t.TempDir(), "collector-*.log")
	require.NoError(t, err)
	cmd := exec.Command(collectorBinary(t), append([]string{"--config", configPath}, args...)...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	c := &collector{t: t, configPath: configPath, cmd: cmd, logPath: logFile.Name(), exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		c.state = cmd.ProcessState
		_ = logFile.Close() // the child wrote it; a close error here cannot lose anything
		close(c.exited)
	}()
	t.Cleanup(func() {
		if !c.hasExited() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-c.exited
			}
		}
		if t.Failed() {
			t.Logf("collector pid %d output (%s):\n%s", cmd.Process.Pid, c.logPath, c.tail(60))
		}
	})
	return c
}

func (c *collector) hasExited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

func (c *collector) waitListening(timeout time.Duration, addrs ...string) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for _, addr := range addrs {
		for {
			conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
			if err == nil {
				_ = conn.Close() // only a probe
				break
			}
			if c.hasExited() {
				c.t.Fatalf("the collector exited (%s) before listening on %s", c.state, addr)
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("the collector did not listen on %s within %s", addr, timeout)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// signal sends sig to the collector.
func (c *collector) signal(sig os.Signal) {
	c.t.Helper()
	require.NoError(c.t, c.cmd.Process.Signal(sig))
}

// stop sends sig and waits for the process to end; after SIGTERM it must exit 0 within
// shutdownBudget, after SIGKILL it must die of it.
func (c *collector) stop(sig syscall.Signal) {
	c.t.Helper()
	c.signal(sig)
	_, err := c.waitExit(shutdownBudget)
	require.NoError(c.t, err)
	switch sig {
	case syscall.SIGKILL:
		require.Equal(c.t, "signal: killed", c.state.String(), "how the collector ended")
	case syscall.SIGTERM:
		require.Equal(c.t, 0, c.state.ExitCode(), "exit code after SIGTERM:\n%s", c.tail(30))
	}
}

// restart starts the binary again on the stopped collector's config file, so on the same ports
// and storage directories, and waits until it listens.
func (c *collector) restart() *collector {
	c.t.Helper()
	require.True(c.t, c.hasExited(), "restart a collector that is still running")
	next := runCollector(c.t, c.configPath)
	next.cfg = c.cfg
	next.waitListening(15*time.Second, c.cfg.GRPC, c.cfg.HTTP, c.cfg.Telemetry)
	return next
}

// waitExit waits for the process to end and returns its exit code (-1 when a signal ended it).
func (c *collector) waitExit(timeout time.Duration) (int, error) {
	select {
	case <-c.exited:
		return c.state.ExitCode(), nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("the collector is still running %s later", timeout)
	}
}

// output returns everything the collector printed so far.
func (c *collector) output() string {
	b, _ := os.ReadFile(c.logPath)
	return string(b)
}

func (c *collector) tail(n int) string {
	lines := strings.Split(strings.TrimRight(c.output(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// memoryKB reads the resident set (VmRSS) and its peak (VmHWM) from /proc.
func (c *collector) memoryKB() (rss, peak int64) {
	c.t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	require.NoError(c.t, err)
	defer func() { _ = f.Close() }() // read-only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch key {
		case "VmRSS":
			dst = &rss
		case "VmHWM":
			dst = &peak
		default:
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		require.NoError(c.t, err, "%s: %q", key, value)
		*dst = n
	}
	require.NoError(c.t, sc.Err())
	return rss, peak
}

// metric scrapes the collector's own metrics and sums the series of name whose labels include
// every `key="value"` given. A series that was never recorded reads as 0.
func (c *collector) metric(name string, labels ...string) float64 {
	c.t.Helper()
	v, err := scrape(c.cfg.Telemetry, name, labels...)
	require.NoError(c.t, err)
	return v
}

func scrape(addr, name string, labels ...string) (float64, error) {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }() // read in full below
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("scrape %s: %s", addr, resp.Status)
	}
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		series, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		metric, labelText, _ := strings.Cut(series, "{")
		if metric != name {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(labelText, l)
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(value)[0], 64)
		if err != nil {
			return 0, fmt.Errorf("scrape %s: %q: %w", addr, line, err)
		}
		sum += v
	}
	return sum, nil
}

// waitFor polls cond every 50ms until it holds, failing the test after timeout with what it waited
// for and, when given, the state detail reports.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool, detail ...func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("timed out after %s waiting for %s", timeout, what)
			for _, d := range detail {
				msg += "\n" + d()
			}
			t.Fatal(msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// errExited marks a collector that is gone when a test needs it running.
var errExited = errors.New("the collector exited")

// running reports errExited once the process is gone.
func (c *collector) running() error {
	if c.hasExited() {
		return fmt.Errorf("%w: %s", errExited, c.state)
	}
	return nil
}
