package framework

import (
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
)

var (
	versionOnce sync.Once
	version     string
)

// SuiteVersion reports the suite's version: the module version when built from a tagged module, else the VCS
// revision stamped in the build, else the revision of the git checkout the suite runs from ("-dirty" when it has
// uncommitted changes), else "devel".
func SuiteVersion() string {
	versionOnce.Do(func() { version = suiteVersion() })
	return version
}

func suiteVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			return shortRev(rev, dirty)
		}
	}
	// Builds made with -buildvcs=false (as go test does by default for test binaries) carry no revision: ask git.
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "devel"
	}
	rev := strings.TrimSpace(string(out))
	status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	return shortRev(rev, err == nil && len(strings.TrimSpace(string(status))) > 0)
}

func shortRev(rev string, dirty bool) string {
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}
