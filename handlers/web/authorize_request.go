package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// authzError is an RFC 6749 §4.1.2.1 error, sent back to the client's (registered)
// redirect URI.
type authzError struct{ code, desc string }

func (e *authzError) Error() string { return e.code + ": " + e.desc }

func invalidAuthz(desc string) *authzError { return &authzError{models.ErrCodeInvalidRequest, desc} }

// authorizationClient reads and checks client_id and redirect_uri before anything else:
// an unknown client, or a redirect URI that is missing, repeated or not registered for it
// exactly, is an error page (*echo.HTTPError). The browser is never sent to a URI the
// client did not register.
func (h *Handler) authorizationClient(c echo.Context, q url.Values) (*models.Project, string, error) {
	if len(q["client_id"]) != 1 || q.Get("client_id") == "" {
		return nil, "", echo.NewHTTPError(http.StatusBadRequest, "The app's request names no client (client_id is missing or repeated). Go back to the app and try again.")
	}
	p, err := h.Store.AuthorizationClient(c.Request().Context(), q.Get("client_id"))
	if errors.Is(err, models.ErrNotFound) || (err == nil && !p.AllowsGrant(models.GrantAuthorizationCode)) {
		return nil, "", echo.NewHTTPError(http.StatusBadRequest, "The app's request names a client that does not exist or may not ask users for access. Tell the app's developers.")
	}
	if err != nil {
		return nil, "", err
	}
	redirect, ok := registeredRedirect(p, q)
	if !ok {
		return nil, "", echo.NewHTTPError(http.StatusBadRequest, "The app's request names a redirect URI that is not registered for it, so Gatehouse will not send you there. Tell the app's developers.")
	}
	return p, redirect, nil
}

// registeredRedirect returns q's redirect_uri when it is sent once and registered for p
// exactly.
func registeredRedirect(p *models.Project, q url.Values) (string, bool) {
	redirect := q.Get("redirect_uri")
	return redirect, len(q["redirect_uri"]) == 1 && redirect != "" && p.MatchesRedirectURI(redirect)
}

// readAuthorization checks the rest of the request, once the redirect URI is known to
// be the client's: errors from here on go back to it.
func readAuthorization(q url.Values, p *models.Project, redirect string) (*models.AuthorizationRequest, int, error) {
	req := &models.AuthorizationRequest{ClientID: p.ID, RedirectURI: redirect, State: q.Get("state"), Resources: q["resource"],
		CodeChallenge: q.Get("code_challenge"), Scope: q.Get("scope"), Prompt: q.Get("prompt"), LoginHint: q.Get("login_hint"),
		Nonce: q.Get("nonce"), ACRValues: strings.Fields(q.Get("acr_values")), DPoPJKT: q.Get("dpop_jkt")}
	maxAge := -1
	for k, v := range q {
		if len(v) > 1 && k != "resource" {
			return req, 0, invalidAuthz("the parameter " + models.QuoteForError(k) + " is repeated")
		}
	}
	switch rt := q.Get("response_type"); {
	case rt == "":
		return req, 0, invalidAuthz("response_type is required")
	case rt != "code":
		return req, 0, &authzError{"unsupported_response_type", "only response_type=code is supported"}
	}
	switch {
	case len(req.State) > 1024:
		return req, 0, invalidAuthz("state is longer than 1024 characters")
	case req.CodeChallenge == "" || q.Get("code_challenge_method") == "":
		return req, 0, invalidAuthz("PKCE is required: send code_challenge with code_challenge_method=S256")
	case q.Get("code_challenge_method") != "S256":
		return req, 0, invalidAuthz("code_challenge_method must be S256")
	case len(req.CodeChallenge) != 43 || strings.Trim(req.CodeChallenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "":
		return req, 0, invalidAuthz("code_challenge must be the base64url SHA-256 of the code verifier (43 characters)")
	case q.Has("request") || q.Has("request_uri"):
		return req, 0, &authzError{"request_not_supported", "request objects are not supported"}
	}
	switch {
	case len(req.Nonce) > 512:
		return req, 0, invalidAuthz("nonce is longer than 512 characters")
	case len(req.ACRValues) > 10 || len(q.Get("acr_values")) > 1024:
		return req, 0, invalidAuthz("acr_values names more than 10 values or is longer than 1024 characters")
	case q.Has("dpop_jkt") && !models.ValidThumbprint(req.DPoPJKT):
		return req, 0, invalidAuthz("dpop_jkt must be the base64url SHA-256 JWK thumbprint (RFC 7638) of the DPoP key: 43 characters")
	}
	switch req.Prompt {
	case "", "none", "login", "consent":
	default:
		return req, 0, invalidAuthz("prompt must be none, login or consent")
	}
	if v := q.Get("max_age"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return req, 0, invalidAuthz("max_age must be a number of seconds")
		}
		maxAge = n
	}
	return req, maxAge, nil
}

// redirectBack sends the browser to the client's redirect URI with params, the state
// and iss (RFC 9207: which authorization server answered, against mix-up attacks).
func (h *Handler) redirectBack(c echo.Context, status int, req *models.AuthorizationRequest, params url.Values) error {
	u, err := url.Parse(req.RedirectURI)
	if err != nil {
		return err
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if req.State != "" {
		q.Set("state", req.State)
	}
	q.Set("iss", h.Cfg.BaseURL.String())
	u.RawQuery = q.Encode()
	return c.Redirect(status, u.String())
}

// redirectError sends an authorization error back to the client; a store error that is
// not the client's (an outage) is returned instead.
func (h *Handler) redirectError(c echo.Context, status int, req *models.AuthorizationRequest, err error) error {
	ae, ok := asAuthzError(err)
	if !ok {
		return err
	}
	return h.redirectBack(c, status, req, url.Values{"error": {ae.code}, "error_description": {ae.desc}})
}

// asAuthzError is the authorization error err tells the client about: an *authzError,
// or a store's OAuth error (unauthorized_client, invalid_scope and invalid_target as
// they are, any other as invalid_request). False for an error that is not the
// client's (an outage).
func asAuthzError(err error) (*authzError, bool) {
	var ae *authzError
	var oe *models.OAuthError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &oe):
		ae = &authzError{oe.Code, oe.Description}
		if oe.Code == models.ErrCodeUnauthorizedClient || oe.Code == models.ErrCodeInvalidScope || oe.Code == models.ErrCodeInvalidTarget {
			break
		}
		ae.code = models.ErrCodeInvalidRequest
	default:
		return nil, false
	}
	return ae, true
}

// formActionFor is the CSP source that lets the consent form's answer be redirected to
// the client: the redirect URI's origin (scheme and authority), or its private-use
// scheme. "" when the URI has characters a CSP source must not hold.
func formActionFor(redirect string) string {
	u, err := url.Parse(redirect)
	if err != nil {
		return ""
	}
	src := u.Scheme + ":"
	if u.Host != "" {
		src = u.Scheme + "://" + u.Host
	}
	if strings.Trim(strings.ToLower(src), "abcdefghijklmnopqrstuvwxyz0123456789.-+:/[]") != "" {
		return ""
	}
	return src
}
