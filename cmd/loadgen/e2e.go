package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type e2eFlags struct {
	collector, baseline, config string
	load                        *load
	warmup                      time.Duration
	repeat                      int
	highRate                    float64
	highDuration                time.Duration
	rampStart, rampMax          float64
	rampStep                    time.Duration
	bisect                      int
	highWorkers                 int
	out, logs                   string
	// profile, when set, is where each measured run's CPU profile and allocation profile of the
	// collector go; the collector must have contrib's pprof extension (make build-bench).
	profile string
}

func runE2E(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("e2e", flag.ExitOnError)
	f := e2eFlags{}
	fs.StringVar(&f.collector, "collector", "_build/otelcol-retrain", "collector binary (make build)")
	fs.StringVar(&f.baseline, "baseline", "testdata/bench/without-retrain.yaml", "collector config without the retrain processor")
	fs.StringVar(&f.config, "config", "testdata/bench/with-retrain.yaml", "the same config with the retrain processor")
	f.load = loadFlags(fs)
	fs.DurationVar(&f.warmup, "warmup", 5*time.Second, "load at -rate before each measured run")
	fs.IntVar(&f.repeat, "repeat", 5, "measured fixed-rate runs per config, configs alternating: each baseline run and the run after it are a pair")
	fs.Float64Var(&f.highRate, "high-rate", 100000, "rate of the high-load runs, points/s; 0 skips them")
	fs.DurationVar(&f.highDuration, "high-duration", 15*time.Second, "duration of each high-load run")
	fs.Float64Var(&f.rampStart, "ramp-start", 10000, "first rate of the ramp, points/s; 0 skips the ramp")
	fs.Float64Var(&f.rampMax, "ramp-max", 2e6, "highest rate the ramp tries, points/s")
	fs.DurationVar(&f.rampStep, "ramp-step", 5*time.Second, "duration of each ramp step")
	fs.IntVar(&f.highWorkers, "high-workers", 8, "workers (apps of -models models each) of the high-load runs and the ramp")
	fs.IntVar(&f.bisect, "bisect", 3, "bisection steps between the last sustained and the first failed rate")
	fs.StringVar(&f.out, "out", "", "also append the results, in Go benchmark format, to this file")
	fs.StringVar(&f.logs, "logs", os.TempDir(), "directory for the collectors' logs")
	fs.StringVar(&f.profile, "profile", "", "directory for a CPU and an allocation profile of the collector per measured run "+
		"(needs a collector with the pprof extension: make build-bench)")
	_ = fs.Parse(args)
	if f.profile != "" {
		if err := os.MkdirAll(f.profile, 0o755); err != nil {
			return err
		}
	}

	tick, err := clockTicks()
	if err != nil {
		return err
	}
	configs := []string{f.baseline, f.config}
	var lines []string
	emit := func(format string, a ...any) {
		l := fmt.Sprintf(format, a...)
		fmt.Println(l)
		lines = append(lines, l)
	}
	fmt.Printf("e2e: %s, %d models (x%d workers), %.0f points/s for %s after %s warm-up, %d runs per config; high load and ramp with %d workers of %d models; GOMAXPROCS of the collector: all %d CPUs\n",
		f.collector, f.load.models, f.load.workers, f.load.rate, f.load.duration, f.warmup, f.repeat, f.highWorkers, f.load.models, runtime.NumCPU())

	fixed := map[string][]fixedRun{}
	for i := range f.repeat {
		for _, cfg := range configs {
			r, err := f.fixedRun(ctx, cfg, tick, fmt.Sprintf("fixed%d", i+1))
			if err != nil {
				return err
			}
			name := configName(cfg)
			fixed[name] = append(fixed[name], r)
			emit("BenchmarkE2E/config=%s/run=fixed/rate=%.0f \t1\t%d ns/op\t%.3f cpu-s\t%.4f cores\t%d peak-rss-B\t%.0f points/s\t%d p99-ns\t%d aggregated-points\t%d skipped-points",
				name, f.load.rate, r.res.elapsed.Nanoseconds(), r.cpu, r.cpu/r.res.elapsed.Seconds(), r.hwm, r.res.achieved, r.res.p99.Nanoseconds(), r.aggregated, r.skipped)
			fmt.Printf("    run %d, %s: %s\n", i+1, name, r.res)
		}
	}
	// High load: collector CPU per point near its capacity, a steadier view of the ramp's answer.
	high := map[string][]fixedRun{}
	if f.highRate > 0 {
		hf := f
		hl := *f.load
		hl.rate, hl.duration, hl.workers = f.highRate, f.highDuration, f.highWorkers
		hf.load = &hl
		for i := range f.repeat {
			for _, cfg := range configs {
				r, err := hf.fixedRun(ctx, cfg, tick, fmt.Sprintf("high%d", i+1))
				if err != nil {
					return err
				}
				name := configName(cfg)
				high[name] = append(high[name], r)
				emit("BenchmarkE2E/config=%s/run=high/rate=%.0f \t1\t%d ns/op\t%.3f cpu-s\t%.4f cores\t%.0f cpu-ns/point\t%d peak-rss-B\t%.0f points/s\t%d p99-ns\t%d aggregated-points\t%d skipped-points",
					name, hl.rate, r.res.elapsed.Nanoseconds(), r.cpu, r.cpu/r.res.elapsed.Seconds(), r.cpu/float64(r.res.points)*1e9, r.hwm, r.res.achieved, r.res.p99.Nanoseconds(), r.aggregated, r.skipped)
				fmt.Printf("    high-load run %d, %s: %s\n", i+1, name, r.res)
			}
		}
	}
	ramps := map[string]float64{}
	if f.rampStart > 0 {
		for _, cfg := range configs {
			top, err := f.ramp(ctx, cfg)
			if err != nil {
				return err
			}
			ramps[configName(cfg)] = top.rate
			emit("BenchmarkE2E/config=%s/run=ramp \t1\t%.0f max-points/s\t%.0f cpu-ns/point\t%d peak-rss-B", configName(cfg), top.rate, top.cpuPerPoint*1e9, top.hwm)
		}
	}

	base, with := configName(f.baseline), configName(f.config)
	fmt.Printf("\ne2e summary (median of %d runs at %.0f points/s over %d models):\n", f.repeat, f.load.rate, f.load.models)
	fmt.Printf("  %-18s %10s %10s %14s %14s\n", "config", "CPU s", "cores", "peak RSS MiB", "max points/s")
	for _, name := range []string{base, with} {
		rs := fixed[name]
		fmt.Printf("  %-18s %10.2f %10.3f %14.1f %14.0f\n", name,
			median(rs, func(r fixedRun) float64 { return r.cpu }),
			median(rs, func(r fixedRun) float64 { return r.cpu / r.res.elapsed.Seconds() }),
			median(rs, func(r fixedRun) float64 { return float64(r.hwm) / (1 << 20) }),
			ramps[name])
	}
	// pairs prints and records the pairs' ratios of collector CPU per point, their median and spread.
	pairs := func(run string, rate float64, base, with []fixedRun, label, target string) {
		rs := pairRatios(base, with, func(r fixedRun) float64 { return r.cpu / float64(r.res.points) })
		if len(rs) == 0 {
			return
		}
		med := median(rs, func(x float64) float64 { return x })
		fmt.Printf("  %s, per pair: %s; median %.3fx, spread %.3f-%.3fx%s\n", label, formatRatios(rs), med, slices.Min(rs), slices.Max(rs), target)
		emit("BenchmarkE2E/pairs/run=%s/rate=%.0f \t1\t%.4f median-ratio\t%.4f min-ratio\t%.4f max-ratio\t%d pairs",
			run, rate, med, slices.Min(rs), slices.Max(rs), len(rs))
	}
	pairs("fixed", f.load.rate, fixed[base], fixed[with], "CPU per point with/without", " (target <= 1.05x)")
	pairs("high", f.highRate, high[base], high[with], fmt.Sprintf("collector CPU per point at %.0f points/s with/without", f.highRate), "")
	if ramps[base] > 0 {
		fmt.Printf("  highest sustained rate with/without: %.3fx (target >= 0.95x)\n", ramps[with]/ramps[base])
	}
	fmt.Println()

	if f.out != "" {
		file, err := os.OpenFile(f.out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer func() { _ = file.Close() }()
		if _, err := fmt.Fprintln(file, strings.Join(lines, "\n")); err != nil {
			return err
		}
	}
	return nil
}

func configName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

func median[T any](xs []T, f func(T) float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

type fixedRun struct {
	res                 result
	cpu                 float64 // collector CPU seconds (user + system) during the measured run
	hwm                 int64   // collector peak RSS, bytes
	aggregated, skipped int64   // the retrain processor's own counters, when it runs
}

// pairRatios is with/base of f for each pair of runs: the baseline run and the run after it.
func pairRatios(base, with []fixedRun, f func(fixedRun) float64) []float64 {
	var out []float64
	for i := range min(len(base), len(with)) {
		out = append(out, f(with[i])/f(base[i]))
	}
	return out
}

func formatRatios(rs []float64) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%.3fx", r)
	}
	return strings.Join(parts, " ")
}

// fixedRun starts the collector on cfg, warms it up, and measures one run at the fixed rate;
// with -profile, it takes the collector's CPU profile over the run and its allocations after it.
func (f *e2eFlags) fixedRun(ctx context.Context, cfg string, tick float64, run string) (fixedRun, error) {
	c, err := startCollector(ctx, f.collector, cfg, f.logs, f.profile != "")
	if err != nil {
		return fixedRun{}, err
	}
	defer c.stop()
	s, err := newSender(c.endpoint, f.load.models, f.load.workers)
	if err != nil {
		return fixedRun{}, err
	}
	defer s.close()
	if r := s.run(ctx, f.load.rate, f.warmup); r.errors > 0 {
		return fixedRun{}, fmt.Errorf("%s: warm-up failed: %v (collector log %s)", cfg, r.firstErr, c.log)
	}
	before, err := cpuTicks(c.pid())
	if err != nil {
		return fixedRun{}, err
	}
	var profiled chan error
	if f.profile != "" {
		profiled = make(chan error, 1)
		secs := max(1, int(f.load.duration.Seconds())-1)
		go func() {
			profiled <- c.fetchProfile(fmt.Sprintf("profile?seconds=%d", secs),
				filepath.Join(f.profile, fmt.Sprintf("%s-%s.cpu.pprof", configName(cfg), run)))
		}()
	}
	res := s.run(ctx, f.load.rate, f.load.duration)
	after, err := cpuTicks(c.pid())
	if err != nil {
		return fixedRun{}, err
	}
	if ctx.Err() != nil {
		return fixedRun{}, ctx.Err()
	}
	if res.errors > 0 {
		return fixedRun{}, fmt.Errorf("%s: %d requests failed at %.0f points/s: %v (collector log %s)", cfg, res.errors, f.load.rate, res.firstErr, c.log)
	}
	if profiled != nil {
		if err := <-profiled; err != nil {
			return fixedRun{}, err
		}
		if err := c.fetchProfile("allocs", filepath.Join(f.profile, fmt.Sprintf("%s-%s.allocs.pprof", configName(cfg), run))); err != nil {
			return fixedRun{}, err
		}
	}
	r := fixedRun{res: res, cpu: float64(after-before) / tick}
	if r.hwm, err = peakRSS(c.pid()); err != nil {
		return fixedRun{}, err
	}
	counters, err := c.scrape()
	if err != nil {
		return fixedRun{}, err
	}
	// The collector's Prometheus reader may or may not add the _total suffix to counters.
	r.aggregated = counters["otelcol_processor_retrain_data_points"] + counters["otelcol_processor_retrain_data_points_total"]
	r.skipped = counters["otelcol_processor_retrain_data_points_skipped"] + counters["otelcol_processor_retrain_data_points_skipped_total"]
	return r, nil
}

// ramp raises the rate from rampStart, doubling while the collector keeps up, then bisects
// between the last sustained rate and the first one that was not. It returns the highest
// sustained rate and the collector's peak RSS.
func (f *e2eFlags) ramp(ctx context.Context, cfg string) (rampTop, error) {
	c, err := startCollector(ctx, f.collector, cfg, f.logs, false)
	if err != nil {
		return rampTop{}, err
	}
	defer c.stop()
	s, err := newSender(c.endpoint, f.load.models, f.highWorkers)
	if err != nil {
		return rampTop{}, err
	}
	defer s.close()
	s.run(ctx, f.rampStart, f.warmup)

	tick, err := clockTicks()
	if err != nil {
		return rampTop{}, err
	}
	var top rampTop
	try := func(rate float64) bool {
		col0, _ := cpuTicks(c.pid())
		own0, _ := cpuTicks(os.Getpid())
		busy0, _ := busyTicks()
		r := s.run(ctx, rate, f.rampStep)
		col1, _ := cpuTicks(c.pid())
		own1, _ := cpuTicks(os.Getpid())
		busy1, _ := busyTicks()
		ok := r.sustained()
		cores := func(t int64) float64 { return float64(t) / tick / r.elapsed.Seconds() }
		fmt.Printf("    ramp %s: %s; CPU cores: collector %.2f, loadgen %.2f, other processes %.2f -> %s\n", configName(cfg), r,
			cores(col1-col0), cores(own1-own0), cores((busy1-busy0)-(col1-col0)-(own1-own0)),
			map[bool]string{true: "sustained", false: "NOT sustained"}[ok])
		if ok && r.points > 0 {
			top.cpuPerPoint = float64(col1-col0) / tick / float64(r.points)
		}
		// Let in-flight work drain so one step's backlog does not fail the next.
		time.Sleep(time.Second)
		return ok
	}
	// A step fails only when it fails twice: on a shared machine another process can take a core
	// for a few seconds.
	step := func(rate float64) bool {
		if try(rate) {
			return true
		}
		return try(rate)
	}
	bad := 0.0
	for rate := f.rampStart; rate <= f.rampMax && ctx.Err() == nil; rate *= 2 {
		if !step(rate) {
			bad = rate
			break
		}
		top.rate = rate
	}
	for range f.bisect {
		if bad == 0 || top.rate == 0 || ctx.Err() != nil {
			break
		}
		mid := (top.rate + bad) / 2
		if step(mid) {
			top.rate = mid
		} else {
			bad = mid
		}
	}
	if top.hwm, err = peakRSS(c.pid()); err != nil {
		return rampTop{}, err
	}
	return top, ctx.Err()
}

// rampTop is what a ramp found: the highest sustained rate, the collector's CPU seconds per point
// in the last sustained step, and its peak RSS.
type rampTop struct {
	rate, cpuPerPoint float64
	hwm               int64
}

// collector is a running collector process.
type collector struct {
	cmd       *exec.Cmd
	done      chan struct{} // closed when the process exited, with its status in exit
	exit      error
	endpoint  string
	telemetry string
	pprof     string // the pprof extension's address, when profiled
	log       string
}

// fetchProfile saves the pprof extension's /debug/pprof/<what> to path.
func (c *collector) fetchProfile(what, path string) error {
	resp, err := http.Get("http://" + c.pprof + "/debug/pprof/" + what)
	if err != nil {
		return fmt.Errorf("fetch the collector's %s profile (does it have the pprof extension? make build-bench): %w", what, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch the collector's %s profile: %s", what, resp.Status)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

func startCollector(ctx context.Context, bin, cfg, logDir string, profile bool) (*collector, error) {
	otlpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	telPort, err := freePort()
	if err != nil {
		return nil, err
	}
	c := &collector{
		done:      make(chan struct{}),
		endpoint:  fmt.Sprintf("127.0.0.1:%d", otlpPort),
		telemetry: fmt.Sprintf("http://127.0.0.1:%d/metrics", telPort),
		log:       filepath.Join(logDir, fmt.Sprintf("loadgen-%s-%d.log", configName(cfg), otlpPort)),
	}
	logFile, err := os.Create(c.log)
	if err != nil {
		return nil, err
	}
	defer func() { _ = logFile.Close() }()
	args := []string{"--config", cfg}
	if profile {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		c.pprof = fmt.Sprintf("127.0.0.1:%d", port)
		args = append(args, "--set=extensions::pprof::endpoint="+c.pprof, "--set=service::extensions=[pprof]")
	}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Env = append(os.Environ(), "BENCH_OTLP_ENDPOINT="+c.endpoint, "BENCH_TELEMETRY_PORT="+strconv.Itoa(telPort))
	c.cmd.Stdout, c.cmd.Stderr = logFile, logFile
	if err := c.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		c.exit = c.cmd.Wait()
		close(c.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", c.endpoint, 100*time.Millisecond)
		if err == nil {
			_ = conn.Close()
			return c, nil
		}
		select {
		case <-c.done:
			return nil, fmt.Errorf("collector on %s exited (%v); see %s", cfg, c.exit, c.log)
		case <-ctx.Done():
			c.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("collector on %s not listening on %s after 30s; see %s", cfg, c.endpoint, c.log)
		}
	}
}

func (c *collector) pid() int { return c.cmd.Process.Pid }

// stop ends the collector this program started: SIGTERM, then SIGKILL after 10 s.
func (c *collector) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

// scrape reads the collector's own Prometheus metrics and sums each series over its labels.
func (c *collector) scrape() (map[string]int64, error) {
	resp, err := http.Get(c.telemetry)
	if err != nil {
		return nil, fmt.Errorf("scrape collector telemetry: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(line, '{'); i >= 0 {
			name, rest = line[:i], line[strings.LastIndexByte(line, '}')+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(fields[0], 64); err == nil {
			out[name] += int64(v)
		}
	}
	return out, sc.Err()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// cpuTicks is utime + stime of pid from /proc/<pid>/stat, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after it start at field 3, state.
	i := strings.LastIndexByte(string(b), ')')
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0, errors.New("short /proc/<pid>/stat")
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(fields[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return utime + stime, nil
}

// busyTicks is the CPU time of the whole machine, every process, from /proc/stat, in clock ticks.
func busyTicks() (int64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, errors.New("unexpected /proc/stat")
	}
	var busy int64
	for i, f := range fields[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, err
		}
		busy += v
	}
	return busy, nil
}

// peakRSS is VmHWM of pid from /proc/<pid>/status, in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	return vmHWM(f)
}

func vmHWM(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/<pid>/status")
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times.
func clockTicks() (float64, error) {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err != nil {
		return 100, nil //nolint:nilerr // USER_HZ is 100 on every Linux architecture Go supports
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}
