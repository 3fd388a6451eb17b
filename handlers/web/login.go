package web

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/views"
)

// loginTTL bounds how long a sign-in attempt may take at the provider.
const loginTTL = 10 * 60 // seconds

// startLogin handles "GET /login": it binds a fresh state, nonce and PKCE verifier to
// the (pre-login) session and sends the browser to the identity provider.
func (h *Handler) startLogin(c echo.Context) error {
	returnTo := safeReturnTo(c.QueryParam("return_to"))
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, returnTo)
	}
	oauth, _, err := h.auth.setup(c.Request().Context())
	if err != nil {
		h.Log.Error("identity provider unavailable", "error", err.Error())
		return h.renderSignIn(c, http.StatusServiceUnavailable, returnTo,
			"The sign-in provider cannot be reached right now. Try again in a moment.")
	}
	s, err := h.session(c)
	if err != nil {
		return err
	}
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	s.Values[keyState] = state
	s.Values[keyNonce] = nonce
	s.Values[keyVerifier] = verifier
	s.Values[keyReturnTo] = returnTo
	s.Values[keyStarted] = strconv.FormatInt(h.Store.Now().Unix(), 10)
	if _, ok := s.Values[keyCSRF]; !ok {
		s.Values[keyCSRF] = randomString()
	}
	if err := h.saveSession(c, s); err != nil {
		return err
	}
	httpx.NoStore(c)
	return c.Redirect(http.StatusFound, oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
}

// renderSignIn renders the sign-in page with an optional error.
func (h *Handler) renderSignIn(c echo.Context, status int, returnTo, msg string) error {
	name := h.Cfg.OIDC.DisplayName
	if name == "" {
		name = "your company account"
	}
	if returnTo == "/" {
		returnTo = ""
	}
	httpx.NoStore(c)
	return httpx.Render(c, status, views.SignInPage(h.page(c, "Sign in"), views.SignInVM{ProviderName: name, ReturnTo: returnTo, Error: msg}))
}

// randomString returns 256 random bits, base64url-encoded.
func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
