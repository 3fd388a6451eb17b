package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/gatehouse-dev/gatehouse/models"
)

// TestFullDisk runs the portal on a small filesystem of its own and fills it: creating a
// key then answers 503 and writes nothing, while the JWKS, the status list, the token
// endpoint for a known client and the pages that only read keep answering; once there
// is room again, creating a key works, with no restart. It needs to mount a tmpfs (root on Linux); elsewhere it is skipped.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("GATEHOUSE_E2E") == "require" && os.Geteuid() == 0 {
			t.Fatalf("mounting a tmpfs as root: %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here (%v): the full-disk test needs root on Linux", err)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	dbPath := filepath.Join(dir, "gatehouse.db")
	p, err := launchPortal(t, dbPath, nil)
	if err != nil {
		t.Fatalf("starting the portal on the tmpfs: %v", err)
	}
	u := stressSignIn(t, p, "full@example.com", "Full Disk")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first, status, err := u.createKey(ctx, "before")
	if err != nil || status != http.StatusOK {
		t.Fatalf("a key before the disk fills: %d %v", status, err)
	}

	secret := fullDiskSecret(t, ctx, u)
	fullDiskToken(t, p, u, secret, "before the disk fills") // the client is now known

	// Fill the filesystem.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<16)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !strings.Contains(err.Error(), "no space") {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	f.Close()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err == nil {
		t.Logf("disk full: %d bytes free", st.Bavail*uint64(st.Bsize))
	}

	refused := 0
	for i := 0; i < 5; i++ { // SQLite may still fit a page or two in the WAL
		_, status, err := u.createKey(ctx, "while-full")
		switch {
		case status == http.StatusServiceUnavailable:
			refused++
		case status == http.StatusOK && err != nil:
			t.Errorf("a key created on a full disk is not whole: %v", err)
		case status != http.StatusOK:
			t.Errorf("creating a key on a full disk: %d (%v), want 503 (or 200 while a page still fits)", status, err)
		}
	}
	if refused == 0 {
		t.Error("five keys were created on a full disk")
	}
	for _, path := range []string{"/.well-known/jwks.json", "/healthz", "/statuslists/" + first.ListID} {
		if code, _, body := stressGet(t, p.URL+path); code != http.StatusOK {
			t.Errorf("GET %s on a full disk: %d %.200s", path, code, body)
		}
	}
	u.mustGet(t, ctx, p.URL+"/projects/"+u.project, http.StatusOK) // a page that only reads
	fullDiskToken(t, p, u, secret, "on a full disk")
	if code, _, _ := stressGet(t, p.URL+"/login"); code != http.StatusServiceUnavailable {
		t.Errorf("GET /login on a full disk (it must store a pre-login session): %d, want 503", code)
	}

	// Room again: writes work, with no restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, status, err := u.createKey(ctx, "after"); err != nil || status != http.StatusOK {
		t.Errorf("a key once there is room again: %d %v", status, err)
	}
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Errorf("stopping: %v", err)
	}
	for _, line := range strings.Split(p.Log(), "\n") {
		if strings.Contains(line, "status=500") {
			t.Errorf("a 500 on a full disk: %s", line)
		}
	}
}

// fullDiskSecret creates a client secret for u's project and reads it from the page
// that shows it once.
func fullDiskSecret(t *testing.T, ctx context.Context, u *stressUser) string {
	t.Helper()
	status, _, body, err := u.stressPost(ctx, "/projects/"+u.project+"/secrets", url.Values{
		"_csrf": {u.csrf}, "name": {"disk test"}, "expires_in_days": {"30"}, "form_token": {models.NewIdempotencyKey()},
	})
	if err != nil || status != http.StatusOK {
		t.Fatalf("creating a client secret: %d %v", status, err)
	}
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(d.Find(`[data-testid="secret"]`).Text())
	if secret == "" {
		t.Fatal("the secrets page shows no new secret")
	}
	return secret
}

// fullDiskToken asks for an access token for u's API with the client credentials grant
// and fails the test unless it gets one.
func fullDiskToken(t *testing.T, p *portal, u *stressUser, secret, when string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.URL+"/oauth/token", strings.NewReader(url.Values{
		"grant_type": {"client_credentials"}, "resource": {u.audience},
	}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(u.project), url.QueryEscape(secret))
	res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST /oauth/token %s: %v", when, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Errorf("POST /oauth/token %s: %s %s, want 200 with an access token", when, res.Status, body)
	}
}
