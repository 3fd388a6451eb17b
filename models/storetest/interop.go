package storetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// InteropEnv set to "require" turns the skips of interop tests whose runtime is missing
// into failures (CI sets it).
const InteropEnv = "GATEHOUSE_TEST_INTEROP"

// NodeModulesEnv names a node_modules directory holding the npm packages interop tests
// run (.ci/run installs them).
const NodeModulesEnv = "GATEHOUSE_TEST_NODE_MODULES"

// NodePackage finds node and the node_modules (NodeModulesEnv) that holds the npm
// package pkg, for a test that runs a real third-party client or verifier. Without
// them the test skips, or fails under GATEHOUSE_TEST_INTEROP=require.
func NodePackage(tb testing.TB, pkg string) (node, mods string) {
	tb.Helper()
	skip := tb.Skipf
	if os.Getenv(InteropEnv) == "require" {
		skip = tb.Fatalf
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not on PATH: the %s interop test needs it", pkg)
	}
	mods = os.Getenv(NodeModulesEnv)
	if mods == "" {
		skip("%s is not set: point it at a node_modules with %s (npm install %s)", NodeModulesEnv, pkg, pkg)
	}
	if mods, err = filepath.Abs(mods); err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(mods, pkg, "package.json")); err != nil {
		skip("%s=%s holds no %s package (%v)", NodeModulesEnv, mods, pkg, err)
	}
	return node, mods
}
