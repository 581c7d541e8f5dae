package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

var execLookPath = exec.LookPath

// meta is the header of the output: when, what and where.
type meta struct {
	date    time.Time
	commit  string
	machine string
	command string
}

func (p *runner) meta(ctx context.Context, args []string) meta {
	m := meta{date: time.Now().UTC(), command: "go run ./harness/cmd/perf"}
	if len(args) > 0 {
		m.command += " " + strings.Join(args, " ")
	}
	m.commit = "unknown (not a git checkout, or git is not installed)"
	if c, err := commandOutput(ctx, p.root, 10*time.Second, "git", "rev-parse", "--short", "HEAD"); err == nil && c != "" {
		m.commit = c
		if st, err := commandOutput(ctx, p.root, 10*time.Second, "git", "status", "--porcelain"); err == nil && st != "" {
			m.commit += " (the working tree has uncommitted changes: the figures are of the tree as it was)"
		}
	}
	gover, err := commandOutput(ctx, p.root, 30*time.Second, p.goBin, "env", "GOVERSION")
	if err != nil || gover == "" {
		gover = runtime.Version()
	}
	m.machine = fmt.Sprintf("%d CPUs (nproc), GOMAXPROCS %d, %s %s/%s", runtime.NumCPU(), runtime.GOMAXPROCS(0), gover, runtime.GOOS, runtime.GOARCH)
	if cpu := cpuModel(); cpu != "" {
		m.machine += ", " + cpu
	}
	if mem := memTotal(); mem != "" {
		m.machine += ", " + mem + " RAM"
	}
	return m
}

// cpuModel reads the CPU model name on Linux ("" elsewhere).
func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// memTotal reads the machine's memory on Linux ("" elsewhere).
func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return ""
}
