//go:build !unix

package main

import (
	"os"
	"os/exec"
)

func ownProcessGroup(*exec.Cmd) {}

func maxRSS(*os.ProcessState) (int64, bool) { return 0, false }
