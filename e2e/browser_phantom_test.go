package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAccessTokenFormat chooses reference tokens on a project's settings page in
// headless Chromium against the real binary: JWT is the default, the explanation is
// there, the choice is saved and shown checked again, and the settings fit at every
// width.
func TestBrowserAccessTokenFormat(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)
	b := newBrowser(t, chrome)
	b.open(t, p.URL+"/login", 0)
	b.signInDev(t, "phantom@example.com", "Pat Phantom")
	projectPath := b.attr(t, testid("project-link"), "href")
	b.open(t, p.URL+projectPath+"/settings", http.StatusOK)

	if n := b.count(t, testid("settings-format-jwt")+":checked"); n != 1 {
		t.Errorf("a new project's format: JWT checked %d times, want once", n)
	}
	if help := b.text(t, "#settings-token-format-help"); !strings.Contains(help, "outside your trust boundary") {
		t.Errorf("the format's explanation: %q", help)
	}
	b.do(t, "choose reference tokens", chromedp.Click(chromedp.CSS(testid("settings-format-reference"))))
	b.submit(t, "save the settings", testid("save-settings"), http.StatusOK)
	b.open(t, p.URL+projectPath+"/settings", http.StatusOK)
	if n := b.count(t, testid("settings-format-reference")+":checked"); n != 1 {
		t.Errorf("after saving: reference checked %d times, want once", n)
	}
	b.do(t, "show the format", chromedp.ScrollIntoView(chromedp.CSS(testid("settings-token-format"))))
	checkFits(t, b, "project-settings-token-format")
}
