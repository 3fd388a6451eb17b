package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSlowConnectionFlood opens 5,000 connections that send a partial request and then
// stall, against a portal whose open-file limit is 1,024 (so its connection cap defaults
// to 768), and checks that GET /healthz and the JWKS still get their answers (each
// bounded by a client timeout), that the process never ran out of file descriptors, and
// that the portal says it shed connections. GATEHOUSE_FLOOD_CONNECTIONS overrides the
// flood's size.
func TestSlowConnectionFlood(t *testing.T) {
	t.Parallel()
	flood := 5000
	if v := os.Getenv("GATEHOUSE_FLOOD_CONNECTIONS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("GATEHOUSE_FLOOD_CONNECTIONS=%q: want a positive number", v)
		}
		flood = n
	}
	const token = "0123456789abcdef0123456789abcdef-flood"
	p := startPortal(t, "GATEHOUSE_TEST_NOFILE=1024", "GATEHOUSE_METRICS_TOKEN="+token)

	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
		dial  = net.Dialer{Timeout: 5 * time.Second}
		fails int
	)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	sem := make(chan struct{}, 64) // dial in parallel, not all at once
	for i := 0; i < flood; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := dial.Dial("tcp", p.Addr)
			if err != nil {
				mu.Lock()
				fails++
				mu.Unlock()
				return
			}
			// Half a request line, then nothing: the slowloris pattern.
			_, _ = c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "))
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Logf("flood: %d connections opened, %d dials failed", len(conns), fails)

	client := &http.Client{Timeout: 10 * time.Second} // the bound
	for _, path := range []string{"/healthz", "/.well-known/jwks.json"} {
		res, err := client.Get(p.URL + path)
		if err != nil {
			t.Fatalf("GET %s during the flood: %v", path, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s during the flood: %d, want 200", path, res.StatusCode)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics during the flood: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	metrics := string(body)
	if !strings.Contains(metrics, "gatehouse_connections_max 768") {
		t.Errorf("metrics: want gatehouse_connections_max 768 (the open-file limit less 256)")
	}
	if strings.Contains(metrics, "gatehouse_connections_evicted_total 0\n") {
		t.Error("no connection was evicted although the flood was ten times the cap")
	}
	for _, line := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(line, "gatehouse_connections_") {
			t.Log(line)
		}
	}
	if log := p.Log(); strings.Contains(log, "too many open files") {
		t.Error("the portal ran out of file descriptors")
	}
}
