package e2e

import (
	"os/exec"
	"syscall"
)

// setChildAttrs makes the kernel kill cmd's process when the test process dies (say,
// on a -timeout panic), so that no portal outlives the test run.
func setChildAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
