package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// loginTTL bounds how long a sign-in attempt may take at the provider.
const loginTTL = 10 * 60 // seconds

// startLogin handles "GET /login": it binds a fresh state, nonce and PKCE verifier to
// the (pre-login) session and sends the browser to the identity provider.
func (h *Handler) startLogin(c echo.Context) error {
	returnTo := safeReturnTo(c.QueryParam("return_to"))
	reauth := h.reauthRequested(c) // an app asked for a fresh sign-in (prompt=login, max_age)
	if currentUser(c) != nil && !reauth {
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
	hint, _ := s.Values[keyLoginHint].(string)
	acrValues, _ := s.Values[keyACRValues].(string)
	delete(s.Values, keyReauth) // asked once
	delete(s.Values, keyLoginHint)
	delete(s.Values, keyACRValues)
	if _, ok := s.Values[keyCSRF]; !ok {
		s.Values[keyCSRF] = randomString()
	}
	if err := h.saveSession(c, s); err != nil {
		return err
	}
	httpx.NoStore(c)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)}
	if hint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", hint))
	}
	if reauth {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0"))
	}
	if acrValues != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", acrValues))
	}
	return c.Redirect(http.StatusFound, oauth.AuthCodeURL(state, opts...))
}

// renderSignIn renders the sign-in page with an optional error. When returnTo is an
// invitation link that can still be accepted, the page names the invitation.
func (h *Handler) renderSignIn(c echo.Context, status int, returnTo, msg string) error {
	name := h.Cfg.OIDC.DisplayName
	if name == "" {
		name = "your company account"
	}
	if returnTo == "/" {
		returnTo = ""
	}
	vm := views.SignInVM{ProviderName: name, ReturnTo: returnTo, Error: msg, Invitation: h.pendingInvitation(c, returnTo)}
	httpx.NoStore(c)
	return httpx.Render(c, status, views.SignInPage(h.page(c, "Sign in"), vm))
}

// pendingInvitation returns what the sign-in page tells about the invitation returnTo
// leads to: its inviter, team and role while it can be accepted (one indexed query, by
// the token's hash). A link that is used, expired, revoked, withdrawn or unknown gets
// nil, so the page is the plain sign-in page and tells none of them apart. The token
// is never logged.
func (h *Handler) pendingInvitation(c echo.Context, returnTo string) *views.SignInInvitation {
	token, ok := invitationToken(returnTo)
	if !ok {
		return nil
	}
	info, err := h.Store.InvitationByToken(c.Request().Context(), token)
	if err != nil {
		if !errors.Is(err, models.ErrNotFound) {
			h.Log.Warn("sign-in page: looking up the invitation it returns to failed; showing the plain page", "error", err.Error())
		}
		return nil
	}
	if info.PageState(h.Store.Now()) != models.InviteOpen {
		return nil
	}
	by := info.CreatedByName
	if by == "" {
		by = info.CreatedByLabel
	}
	return &views.SignInInvitation{InvitedBy: by, TeamName: info.TeamName, Role: string(info.Role)}
}

// invitationToken returns the token of an invitation link's path (the page
// "GET /invitations/:token"), and false for any other return path.
func invitationToken(returnTo string) (string, bool) {
	u, err := url.Parse(returnTo)
	if err != nil {
		return "", false
	}
	rest, ok := strings.CutPrefix(u.EscapedPath(), "/invitations/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	token, err := url.PathUnescape(rest)
	if err != nil || token == "" {
		return "", false
	}
	return token, true
}

// randomString returns 256 random bits, base64url-encoded.
func randomString() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
