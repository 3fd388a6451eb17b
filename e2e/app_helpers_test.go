package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// appServer is an app's redirect URI: a loopback server that answers with a page
// marked app-done and hands the first query it receives over to callback.
func appServer(t *testing.T) (app *httptest.Server, callback func() url.Values) {
	t.Helper()
	got := make(chan url.Values, 1)
	app = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>App</title><p data-testid="app-done">Signed in to the app.</p>`))
	}))
	t.Cleanup(app.Close)
	return app, func() url.Values {
		t.Helper()
		select {
		case q := <-got:
			return q
		case <-time.After(10 * time.Second):
			t.Fatal("the app received no callback")
			return nil
		}
	}
}

// delegateFirstScope opens the signed-in developer's team API and lets users delegate
// its first scope, returning the API's identifier and the scope.
func delegateFirstScope(t *testing.T, b *browser, p *portal) (identifier, scope string) {
	t.Helper()
	b.open(t, p.URL+"/apis", http.StatusOK)
	apiPath := b.attr(t, testid("my-api-link"), "href")
	identifier = b.text(t, testid("my-api-identifier"))
	b.open(t, p.URL+apiPath, http.StatusOK)
	scope = b.text(t, inScope(testid("scope-row"), testid("scope-name")))
	b.submit(t, "let users delegate "+scope, inScope(testid("scope-row"), testid("scope-delegation-toggle")), http.StatusOK)
	return identifier, scope
}

// allowInBrowser signs the browser, sent to an authorization URL, in as a user who
// allows the app on the consent page (after look, when not nil, looked at it), and
// returns the query the app received.
func allowInBrowser(t *testing.T, b *browser, authURL, email, name string, look func(), callback func() url.Values) url.Values {
	t.Helper()
	b.open(t, authURL, 0)
	b.signInDev(t, email, name)
	b.do(t, "wait for the consent page", chromedp.WaitVisible(chromedp.CSS(testid("consent-page"))))
	if look != nil {
		look()
	}
	b.submit(t, "allow", testid("consent-allow"), http.StatusOK)
	b.do(t, "wait for the app", chromedp.WaitVisible(chromedp.CSS(testid("app-done"))))
	return callback()
}
