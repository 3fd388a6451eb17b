package oauth

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/oauth"
)

// tokenResponse is RFC 6749 §5.1's successful response.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
	// IDToken is an OpenID Connect ID token (a user's authorization with scope openid).
	IDToken string `json:"id_token,omitempty"`
	// RefreshToken is issued with a user's access token when the app may keep acting
	// for them (offline_access, or the project's policy), and rotated at every refresh.
	RefreshToken string `json:"refresh_token,omitempty"`
	// Delegation replaces the refresh token of a project in vault mode: the id of the
	// user's delegation Gatehouse keeps, which the project's services name at token
	// exchange (subject_token_type models.TokenTypeDelegation).
	Delegation string `json:"gatehouse_delegation,omitempty"`
	// IssuedTokenType is what token exchange issued (RFC 8693 §2.2.1).
	IssuedTokenType string `json:"issued_token_type,omitempty"`
}

// issueToken handles "POST /oauth/token": the grant named by grant_type (models/oauth's
// registry) issues the token, after the client authenticated — or, for a grant whose
// own credential identifies the client, may authenticate.
func (h *Handler) issueToken(c echo.Context) error {
	form, err := oauthForm(c)
	if err != nil {
		return writeOAuthError(c, err)
	}
	grant, err := oauth.Lookup(form.Get("grant_type"))
	if err != nil {
		return writeOAuthError(c, err)
	}
	h.setDPoPNonce(c)
	ctx, err := h.tokenDPoP(c) // dpop.go: a proof binds the token to its key
	if err != nil {
		return writeOAuthError(c, err)
	}
	c.SetRequest(c.Request().WithContext(ctx))
	if sa := serviceAccountNamed(c, form); sa != "" {
		return h.issueServiceAccountToken(c, form, grant, sa)
	}
	p, err := h.authenticateClient(c, form, grant.ClientAuthOptional())
	if err != nil {
		return writeOAuthError(c, err)
	}
	if ctx, err = h.bindToCertificate(c, p); err != nil { // mtls.go: RFC 8705 §3
		return writeOAuthError(c, err)
	}
	if err := requireDPoP(ctx, p); err != nil {
		return writeOAuthError(c, err)
	}
	tok, err := grant.Token(ctx, h.Store, oauth.Request{GrantType: form.Get("grant_type"), Params: form, Client: p,
		AssertionAudiences: h.assertionAudiences()})
	var refused *oauth.RefusedCredential
	if errors.As(err, &refused) {
		return writeOAuthError(c, h.refuse(ctx, refused.ClientID, c.RealIP(), refused.Err))
	}
	if err != nil {
		return writeOAuthError(c, err)
	}
	if err := requireDPoP(ctx, tok.Project); err != nil {
		return writeOAuthError(c, err) // a grant whose own credential named the project
	}
	// A project that chose reference tokens gets one standing for the JWT.
	if tok.IssuedToken, err = h.Store.ApplyTokenFormat(ctx, tok.Project, tok.IssuedToken); err != nil {
		return writeOAuthError(c, err)
	}
	h.Usage.Token(tok.Project.ID, tok.Audiences)
	h.Metrics.Tokens.WithLabelValues(grant.MetricLabel()).Inc()
	return tokenAnswer(c, tok.IssuedToken)
}

// tokenAnswer is the successful token response, never cached. A token bound to a DPoP
// key is of type DPoP (RFC 9449 §5); a request with a proof whose token could not be
// bound (a service account's) gets a Bearer token, which tells the client so.
func tokenAnswer(c echo.Context, tok *models.IssuedToken) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	typ := "Bearer"
	if tok.DPoPJKT != "" {
		typ = models.TokenTypeDPoP
	}
	return c.JSON(http.StatusOK, tokenResponse{AccessToken: tok.Token, TokenType: typ, ExpiresIn: tok.ExpiresIn, Scope: tok.Scope,
		IDToken: tok.IDToken, RefreshToken: tok.RefreshToken, Delegation: tok.Delegation, IssuedTokenType: tok.IssuedTokenType})
}

// introspect handles "POST /oauth/introspect" (RFC 7662). The caller authenticates as a
// project; it learns about credentials of its own team only. An active API key counts
// as a verification in the usage of its project and of the APIs it names.
func (h *Handler) introspect(c echo.Context) error {
	p, token, err := h.clientTokenRequest(c)
	if err != nil {
		return writeOAuthError(c, err)
	}
	res, err := h.Store.Introspect(c.Request().Context(), p, token)
	if err != nil {
		return err
	}
	if res.Active && res.CredentialType == "api_key" {
		h.Usage.Verification(res.Sub, res.Aud) // an API checked the key: its project and APIs count it
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if acceptsIntrospectionJWT(c.Request().Header.Get("Accept")) {
		// RFC 9701: the same answer, signed, for a caller that wants to keep or pass on proof.
		tok, err := h.Store.IntrospectionJWT(p, res)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, introspectionJWTType, []byte(tok))
	}
	return c.JSON(http.StatusOK, res)
}

// introspectionJWTType is the media type of a signed introspection answer (RFC 9701 §4).
const introspectionJWTType = "application/token-introspection+jwt"

// acceptsIntrospectionJWT reports whether an Accept header names the RFC 9701 media type.
func acceptsIntrospectionJWT(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(mt), introspectionJWTType) {
			return true
		}
	}
	return false
}

// revokeToken handles "POST /oauth/revoke" (RFC 7009): a project revokes its own API
// keys, or the family of one of its refresh tokens. A public client names itself with
// client_id (it has no credential; its refresh tokens are all it can revoke). Unknown,
// invalid and other projects' tokens get the same 200 and change nothing.
func (h *Handler) revokeToken(c echo.Context) error {
	form, err := oauthForm(c)
	if err != nil {
		return writeOAuthError(c, err)
	}
	ctx := c.Request().Context()
	p, err := h.authenticateClient(c, form, true)
	if err != nil {
		return writeOAuthError(c, err)
	}
	if p == nil {
		id := form.Get("client_id")
		if p, err = h.Store.PublicClient(ctx, id); err != nil {
			var oe *models.OAuthError
			if errors.As(err, &oe) {
				return writeOAuthError(c, h.refuse(ctx, id, c.RealIP(), err))
			}
			return err
		}
	}
	token := form.Get("token")
	if token == "" {
		return writeOAuthError(c, newOAuthError(models.ErrCodeInvalidRequest, "token is required"))
	}
	// Whether it revoked anything, the answer is the same (the store counts and audits).
	if _, err := h.Store.RevokeAsClient(ctx, p, token); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.NoContent(http.StatusOK)
}

// clientTokenRequest reads what introspection and revocation share: an authenticated
// project and the token parameter.
func (h *Handler) clientTokenRequest(c echo.Context) (*models.Project, string, error) {
	form, err := oauthForm(c)
	if err != nil {
		return nil, "", err
	}
	p, err := h.authenticateClient(c, form, false)
	if err != nil {
		return nil, "", err
	}
	token := form.Get("token")
	if token == "" {
		return nil, "", newOAuthError(models.ErrCodeInvalidRequest, "token is required")
	}
	return p, token, nil
}
