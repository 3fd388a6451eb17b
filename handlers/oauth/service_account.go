package oauth

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/oauth"
)

// serviceAccountNamed is the service account (sa_…) a token request names as its
// client — by client_id, the Basic user, or the iss of a client assertion or a JWT
// bearer assertion it signed — or "" for a project's request.
func serviceAccountNamed(c echo.Context, form url.Values) string {
	candidates := []string{form.Get("client_id"), models.AssertionIssuer(form.Get("client_assertion"))}
	if scheme, payload, ok := strings.Cut(c.Request().Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload)); err == nil {
			user, _, _ := strings.Cut(string(raw), ":")
			if u, err := url.QueryUnescape(user); err == nil {
				candidates = append(candidates, u)
			}
		}
	}
	if form.Get("grant_type") == models.GrantJWTBearer {
		candidates = append(candidates, models.AssertionIssuer(form.Get("assertion")))
	}
	for _, id := range candidates {
		if models.HasPrefixID(id, "sa") {
			return id
		}
	}
	return ""
}

// issueServiceAccountToken serves a service account at the token endpoint. With
// client_credentials it authenticates by private_key_jwt or its fallback secret; with
// the JWT bearer grant it presents either an assertion signed with its own key or a
// workload token of an issuer it trusts (workload identity federation), and no other
// client authentication; with token exchange (RFC 8693) it presents such a workload
// token as the subject_token, of type urn:ietf:params:oauth:token-type:jwt, as a
// security token service expects. Failures count against the (client, source) lockout
// as a project's do.
func (h *Handler) issueServiceAccountToken(c echo.Context, form url.Values, grant oauth.Grant, id string) error {
	ctx := c.Request().Context()
	assertionType, clientAssertion := form.Get("client_assertion_type"), form.Get("client_assertion")
	var (
		sa  *models.ServiceAccount
		err error
	)
	switch form.Get("grant_type") {
	case models.GrantClientCredentials:
		if clientAssertion != "" || assertionType != "" {
			if c.Request().Header.Get("Authorization") != "" || form.Get("client_secret") != "" {
				return writeOAuthError(c, newOAuthError(models.ErrCodeInvalidRequest, "use one client authentication method, not both"))
			}
			if assertionType != models.ClientAssertionType || clientAssertion == "" {
				return writeOAuthError(c, newOAuthError(models.ErrCodeInvalidRequest,
					"client_assertion_type must be "+models.ClientAssertionType+" with a client_assertion"))
			}
			sa, err = h.Store.ServiceAccountByAssertion(ctx, clientAssertion, id, h.assertionAudiences(), models.ForClientAuth)
			break
		}
		var cid, secret string
		if cid, secret, _, err = clientCredentials(c, form); err == nil {
			sa, err = h.Store.AuthenticateServiceAccount(ctx, cid, secret)
		}
	case models.GrantJWTBearer:
		if c.Request().Header.Get("Authorization") != "" || form.Get("client_secret") != "" || clientAssertion != "" {
			return writeOAuthError(c, newOAuthError(models.ErrCodeInvalidRequest,
				"a service account's JWT bearer request is authenticated by its assertion alone: send no other client authentication"))
		}
		assertion := form.Get("assertion")
		switch {
		case assertion == "":
			return writeOAuthError(c, newOAuthError(models.ErrCodeInvalidRequest, "the jwt-bearer grant needs an assertion"))
		case models.AssertionIssuer(assertion) == id:
			sa, err = h.Store.ServiceAccountByAssertion(ctx, assertion, id, h.assertionAudiences(), models.ForGrant)
		default:
			sa, err = h.Store.ServiceAccountByWorkloadToken(ctx, assertion, id)
		}
	case models.GrantTokenExchange:
		if oe := workloadExchangeRequest(c, form); oe != nil {
			return writeOAuthError(c, oe)
		}
		sa, err = h.Store.ServiceAccountByWorkloadToken(ctx, form.Get("subject_token"), id)
	default:
		return writeOAuthError(c, newOAuthError(models.ErrCodeUnauthorizedClient,
			"a service account uses the client_credentials, the JWT bearer or the token exchange grant"))
	}
	var oe *models.OAuthError
	if errors.As(err, &oe) {
		return writeOAuthError(c, h.refuse(ctx, id, c.RealIP(), err))
	}
	if err != nil {
		return writeOAuthError(c, err)
	}
	tok, err := h.Store.IssueServiceAccountToken(ctx, sa, form.Get("scope"), (oauth.Request{Params: form}).Resources())
	if err != nil {
		return writeOAuthError(c, err)
	}
	if form.Get("grant_type") == models.GrantTokenExchange {
		tok.IssuedTokenType = models.TokenTypeAccessToken
	}
	h.Metrics.Tokens.WithLabelValues(grant.MetricLabel()).Inc()
	return tokenAnswer(c, tok)
}

// workloadExchangeRequest checks the parameters of a service account's token exchange
// before any token is read: the workload token is the subject and the only credential
// (no client authentication, no actor: the account acts for nobody), and the answer is
// an access token.
func workloadExchangeRequest(c echo.Context, form url.Values) *models.OAuthError {
	switch {
	case c.Request().Header.Get("Authorization") != "" || form.Get("client_secret") != "" || form.Get("client_assertion") != "":
		return newOAuthError(models.ErrCodeInvalidRequest,
			"a service account's token exchange is authenticated by its workload token alone: send no other client authentication")
	case form.Get("subject_token") == "":
		return newOAuthError(models.ErrCodeInvalidRequest, "token exchange needs a subject_token")
	case form.Get("subject_token_type") != models.TokenTypeJWT:
		return newOAuthError(models.ErrCodeInvalidRequest,
			"a service account exchanges a workload token: subject_token_type must be "+models.TokenTypeJWT)
	case form.Get("actor_token") != "" || form.Get("actor_token_type") != "":
		return newOAuthError(models.ErrCodeInvalidRequest, "a service account acts for nobody: send no actor_token")
	case form.Get(models.ParamImpersonate) != "":
		return newOAuthError(models.ErrCodeInvalidRequest, "a service account's token is its own: impersonation does not apply")
	}
	if rt := form.Get("requested_token_type"); rt != "" && rt != models.TokenTypeAccessToken {
		return newOAuthError(models.ErrCodeInvalidRequest,
			"a service account's token exchange issues an access token: requested_token_type may only be "+models.TokenTypeAccessToken)
	}
	return nil
}
