//go:build unix

package main

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// ownProcessGroup starts cmd in a new process group and makes cancellation kill the whole group.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if cmd.Process == nil {
			return nil
		}
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

// maxRSS returns the peak resident set size of a finished process in bytes, from its rusage (ok false when the
// platform does not report it). On Linux wait4's rusage also covers the descendants the process waited for, so for
// a parent it is the largest of the parent and those children.
func maxRSS(st *os.ProcessState) (int64, bool) {
	if st == nil {
		return 0, false
	}
	ru, ok := st.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil || ru.Maxrss <= 0 {
		return 0, false
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss), true // bytes
	}
	return int64(ru.Maxrss) * 1024, true // KiB on Linux and the BSDs
}
