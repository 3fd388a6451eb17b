package devoidc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Login follows an authorization URL (from oauth2.Config.AuthCodeURL) through the provider's
// login form as the given email and name using client (which must have a cookie jar or not
// need one), and returns the final redirect URL to the relying party's redirect URI
// (containing code and state) without requesting it. redirectPrefix is the RP redirect URI.
//
// A redirect counts as reaching the relying party when its URL without query
// and fragment starts with redirectPrefix. If the provider redirects there
// with an OAuth error instead of a code, Login returns that URL together
// with a non-nil error. client is copied, never modified; nil means
// http.DefaultClient. The provider (with this package's login form) may be
// served under any path.
func Login(ctx context.Context, client *http.Client, authURL, redirectPrefix, email, name string) (*url.URL, error) {
	if redirectPrefix == "" {
		return nil, errors.New("devoidc.Login: redirectPrefix is required")
	}
	if client == nil {
		client = http.DefaultClient
	}
	c := *client
	var final *url.URL
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if isRedirectTarget(req.URL, redirectPrefix) {
			final = req.URL
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}

	// authorize -> login page (or straight back to the RP with an error).
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, fmt.Errorf("devoidc.Login: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("devoidc.Login: authorize: %w", err)
	}
	body := readSnippet(resp)
	if final != nil {
		return final, redirectError(final)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("devoidc.Login: login page %s: status %d: %s", resp.Request.URL, resp.StatusCode, short(body))
	}
	loginURL := resp.Request.URL
	id := loginURL.Query().Get("authRequestID")
	if id == "" || !strings.Contains(body, `name="authRequestID"`) {
		return nil, fmt.Errorf("devoidc.Login: %s is not the development sign-in page: %s", loginURL, short(body))
	}

	// POST the form -> authorize callback -> RP redirect URI.
	form := url.Values{"authRequestID": {id}, "email": {email}, "name": {name}}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, loginURL.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("devoidc.Login: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("devoidc.Login: submit login form: %w", err)
	}
	body = readSnippet(resp)
	if final == nil {
		return nil, fmt.Errorf("devoidc.Login: login form did not redirect to %s: status %d at %s: %s",
			redirectPrefix, resp.StatusCode, resp.Request.URL, short(body))
	}
	return final, redirectError(final)
}

// isRedirectTarget reports whether u, without query and fragment, starts with prefix.
func isRedirectTarget(u *url.URL, prefix string) bool {
	base := *u
	base.RawQuery = ""
	base.Fragment = ""
	base.RawFragment = ""
	return strings.HasPrefix(base.String(), prefix)
}

// redirectError returns the OAuth error carried by a redirect to the RP, if any.
func redirectError(u *url.URL) error {
	q := u.Query()
	if e := q.Get("error"); e != "" {
		return fmt.Errorf("devoidc.Login: provider returned error %q: %s", e, q.Get("error_description"))
	}
	if q.Get("code") == "" {
		return fmt.Errorf("devoidc.Login: redirect %s carries no code", u.Redacted())
	}
	return nil
}

// readSnippet reads and closes the body, returning at most 64 KiB of it.
func readSnippet(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, resp.Body)
	return string(b)
}

// short shortens a response body for an error message.
func short(body string) string {
	const limit = 300
	body = strings.TrimSpace(body)
	if len(body) > limit {
		return body[:limit] + "…"
	}
	return body
}
