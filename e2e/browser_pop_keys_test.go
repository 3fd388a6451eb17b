package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPoPKey binds an API key to a public key in headless Chromium: on the
// project's API keys page Kim opens "Bind to a public key", pastes a PEM public key and
// creates the key; its page names the binding and shows the proof snippets; the keys
// table says "Bound to key …". The form with the binding open, the new key's page and
// the table fit at every width (screenshots at 1280 and 390 px with
// GATEHOUSE_E2E_SCREENSHOTS). No console error, no 5xx.
func TestBrowserPoPKey(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)
	b := newBrowser(t, chrome)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))

	b.open(t, p.URL+"/login", http.StatusOK)
	b.signInDev(t, "pia@example.com", "Pia Developer")
	b.do(t, "wait for the dashboard", chromedp.WaitVisible(chromedp.CSS(testid("dashboard"))))
	b.load(t, "open the first project", http.StatusOK, chromedp.Click(chromedp.CSS(testid("project-card")+" "+testid("project-link"))))
	b.do(t, "wait for the project page", chromedp.WaitVisible(chromedp.CSS(testid("project-name-heading"))))
	b.submit(t, "open the API keys tab", testid("tab-keys"), http.StatusOK)
	b.do(t, "open the binding and fill in the form",
		chromedp.Click(chromedp.CSS(testid("key-pop")+" summary")),
		chromedp.WaitVisible(chromedp.CSS(testid("key-public-key"))),
		chromedp.SendKeys(chromedp.CSS(testid("key-name")), "signed-calls"),
		chromedp.SetValue(chromedp.CSS(testid("key-public-key")), publicPEM),
	)
	checkFits(t, b, "pop-key-form")
	b.submit(t, "create the bound key", testid("create-key"), http.StatusOK)
	b.do(t, "wait for the new key", chromedp.WaitVisible(chromedp.CSS(testid("new-key-jkt"))))
	jkt := b.textContent(t, testid("new-key-jkt"))
	if len(jkt) != 43 {
		t.Fatalf("the new key's page names thumbprint %q, want 43 characters", jkt)
	}
	for _, id := range []string{"snippet-pop-env", "snippet-pop-node", "snippet-pop-python"} {
		if b.count(t, testid(id)) != 1 {
			t.Errorf("the new bound key's page has no %s", id)
		}
	}
	checkFits(t, b, "pop-key-created")
	b.open(t, strings.TrimSuffix(b.location(t).String(), b.location(t).Path)+b.attr(t, testid("shown-once-project"), "href")+"/keys", http.StatusOK)
	binding := strings.Join(strings.Fields(b.textContent(t, testid("key-binding"))), " ")
	if want := "Bound to key " + jkt[:8] + "…: a leaked key is useless without the private key"; binding != want {
		t.Errorf("the key's row: got %q, want %q", binding, want)
	}
	checkFits(t, b, "pop-key-list")
	b.checkConsole(t)
	expectNoServerErrors(t, p)
}
