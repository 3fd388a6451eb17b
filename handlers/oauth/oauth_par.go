package oauth

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// parPath is the pushed authorization request endpoint.
const parPath = "/oauth/par"

// maxPushedBody bounds a pushed authorization request's body: the request itself (at
// most 8 KiB once validated) and a client assertion.
const maxPushedBody = 16 << 10

// parResponse is RFC 9126 §2.2's successful response.
type parResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int    `json:"expires_in"`
}

// pushAuthorization handles "POST /oauth/par", the pushed authorization request
// endpoint (RFC 9126). The client authenticates as at the token endpoint (a public
// client sends its client_id alone), with the same throttling of failures; the request's
// parameters are checked as the authorization endpoint checks them (CheckAuthorization)
// and kept for PushedAuthorizationTTL under a request_uri the browser then brings to
// /oauth/authorize. Errors are JSON, as at the token endpoint (§2.3). A DPoP proof on
// the request (RFC 9449 §10.1) binds the code to its key, as dpop_jkt does; with both,
// they must name the same key.
func (h *Handler) pushAuthorization(c echo.Context) error {
	r := c.Request()
	if r.ContentLength > maxPushedBody {
		return writeOAuthError(c, newOAuthError(models.ErrCodeInvalidRequest, "the request is too large"))
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, maxPushedBody)
	form, err := oauthForm(c)
	if err != nil {
		return writeOAuthError(c, err)
	}
	p, err := h.authenticateClient(c, form, true)
	if err == nil && p == nil {
		p, err = h.publicClient(c, form.Get("client_id"))
	}
	if err != nil {
		return writeOAuthError(c, err)
	}
	if id := form.Get("client_id"); id != "" && id != p.ID {
		return writeOAuthError(c, newOAuthError(models.ErrCodeInvalidRequest, "client_id is not the authenticated client"))
	}
	switch {
	case form.Has("request_uri"):
		return writeOAuthError(c, newOAuthError(models.ErrCodeInvalidRequest, "request_uri may not be pushed: push the request's parameters"))
	case form.Has("request"):
		return writeOAuthError(c, newOAuthError(models.ErrCodeRequestNotSupported, "request objects are not supported"))
	}
	// What is kept is the authorization request: the client authentication goes.
	for _, k := range []string{"client_secret", "client_assertion", "client_assertion_type"} {
		form.Del(k)
	}
	form.Set("client_id", p.ID)
	h.setDPoPNonce(c)
	jkt, err := h.requestProof(c, parPath)
	if err != nil {
		return writeOAuthError(c, err)
	}
	if jkt != "" {
		if form.Has("dpop_jkt") && (len(form["dpop_jkt"]) != 1 || form.Get("dpop_jkt") != jkt) {
			return writeOAuthError(c, newOAuthError(models.ErrCodeInvalidDPoPProof, "dpop_jkt names another key than the DPoP proof's"))
		}
		form.Set("dpop_jkt", jkt)
	}
	ctx := r.Context()
	if err := h.CheckAuthorization(ctx, p, form); err != nil {
		return writeOAuthError(c, err)
	}
	uri, err := h.Store.PushAuthorization(ctx, p.ID, form.Encode())
	if err != nil {
		return writeOAuthError(c, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	return c.JSON(http.StatusCreated, parResponse{RequestURI: uri, ExpiresIn: int(models.PushedAuthorizationTTL.Seconds())})
}

// publicClient authenticates a client that sent only its client_id: a public client
// (invalid_client for any other, counted as a failed authentication).
func (h *Handler) publicClient(c echo.Context, id string) (*models.Project, error) {
	ctx := c.Request().Context()
	if id == "" {
		return nil, h.refuse(ctx, "", c.RealIP(), newOAuthError(models.ErrCodeInvalidClient,
			"client authentication is required (a public client sends its client_id)"))
	}
	p, err := h.Store.PublicClient(ctx, id)
	var oe *models.OAuthError
	if errors.As(err, &oe) {
		return nil, h.refuse(ctx, id, c.RealIP(), err)
	}
	return p, err
}
