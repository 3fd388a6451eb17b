package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds how long a started portal may take to answer /readyz.
	readyTimeout = 15 * time.Second
	// stopTimeout bounds how long a signalled portal may take to exit before it is
	// killed. The binary drains in-flight requests for at most 20 s.
	stopTimeout = 25 * time.Second
	// buildTimeout bounds the one `go build` of TestMain.
	buildTimeout = 5 * time.Minute
)

// gatehouseBin is the binary that TestMain builds from ./cmd/gatehouse.
var gatehouseBin string

// TestMain builds the gatehouse binary once into a temporary directory, runs the
// tests and removes the directory.
func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gatehouse-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin, err := buildBinary(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building the gatehouse binary:", err)
		return 1
	}
	gatehouseBin = bin
	return m.Run()
}

// buildBinary runs `go build -o DIR/gatehouse ./cmd/gatehouse` in the module root, the
// parent of this package's directory, and returns the binary's path.
func buildBinary(dir string) (string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("module root not found at %s: %w", root, err)
	}
	// go test puts its own GOROOT/bin first on PATH, so this is the same toolchain.
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "gatehouse")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, "./cmd/gatehouse")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v\n%s", err, out)
	}
	return bin, nil
}

// syncBuffer is a bytes.Buffer that the process's output goroutine writes while the
// test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// portal is a running `gatehouse serve` subprocess.
type portal struct {
	// URL is the portal's base URL, http://127.0.0.1:PORT, without a trailing slash.
	URL string
	// Addr is the listen address, 127.0.0.1:PORT.
	Addr string
	// DBPath is the SQLite database file; the development session key is generated
	// next to it.
	DBPath string

	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{} // closed when the process has exited and waitErr is set
	waitErr error
}

// Log returns everything the process wrote to stdout and stderr so far.
func (p *portal) Log() string { return p.out.String() }

// Exited reports whether the process has exited.
func (p *portal) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends sig to the process and waits up to stopTimeout for it to exit; after
// that it kills the process. It returns the exit error: nil means status 0. A process
// that has already exited is not signalled again; its exit error is returned.
func (p *portal) Stop(sig os.Signal) error {
	if p.Exited() {
		return p.waitErr
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("sending %v: %w", sig, err)
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.waitErr
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("did not exit within %s of %v, killed: %v", stopTimeout, sig, p.waitErr)
	}
}

// childEnv is the test process's environment without any GATEHOUSE_ variable, so that
// a developer's shell settings (an OIDC issuer, say) cannot leak into the portal,
// followed by extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GATEHOUSE_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("closing the probe listener: %v", err)
	}
	return addr
}

// startPortal starts `gatehouse serve` on a free loopback port with a fresh SQLite
// database in t.TempDir() and no OIDC settings, so the development provider signs
// people in, and waits until GET /readyz answers 200. extraEnv (KEY=VALUE) adds
// settings; it must not set the address, base URL or database, which the portal's
// fields describe. The process is stopped with SIGTERM when the test ends, and its
// output is logged if the test failed.
func startPortal(t *testing.T, extraEnv ...string) *portal {
	t.Helper()
	for _, kv := range extraEnv {
		switch key, _, _ := strings.Cut(kv, "="); key {
		case "GATEHOUSE_ADDR", "GATEHOUSE_BASE_URL", "GATEHOUSE_DATABASE_URL":
			t.Fatalf("startPortal: extraEnv sets %s, which startPortal chooses", key)
		}
	}
	dbPath := filepath.Join(t.TempDir(), "gatehouse.db")
	// The free port can be taken by someone else before the portal binds it; try
	// again with another port in that case.
	for attempt := 1; ; attempt++ {
		p, err := launchPortal(t, dbPath, extraEnv)
		if err == nil {
			return p
		}
		if attempt < 3 && p.Exited() && strings.Contains(p.Log(), "address already in use") {
			t.Logf("port race, retrying: %v", err)
			continue
		}
		t.Fatalf("starting the portal: %v", err) // the cleanup logs its output
	}
}

// launchPortal starts one portal process and waits for it to be ready. On error the
// process has exited (or been stopped) and the returned portal holds its output.
func launchPortal(t *testing.T, dbPath string, extraEnv []string) (*portal, error) {
	addr := freeAddr(t)
	p := &portal{
		URL:    "http://" + addr,
		Addr:   addr,
		DBPath: dbPath,
		out:    &syncBuffer{},
		done:   make(chan struct{}),
	}
	p.cmd = exec.Command(gatehouseBin, "serve")
	for _, kv := range extraEnv {
		// GATEHOUSE_TEST_NOFILE=N runs the portal with an open-file limit of N (soft
		// and hard), as a small container would.
		if n, ok := strings.CutPrefix(kv, "GATEHOUSE_TEST_NOFILE="); ok {
			p.cmd = exec.Command("/bin/sh", "-c", `ulimit -n "$1" && exec "$0" serve`, gatehouseBin, n)
		}
	}
	p.cmd.Env = childEnv(append([]string{
		"GATEHOUSE_ADDR=" + addr,
		"GATEHOUSE_BASE_URL=" + p.URL,
		"GATEHOUSE_DATABASE_URL=sqlite://" + dbPath,
		// Tests stop portals often; the ones about shutdown set their own delay
		// (later entries win).
		"GATEHOUSE_SHUTDOWN_DELAY=0s",
	}, extraEnv...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	setChildAttrs(p.cmd)
	if err := p.cmd.Start(); err != nil {
		close(p.done)
		return p, err
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			if err := p.Stop(syscall.SIGTERM); err != nil {
				t.Errorf("stopping the portal: got %v, want a clean exit", err)
			}
		}
		if t.Failed() {
			t.Logf("portal output:\n%s", p.Log())
		}
	})
	if err := p.waitReady(); err != nil {
		if !p.Exited() {
			_ = p.Stop(syscall.SIGKILL)
		}
		return p, err
	}
	return p, nil
}

// waitReady polls GET /readyz until it answers 200, the process exits or
// readyTimeout passes.
func (p *portal) waitReady() error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(readyTimeout)
	last := "no answer yet"
	for {
		resp, err := client.Get(p.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = "status " + resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("GET /readyz not 200 within %s (last: %s)", readyTimeout, last)
		}
		select {
		case <-p.done:
			return fmt.Errorf("the process exited before it was ready: %v", p.waitErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// runBinary runs the gatehouse binary to completion (bounded by timeout) with env
// added to childEnv and returns its stdout, stderr and exit code.
func runBinary(t *testing.T, timeout time.Duration, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gatehouseBin, args...)
	cmd.Env = childEnv(env...)
	setChildAttrs(cmd)
	var outBuf, errBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("gatehouse %s: still running after %s (killed)\nstdout:\n%s\nstderr:\n%s",
			strings.Join(args, " "), timeout, outBuf.String(), errBuf.String())
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("gatehouse %s: %v", strings.Join(args, " "), err)
	}
	return outBuf.String(), errBuf.String(), cmd.ProcessState.ExitCode()
}

// TestVersionCommand checks that `gatehouse version` prints one line "gatehouse
// VERSION" and exits 0.
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	stdout, stderr, code := runBinary(t, 10*time.Second, nil, "version")
	if code != 0 {
		t.Errorf("exit status: got %d, want 0 (stderr: %q)", code, stderr)
	}
	if !strings.HasPrefix(stdout, "gatehouse ") || strings.Count(stdout, "\n") != 1 || len(strings.TrimSpace(stdout)) <= len("gatehouse") {
		t.Errorf("stdout: got %q, want one line \"gatehouse VERSION\"", stdout)
	}
	if stderr != "" {
		t.Errorf("stderr: got %q, want nothing", stderr)
	}
}

// TestServeGracefulShutdown starts the portal, signals it (SIGTERM as a service
// manager does, SIGINT as Ctrl-C does) and checks that it drains and exits with
// status 0 within stopTimeout, logs "shutting down" and then "stopped", and no longer
// listens.
func TestServeGracefulShutdown(t *testing.T) {
	t.Parallel()
	for name, sig := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGINT": syscall.SIGINT} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := startPortal(t)
			start := time.Now()
			err := p.Stop(sig)
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("exit after %v: got %v, want status 0", sig, err)
			}
			if code := p.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("exit status: got %d, want 0", code)
			}
			if elapsed > stopTimeout {
				t.Errorf("time to exit: got %s, want at most %s", elapsed, stopTimeout)
			}
			t.Logf("exited %s after %v", elapsed.Round(time.Millisecond), sig)

			log := p.Log()
			shut, stopped := strings.Index(log, "shutting down"), strings.LastIndex(log, "stopped")
			switch {
			case shut < 0:
				t.Errorf("log: got no \"shutting down\" line, want one\n%s", log)
			case stopped < 0:
				t.Errorf("log: got no \"stopped\" line, want one\n%s", log)
			case stopped < shut:
				t.Errorf("log: got \"stopped\" before \"shutting down\", want it after\n%s", log)
			}

			client := &http.Client{Timeout: 2 * time.Second}
			if resp, err := client.Get(p.URL + "/healthz"); err == nil {
				resp.Body.Close()
				t.Errorf("GET /healthz after exit: got %s, want a refused connection", resp.Status)
			}
		})
	}
}

// TestDevSignInRefusesPublicBaseURL runs `gatehouse serve` with a public base URL and
// no OIDC settings: development sign-in would let anyone in, so the binary must refuse
// to start, at once and with a message that names GATEHOUSE_OIDC_ISSUER and the
// loopback rule.
func TestDevSignInRefusesPublicBaseURL(t *testing.T) {
	t.Parallel()
	env := []string{
		"GATEHOUSE_ADDR=" + freeAddr(t),
		"GATEHOUSE_BASE_URL=https://portal.example.com",
		"GATEHOUSE_DATABASE_URL=sqlite://" + filepath.Join(t.TempDir(), "gatehouse.db"),
	}
	start := time.Now()
	_, stderr, code := runBinary(t, 15*time.Second, env, "serve")
	elapsed := time.Since(start)
	if code == 0 {
		t.Errorf("exit status: got 0, want non-zero")
	}
	if elapsed > 10*time.Second {
		t.Errorf("time to refuse: got %s, want under 10s", elapsed)
	}
	for _, want := range []string{"GATEHOUSE_OIDC_ISSUER", "development provider", "loopback", "https://portal.example.com"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr: got %q, want it to contain %q", stderr, want)
		}
	}
}
