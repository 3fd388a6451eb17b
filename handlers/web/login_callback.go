package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
)

// errSignIn is a sign-in failure whose message the user may read.
type errSignIn struct{ msg string }

func (e errSignIn) Error() string { return e.msg }

// finishLogin handles "GET /auth/callback": it checks the state against the pre-login
// session (constant time, single use), redeems the code with the PKCE verifier,
// verifies the ID token (signature, issuer, audience, expiry, nonce), signs the user in
// or up, and rotates the session id.
func (h *Handler) finishLogin(c echo.Context) error {
	httpx.NoStore(c)
	s, err := h.session(c)
	if err != nil {
		return err
	}
	state, _ := s.Values[keyState].(string)
	nonce, _ := s.Values[keyNonce].(string)
	verifier, _ := s.Values[keyVerifier].(string)
	returnTo, _ := s.Values[keyReturnTo].(string)
	started, _ := strconv.ParseInt(fmt.Sprint(s.Values[keyStarted]), 10, 64)
	// The attempt is single use: whatever happens next, a replayed callback finds nothing.
	for _, k := range []string{keyState, keyNonce, keyVerifier, keyReturnTo, keyStarted} {
		delete(s.Values, k)
	}
	if state != "" {
		if err := h.saveSession(c, s); err != nil {
			return err
		}
	}

	id, err := h.redeem(c, state, nonce, verifier, started)
	if err != nil {
		var se errSignIn
		if errors.As(err, &se) {
			h.Log.Warn("sign-in rejected", "reason", se.msg, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
			return h.renderSignIn(c, http.StatusBadRequest, "", se.msg)
		}
		return err
	}
	user, _, err := h.Store.SignIn(c.Request().Context(), id)
	if err != nil {
		return err
	}
	// An authorization request waiting for this sign-in carries on in the new session.
	if err := h.sessions.Renew(c.Request(), s, keyAuthorize); err != nil {
		return err
	}
	s.Values[keyUserID] = user.ID
	s.Values[keyCSRF] = randomString()
	// How the provider says the user authenticated, for the step-up context of the
	// tokens apps get for them.
	if !id.AuthTime.IsZero() {
		s.Values[keyUpstreamAuthTime] = strconv.FormatInt(id.AuthTime.Unix(), 10)
	}
	if id.ACR != "" {
		s.Values[keyACR] = id.ACR
	}
	if len(id.AMR) > 0 {
		s.Values[keyAMR] = strings.Join(id.AMR, " ")
	}
	if err := h.saveSession(c, s); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeReturnTo(returnTo))
}

// redeem turns the callback's code into a verified identity, or an errSignIn.
func (h *Handler) redeem(c echo.Context, state, nonce, verifier string, started int64) (models.Identity, error) {
	q := c.Request().URL.Query()
	if state == "" {
		return models.Identity{}, errSignIn{"This sign-in link has already been used or was started in another browser. Sign in again."}
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
		return models.Identity{}, errSignIn{"The sign-in response did not match this browser's sign-in attempt. Sign in again."}
	}
	if h.Store.Now().Unix()-started > loginTTL {
		return models.Identity{}, errSignIn{"The sign-in attempt took too long. Sign in again."}
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return models.Identity{}, errSignIn{"Sign-in was cancelled at the identity provider."}
		}
		return models.Identity{}, errSignIn{"The identity provider refused the sign-in (" + truncateASCII(e, 64) + ")."}
	}
	code := q.Get("code")
	if code == "" {
		return models.Identity{}, errSignIn{"The sign-in response carried no authorization code. Sign in again."}
	}
	oauth, verify, err := h.auth.setup(c.Request().Context())
	if err != nil {
		return models.Identity{}, err
	}
	ctx, cancel := context.WithTimeout(h.auth.context(c.Request().Context()), 15*time.Second)
	defer cancel()
	tok, err := oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		h.Log.Warn("code exchange failed", "error", err.Error())
		return models.Identity{}, errSignIn{"The identity provider did not accept the sign-in code. Sign in again."}
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return models.Identity{}, errSignIn{"The identity provider returned no ID token."}
	}
	idt, err := verify.Verify(ctx, raw)
	if err != nil {
		h.Log.Warn("ID token rejected", "error", err.Error())
		return models.Identity{}, errSignIn{"The identity provider's ID token could not be verified."}
	}
	// go-oidc does not check the nonce: it is ours to compare.
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return models.Identity{}, errSignIn{"The ID token was not issued for this sign-in attempt."}
	}
	var claims struct {
		Email         string   `json:"email"`
		EmailVerified *bool    `json:"email_verified"`
		Name          string   `json:"name"`
		AuthTime      *float64 `json:"auth_time"`
		ACR           string   `json:"acr"`
		AMR           []string `json:"amr"`
	}
	if err := idt.Claims(&claims); err != nil {
		return models.Identity{}, errSignIn{"The ID token's claims could not be read."}
	}
	email := claims.Email
	if claims.EmailVerified != nil && !*claims.EmailVerified {
		email = "" // an unverified address is not shown as the user's
	}
	id := models.Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: email, Name: claims.Name}
	// The step-up context, bounded: it is copied into tokens. An auth_time in the future
	// is not believed.
	if claims.AuthTime != nil && *claims.AuthTime > 0 && int64(*claims.AuthTime) <= h.Store.Now().Unix()+60 {
		id.AuthTime = time.Unix(int64(*claims.AuthTime), 0)
	}
	id.ACR = truncateASCII(claims.ACR, 256)
	for _, m := range claims.AMR {
		if m = truncateASCII(m, 64); m != "" && !strings.Contains(m, " ") && len(id.AMR) < 10 {
			id.AMR = append(id.AMR, m)
		}
	}
	return id, nil
}

// truncateASCII keeps at most n bytes of printable ASCII from s, for echoing provider codes.
func truncateASCII(s string, n int) string {
	out := make([]byte, 0, n)
	for i := 0; i < len(s) && len(out) < n; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			out = append(out, s[i])
		}
	}
	return string(out)
}
