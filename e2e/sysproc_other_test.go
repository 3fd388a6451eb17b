//go:build !linux

package e2e

import "os/exec"

// setChildAttrs does nothing outside Linux, which has no parent-death signal; the
// tests' cleanups still stop every process they start.
func setChildAttrs(cmd *exec.Cmd) {}
