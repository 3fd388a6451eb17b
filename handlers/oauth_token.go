package handlers

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// tokenResponse is RFC 6749 §5.1's successful response (no refresh token).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

// issueToken handles "POST /oauth/token": the client credentials grant for projects.
func (h *Handler) issueToken(c echo.Context) error {
	form, err := oauthForm(c)
	if err != nil {
		return writeOAuthError(c, err)
	}
	grant := form.Get("grant_type")
	if grant == "" {
		return writeOAuthError(c, newOAuthError(http.StatusBadRequest, models.ErrCodeInvalidRequest, "grant_type is required"))
	}
	if grant != models.GrantClientCredentials && grant != models.GrantJWTBearer {
		return writeOAuthError(c, newOAuthError(http.StatusBadRequest, models.ErrCodeUnsupportedGrantType,
			"the grant type "+models.QuoteForError(grant)+" is not supported"))
	}
	p, err := h.authenticateClient(c, form, grant == models.GrantJWTBearer)
	if err != nil {
		return writeOAuthError(c, err)
	}
	if grant == models.GrantJWTBearer {
		if p, err = h.jwtBearerGrant(c, form, p); err != nil {
			return writeOAuthError(c, err)
		}
	}
	// RFC 8707 resource (repeatable), and the audience parameter some clients send
	// instead: together they must name one API the project holds a grant for.
	resources := append([]string{}, form["resource"]...)
	if aud := form.Get("audience"); aud != "" {
		resources = append(resources, aud)
	}
	tok, err := h.store.IssueAccessToken(p, grant, form.Get("scope"), resources)
	if err != nil {
		return writeOAuthError(c, err)
	}
	h.usage.Token(p.ID)
	h.metrics.tokens.WithLabelValues(grantMetricLabel(grant)).Inc()
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, tokenResponse{AccessToken: tok.Token, TokenType: "Bearer", ExpiresIn: tok.ExpiresIn, Scope: tok.Scope})
}

// introspect handles "POST /oauth/introspect" (RFC 7662). The caller authenticates as a
// project; it learns about credentials of its own team only.
func (h *Handler) introspect(c echo.Context) error {
	p, token, err := h.clientTokenRequest(c)
	if err != nil {
		return writeOAuthError(c, err)
	}
	res, err := h.store.Introspect(c.Request().Context(), p, token)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, res)
}

// revokeToken handles "POST /oauth/revoke" (RFC 7009): a project revokes its own API
// keys. Unknown, invalid and other projects' tokens get the same 200 and change nothing.
func (h *Handler) revokeToken(c echo.Context) error {
	p, token, err := h.clientTokenRequest(c)
	if err != nil {
		return writeOAuthError(c, err)
	}
	// Whether it revoked anything, the answer is the same (the store counts and audits).
	if _, err := h.store.RevokeAsClient(c.Request().Context(), p, token); err != nil {
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
		return nil, "", newOAuthError(http.StatusBadRequest, models.ErrCodeInvalidRequest, "token is required")
	}
	return p, token, nil
}

// jwtBearerGrant checks the assertion of the JWT bearer grant (RFC 7523 §2.1). When the
// client also authenticated, the assertion must be its own; otherwise the assertion
// alone identifies and authenticates the project. Failures count against the limits.
func (h *Handler) jwtBearerGrant(c echo.Context, form url.Values, client *models.Project) (*models.Project, error) {
	assertion := form.Get("assertion")
	if assertion == "" {
		return nil, newOAuthError(http.StatusBadRequest, models.ErrCodeInvalidRequest, "the jwt-bearer grant needs an assertion")
	}
	expect := ""
	if client != nil {
		expect = client.ID
	}
	p, err := h.store.VerifyAssertion(c.Request().Context(), assertion, expect, h.assertionAudiences(), models.ForGrant)
	if err != nil {
		var me *models.OAuthError
		if errors.As(err, &me) {
			claimed := expect
			if claimed == "" {
				claimed = models.AssertionIssuer(assertion)
			}
			return nil, h.refuse(c.Request().Context(), claimed, c.RealIP(), err)
		}
		return nil, err
	}
	return p, nil
}

// grantMetricLabel names a grant type in metrics.
func grantMetricLabel(grant string) string {
	if grant == models.GrantJWTBearer {
		return "jwt_bearer"
	}
	return grant
}
