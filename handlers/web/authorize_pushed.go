package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// pushedRequest returns the parameters of the pushed authorization request that q's
// request_uri names (RFC 9126 §4), and uses it up. q must carry the client_id that
// pushed it; every other parameter of q is ignored: the request is what was pushed,
// nothing the browser adds. An unknown, expired, used or another client's request_uri
// is an error page — its redirect URI is not to be trusted.
func (h *Handler) pushedRequest(c echo.Context, q url.Values) (url.Values, error) {
	if len(q["client_id"]) != 1 || q.Get("client_id") == "" {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The app's request names no client (client_id is missing or repeated). Go back to the app and try again.")
	}
	if len(q["request_uri"]) != 1 {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The app's request names more than one pushed request. Go back to the app and try again.")
	}
	raw, err := h.Store.TakePushedAuthorization(c.Request().Context(), q.Get("client_id"), q.Get("request_uri"))
	if errors.Is(err, store.ErrPushedAuthorizationUnusable) {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "This sign-in request has expired or was already used. Go back to the app and start again.")
	}
	if err != nil {
		return nil, err
	}
	return url.ParseQuery(raw)
}

// CheckPushedAuthorization validates a pushed authorization request (RFC 9126 §2.1)
// from the client p that pushed it, with the authorization endpoint's own checks in its
// order: the redirect URI, then the rest of the request, then what the client may ask
// for. What is wrong is a *models.OAuthError; a store outage is returned as it is.
func (h *Handler) CheckPushedAuthorization(ctx context.Context, p *models.Project, q url.Values) error {
	if len(q.Encode()) > maxAuthorizeQuery { // it is kept in the session while the user signs in
		return models.NewOAuthError(models.ErrCodeInvalidRequest, "the request is too long")
	}
	if !p.AllowsGrant(models.GrantAuthorizationCode) {
		return models.NewOAuthError(models.ErrCodeUnauthorizedClient, "this client may not use the authorization code grant")
	}
	redirect, ok := registeredRedirect(p, q)
	if !ok {
		return models.NewOAuthError(models.ErrCodeInvalidRequest, "redirect_uri is missing, repeated or not registered for this client")
	}
	req, _, err := readAuthorization(q, p, redirect)
	if err == nil {
		_, err = h.Store.PrepareAuthorization(ctx, p, req.Resources, req.Scope)
	}
	if err == nil {
		return nil
	}
	ae, ok := asAuthzError(err)
	if !ok {
		return err
	}
	return models.NewOAuthError(ae.code, ae.desc)
}
