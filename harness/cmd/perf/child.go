package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// child is one process the command runs: its output goes to files in the work directory, it gets its own process
// group (so that a timeout also ends whatever it started, e.g. ginkgo's parallel suite processes) and a deadline.
type child struct {
	name    string   // short name for messages and output files ("bench", "serial-1")
	args    []string // program and arguments
	dir     string
	env     []string
	timeout time.Duration
}

// childResult is what a finished child left.
type childResult struct {
	wall           time.Duration
	state          *os.ProcessState
	stdout, stderr string // paths of the captured output
}

// exitError is a child that ran to completion but exited with a non-zero status.
type exitError struct {
	name string
	code int
	tail string
}

func (e *exitError) Error() string {
	return fmt.Sprintf("%s exited with status %d; the end of its output:\n%s", e.name, e.code, e.tail)
}

func (c child) run(ctx context.Context, work string) (childResult, error) {
	res := childResult{
		stdout: filepath.Join(work, c.name+".stdout"),
		stderr: filepath.Join(work, c.name+".stderr"),
	}
	outF, err := os.Create(res.stdout)
	if err != nil {
		return res, err
	}
	defer outF.Close()
	errF, err := os.Create(res.stderr)
	if err != nil {
		return res, err
	}
	defer errF.Close()

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.args[0], c.args[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = c.dir, c.env, outF, errF
	ownProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second

	start := time.Now()
	err = cmd.Run()
	res.wall = time.Since(start)
	res.state = cmd.ProcessState
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return res, fmt.Errorf("%s did not finish within %s and was killed; the end of its output:\n%s", c.describe(), c.timeout, tail(res, 25))
	case ctx.Err() != nil:
		return res, fmt.Errorf("%s: interrupted", c.describe())
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return res, &exitError{name: c.describe(), code: ee.ExitCode(), tail: tail(res, 25)}
		}
		return res, fmt.Errorf("%s: %w", c.describe(), err)
	}
	return res, nil
}

func (c child) describe() string {
	return "`" + strings.Join(c.args, " ") + "`"
}

// tail returns the last n lines of the child's stdout and stderr, indented.
func tail(r childResult, n int) string {
	var b strings.Builder
	for _, p := range []string{r.stdout, r.stderr} {
		data, err := os.ReadFile(p)
		if err != nil || len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		for _, l := range lines {
			b.WriteString("    " + l + "\n")
		}
	}
	if b.Len() == 0 {
		return "    (no output)\n"
	}
	return b.String()
}

// commandOutput runs a short command and returns its trimmed stdout.
func commandOutput(ctx context.Context, dir string, timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("`%s %s`: %s", name, strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(string(out)), nil
}
