package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// newOAuthError is a refusal the client reads: models.OAuthError is the one OAuth error
// type, wherever it is raised (here, in the store, in a grant).
func newOAuthError(code, desc string) *models.OAuthError { return models.NewOAuthError(code, desc) }

// oauthStatus is the status an OAuth error is answered with (RFC 6749 §5.2: 400, or
// 401 for invalid_client; 429 when throttled, 503 when the database is unreachable).
func oauthStatus(e *models.OAuthError) int {
	switch {
	case e.Code == models.ErrCodeInvalidClient:
		return http.StatusUnauthorized
	case e.Throttled:
		return http.StatusTooManyRequests
	case e.Code == models.ErrCodeTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// writeOAuthError answers with the exact JSON body {"error": …, "error_description": …}.
// Errors that are not the client's (a database outage aside) go to handleError: 500.
func writeOAuthError(c echo.Context, err error) error {
	var oe *models.OAuthError
	switch {
	case errors.As(err, &oe):
	case errors.Is(err, models.ErrUnavailable):
		oe = &models.OAuthError{Code: models.ErrCodeTemporarilyUnavailable,
			Description: "the authorization server cannot reach its database; retry shortly", RetryAfter: 5 * time.Second}
	default:
		return err
	}
	status := oauthStatus(oe)
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Basic realm="gatehouse", charset="UTF-8"`)
	}
	if oe.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(oe.RetryAfter.Seconds()))))
	}
	return c.JSON(status, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{oe.Code, oe.Description})
}

// oauthForm parses a POSTed application/x-www-form-urlencoded body. It refuses other
// content types, credentials in the query string and repeated parameters (RFC 6749 §3.2).
func oauthForm(c echo.Context) (url.Values, error) {
	r := c.Request()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return nil, newOAuthError(models.ErrCodeInvalidRequest, "the body must be application/x-www-form-urlencoded")
	}
	if r.URL.RawQuery != "" {
		return nil, newOAuthError(models.ErrCodeInvalidRequest, "parameters (and credentials) must not be sent in the query string")
	}
	if err := r.ParseForm(); err != nil {
		return nil, newOAuthError(models.ErrCodeInvalidRequest, "the body is not a valid form")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 && k != "resource" {
			return nil, newOAuthError(models.ErrCodeInvalidRequest, "the parameter "+k+" is repeated")
		}
	}
	return r.PostForm, nil
}

// clientCredentials reads client_secret_basic or client_secret_post credentials. Basic
// credentials are form-urlencoded before base64 (RFC 6749 §2.3.1), so they are
// decoded. Using both methods at once is invalid_request.
func clientCredentials(c echo.Context, form url.Values) (id, secret string, basic bool, err error) {
	auth := c.Request().Header.Get("Authorization")
	postID, postSecret := form.Get("client_id"), form.Get("client_secret")
	if auth != "" {
		scheme, payload, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return "", "", false, newOAuthError(models.ErrCodeInvalidRequest, "only the Basic authorization scheme is supported here")
		}
		raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
		user, pass, ok := strings.Cut(string(raw), ":")
		if derr != nil || !ok {
			return "", "", true, newOAuthError(models.ErrCodeInvalidClient, "malformed Basic credentials")
		}
		if id, err = url.QueryUnescape(user); err == nil {
			secret, err = url.QueryUnescape(pass)
		}
		if err != nil {
			return "", "", true, newOAuthError(models.ErrCodeInvalidClient, "Basic credentials must be form-urlencoded")
		}
		if postSecret != "" || (postID != "" && postID != id) {
			return "", "", true, newOAuthError(models.ErrCodeInvalidRequest, "use one client authentication method, not both")
		}
		return id, secret, true, nil
	}
	if postID == "" || postSecret == "" {
		return "", "", false, newOAuthError(models.ErrCodeInvalidClient,
			"client authentication is required (client_secret_basic or client_secret_post)")
	}
	return postID, postSecret, false, nil
}

// authenticateClient authenticates the calling project by client secret (Basic or post),
// by a signed client assertion (private_key_jwt) or, for a request naming only its
// client_id, by its TLS client certificate (tls_client_auth and
// self_signed_tls_client_auth, mtls.go). The credential is checked first and
// a correct one is always accepted: a client_id is public, so nobody else's failures may
// lock its owner out. Failures are counted per (client, source address) and per source
// address, across instances; a source over either limit gets 429 with Retry-After for
// its failed attempts, which slows only the guesser. Without any client authentication
// it answers invalid_client, unless optional is set (the JWT bearer grant, whose
// assertion authenticates) — then it returns nil, nil.
func (h *Handler) authenticateClient(c echo.Context, form url.Values, optional bool) (*models.Project, error) {
	ctx := c.Request().Context()
	ip := c.RealIP()
	assertionType, assertion := form.Get("client_assertion_type"), form.Get("client_assertion")
	var (
		id, secret string
		err        error
	)
	if assertion == "" && assertionType == "" && form.Get("client_secret") == "" && c.Request().Header.Get("Authorization") == "" &&
		form.Get("client_id") != "" {
		p, err := h.authenticateCertificate(c, form.Get("client_id"))
		var oe *models.OAuthError
		switch {
		case err == nil:
			return p, nil
		case errors.As(err, &oe) && oe.Code == models.ErrCodeInvalidClient:
			return nil, h.refuse(ctx, form.Get("client_id"), ip, err)
		case !errors.Is(err, store.ErrNoCertificateMethod):
			return nil, err
		}
	}
	switch {
	case assertionType != "" || assertion != "":
		if c.Request().Header.Get("Authorization") != "" || form.Get("client_secret") != "" {
			return nil, newOAuthError(models.ErrCodeInvalidRequest, "use one client authentication method, not both")
		}
		if assertionType != models.ClientAssertionType || assertion == "" {
			return nil, newOAuthError(models.ErrCodeInvalidRequest,
				"client_assertion_type must be "+models.ClientAssertionType+" with a client_assertion")
		}
		if id = form.Get("client_id"); id == "" {
			// client_id is optional with an assertion: count failures against the client
			// the assertion claims to be (its iss, unverified), not one shared bucket.
			id = models.AssertionIssuer(assertion)
		}
	case optional && c.Request().Header.Get("Authorization") == "" && form.Get("client_secret") == "":
		return nil, nil
	default:
		if id, secret, _, err = clientCredentials(c, form); err != nil {
			var oe *models.OAuthError
			if errors.As(err, &oe) && oe.Code == models.ErrCodeInvalidClient {
				return nil, h.refuse(ctx, "", ip, err)
			}
			return nil, err
		}
	}
	var p *models.Project
	if assertion != "" {
		aud := h.assertionAudiences()
		if c.Path() == parPath { // RFC 9126 §2: the PAR endpoint's URL identifies the server too
			aud = append(aud, h.Cfg.BaseURL.JoinPath(parPath).String())
		}
		p, err = h.Store.VerifyAssertion(ctx, assertion, id, aud, models.ForClientAuth)
	} else {
		p, err = h.Store.AuthenticateClient(ctx, id, secret)
	}
	if err != nil {
		var me *models.OAuthError
		if errors.As(err, &me) {
			return nil, h.refuse(ctx, id, ip, err)
		}
		return nil, err
	}
	return p, nil
}

// refuse answers a failed authentication from ip (claiming clientID, when known): 429
// with Retry-After when that source is already over a limit (nothing more is counted),
// else the failure itself, counted against the (client, source) pair and the source.
func (h *Handler) refuse(ctx context.Context, clientID, ip string, failure error) error {
	keys := []string{"ip:" + ip}
	limits := []int{h.Cfg.AuthFailuresPerIP}
	if clientID != "" {
		if len(clientID) > 64 { // any text a caller sends: bound the counter's key
			clientID = clientID[:64]
		}
		keys = append(keys, "client:"+clientID+"@"+ip)
		limits = append(limits, h.Cfg.AuthFailuresPerClient)
	}
	h.Metrics.AuthFailed.Inc()
	if err := h.throttled(keys...); err != nil {
		h.Metrics.Throttled.Inc()
		return err
	}
	for i, k := range keys {
		h.recordFailure(ctx, k, limits[i])
	}
	return failure
}

// throttled answers 429 when any of keys is blocked.
func (h *Handler) throttled(keys ...string) error {
	for _, key := range keys {
		if wait := h.limiter.wait(key); wait > 0 {
			secs := int(math.Ceil(wait.Seconds()))
			return &models.OAuthError{Code: models.ErrCodeTemporarilyUnavailable, Throttled: true,
				RetryAfter:  time.Duration(secs) * time.Second,
				Description: fmt.Sprintf("too many failed authentication attempts from this address; retry after %d seconds", secs)}
		}
	}
	return nil
}

// assertionAudiences are the aud values a client assertion may name: the token endpoint
// and the issuer.
func (h *Handler) assertionAudiences() []string {
	return []string{h.Cfg.BaseURL.JoinPath("/oauth/token").String(), h.Cfg.BaseURL.String()}
}

// recordFailure counts a failed authentication; a failure to count is logged, not fatal.
func (h *Handler) recordFailure(ctx context.Context, key string, limit int) {
	if err := h.limiter.fail(ctx, key, limit); err != nil {
		h.Log.Warn("counting a failed client authentication failed", "error", err.Error())
	}
}
