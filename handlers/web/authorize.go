package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// maxAuthorizeQuery bounds an authorization request's query string.
const maxAuthorizeQuery = 8192

// authorize handles "GET /oauth/authorize", the authorization endpoint (RFC 6749
// §4.1.1 with PKCE, RFC 7636; resource, RFC 8707). client_id and redirect_uri are
// checked first, and a failure there is an error page; every later error goes back to
// the registered redirect URI. A visitor who is not signed in (or must sign in again:
// prompt=login, max_age) goes through the portal's sign-in, the request waiting in the
// session; a user who already allowed what is asked gets a code at once (unless
// prompt=consent), anyone else the consent page. With request_uri, the request is the
// one the client pushed (authorize_pushed.go).
func (h *Handler) authorize(c echo.Context) error {
	httpx.NoStore(c)
	if len(c.Request().URL.RawQuery) > maxAuthorizeQuery { // it is kept in the session while the user signs in
		return echo.NewHTTPError(http.StatusBadRequest, "The app's request is too long. Tell the app's developers.")
	}
	q := c.Request().URL.Query()
	resumed := false
	if id := q.Get("resume"); id != "" && len(q) == 1 {
		raw, ok, err := h.takePending(c, id)
		if err != nil {
			return err
		}
		if !ok {
			return echo.NewHTTPError(http.StatusBadRequest, "This sign-in request has expired or was already used. Go back to the app and start again.")
		}
		if q, err = url.ParseQuery(raw); err != nil {
			return err
		}
		resumed = true
	}
	pushed := false
	if !resumed && q.Has("request_uri") { // RFC 9126 §4: the request is the pushed one
		var err error
		if q, err = h.pushedRequest(c, q); err != nil {
			return err
		}
		pushed = true
	}
	p, redirect, err := h.authorizationClient(c, q)
	if err != nil {
		return err
	}
	req, maxAge, err := readAuthorization(q, p, redirect)
	if err == nil && p.RequirePushedAuthorization && !pushed && !resumed {
		err = invalidAuthz("this client must push its authorization requests to " + h.Cfg.BaseURL.JoinPath(views.PushedAuthorizationPath()).String() + " first (RFC 9126)")
	}
	if err != nil {
		return h.redirectError(c, http.StatusFound, req, err)
	}
	ctx := c.Request().Context()
	a, err := h.Store.PrepareAuthorization(ctx, p, req.Resources, req.Scope)
	if err != nil {
		return h.redirectError(c, http.StatusFound, req, err)
	}
	u := currentUser(c)
	how := h.authContext(c)
	// A fresh sign-in at the provider: prompt=login, an older sign-in than max_age
	// allows, or an authentication context the client asked for (acr_values) that the
	// session's is not. Once: what the provider answers then is what the tokens say.
	stale := req.Prompt == "login" || (maxAge >= 0 && h.Store.Now().Sub(how.AuthTime) > time.Duration(maxAge)*time.Second) ||
		(len(req.ACRValues) > 0 && !slices.Contains(req.ACRValues, how.ACR))
	if u == nil || (stale && !resumed) {
		if req.Prompt == "none" {
			return h.redirectError(c, http.StatusFound, req, &authzError{"login_required", "the user must sign in"})
		}
		id, err := h.keepPending(c, q.Encode(), u != nil, req)
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, views.LoginPath(views.AuthorizeResumePath(id)))
	}
	if ok, err := h.Store.MayDelegate(ctx, u.ID, a.APIID); err != nil {
		return err
	} else if !ok {
		return h.redirectError(c, http.StatusFound, req, &authzError{"access_denied",
			"only members of the teams " + a.APIName + " names may let apps act for them on it"})
	}
	if req.Prompt != "consent" {
		ok, err := h.Store.ConsentCovers(ctx, u.ID, p.ID, a.APIID, a.ConsentScopes())
		if err != nil {
			return err
		}
		if ok {
			return h.issueCode(c, http.StatusFound, req, a, u, how)
		}
	}
	if req.Prompt == "none" {
		return h.redirectError(c, http.StatusFound, req, &authzError{"consent_required", "the user has not allowed this app these permissions"})
	}
	id, err := h.keepPending(c, q.Encode(), false, nil)
	if err != nil {
		return err
	}
	return h.renderConsent(c, id, req, a, u)
}

// renderConsent shows the consent page. Besides the layout's headers (no framing:
// X-Frame-Options DENY, frame-ancestors 'none'), its CSP lets the form's answer be
// redirected to the client's redirect URI and nowhere else.
func (h *Handler) renderConsent(c echo.Context, id string, req *models.AuthorizationRequest, a *models.Authorization, u *models.User) error {
	hd := c.Response().Header()
	if src := formActionFor(req.RedirectURI); src != "" {
		hd.Set("Content-Security-Policy", strings.Replace(hd.Get("Content-Security-Policy"), "form-action 'self'", "form-action 'self' "+src, 1))
	}
	to := req.RedirectURI
	if i := strings.IndexByte(to, '?'); i >= 0 {
		to = to[:i]
	}
	vm := views.ConsentVM{RequestID: id, AppName: a.Project.Name, TeamName: a.TeamName, APIName: a.APIName,
		APIIdentifier: a.APIIdentifier, RedirectTo: to, UserLabel: u.DisplayName()}
	for _, s := range a.Scopes {
		vm.Scopes = append(vm.Scopes, views.ConsentScope{Name: s.Name, Description: s.Description})
	}
	for _, name := range a.Identity {
		vm.Identity = append(vm.Identity, views.ConsentScope{Name: name, Description: views.IdentityScopeDescription(name)})
	}
	if a.Has(models.ScopeOfflineAccess) && a.APIID != "" {
		var err error
		if vm.VaultKept, vm.VaultServices, err = h.Store.VaultAtConsent(c.Request().Context(), a.Project.ID, a.APIID); err != nil {
			return err
		}
	}
	return httpx.Render(c, http.StatusOK, views.ConsentPage(h.page(c, "Allow "+a.Project.Name+"?"), vm))
}

// issueCode records a code for what the user allowed and sends it back to the client
// with the state and iss.
func (h *Handler) issueCode(c echo.Context, status int, req *models.AuthorizationRequest, a *models.Authorization, u *models.User, how models.AuthContext) error {
	code, err := h.Store.IssueAuthorizationCode(c.Request().Context(), a, req, u.ID, how)
	if err != nil {
		return err
	}
	return h.redirectBack(c, status, req, url.Values{"code": {code}})
}

// decideConsent handles "POST /oauth/consent": the signed-in user's answer on the
// consent page (CSRF-checked). The request it answers is the one the session keeps,
// checked again now; Deny sends access_denied back, Allow remembers the consent and
// sends a code.
func (h *Handler) decideConsent(c echo.Context) error {
	httpx.NoStore(c)
	raw, ok, err := h.takePending(c, c.FormValue("request"))
	if err != nil {
		return err
	}
	if !ok {
		return echo.NewHTTPError(http.StatusBadRequest, "This request has expired or was already answered. Go back to the app and start again.")
	}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return err
	}
	p, redirect, err := h.authorizationClient(c, q)
	if err != nil {
		return err
	}
	req, _, err := readAuthorization(q, p, redirect)
	if err != nil {
		return h.redirectError(c, http.StatusSeeOther, req, err)
	}
	ctx := c.Request().Context()
	a, err := h.Store.PrepareAuthorization(ctx, p, req.Resources, req.Scope)
	if err != nil {
		return h.redirectError(c, http.StatusSeeOther, req, err)
	}
	if c.FormValue("decision") != "allow" {
		return h.redirectError(c, http.StatusSeeOther, req, &authzError{"access_denied", "the user denied the request"})
	}
	u := currentUser(c)
	if ok, err := h.Store.MayDelegate(ctx, u.ID, a.APIID); err != nil {
		return err
	} else if !ok {
		return h.redirectError(c, http.StatusSeeOther, req, &authzError{"access_denied",
			"only members of the teams " + a.APIName + " names may let apps act for them on it"})
	}
	if err := h.Store.SaveConsent(ctx, actor(c), p.ID, a.APIID, a.ConsentScopes()); err != nil {
		return err
	}
	return h.issueCode(c, http.StatusSeeOther, req, a, u, h.authContext(c))
}
