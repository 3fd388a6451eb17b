package oauth

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/oauth"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// Metadata is the RFC 8414 authorization server metadata document.
type Metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	// RegistrationEndpoint is dynamic client registration (RFC 7591), for clients such
	// as MCP clients that register themselves.
	RegistrationEndpoint          string   `json:"registration_endpoint"`
	GrantTypesSupported           []string `json:"grant_types_supported,omitempty"`
	ResponseTypesSupported        []string `json:"response_types_supported,omitempty"`
	ScopesSupported               []string `json:"scopes_supported,omitempty"`
	CodeChallengeMethodsSupported []string `json:"code_challenge_methods_supported"`
	// AuthorizationResponseIssParameterSupported: the authorization response carries
	// iss (RFC 9207), so a client can tell which server answered (mix-up attacks).
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgValuesSupported []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IntrospectionEndpointAuthMethodsSupported  []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionAuthSigningAlgValuesSupported []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	RevocationAuthSigningAlgValuesSupported    []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
	// IntrospectionSigningAlgValuesSupported are the algorithms of signed introspection
	// answers (RFC 9701 §7), given to a caller that accepts
	// application/token-introspection+jwt.
	IntrospectionSigningAlgValuesSupported []string `json:"introspection_signing_alg_values_supported"`
	// PushedAuthorizationRequestEndpoint is /oauth/par (RFC 9126 §5); whether a client
	// must use it is its project's setting, so the server-wide answer is false.
	PushedAuthorizationRequestEndpoint string `json:"pushed_authorization_request_endpoint"`
	RequirePushedAuthorizationRequests bool   `json:"require_pushed_authorization_requests"`
	// DPoPSigningAlgValuesSupported are the algorithms DPoP proofs may use (RFC 9449 §5.1).
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported"`
	// TLSClientCertificateBoundAccessTokens: a client that presents a TLS certificate
	// at the token endpoint may get tokens bound to it (RFC 8705 §3.3).
	TLSClientCertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens"`
	// MTLSEndpointAliases are the endpoints served with client certificates requested,
	// when the operator configured a mutual-TLS host (RFC 8705 §5).
	MTLSEndpointAliases *MTLSAliases `json:"mtls_endpoint_aliases,omitempty"`
	// Gatehouse extensions: the types of token it issues, what they are signed with, and
	// where its status lists live (a verifier fetches no status list from anywhere else).
	TokenTypesSupported       []string `json:"token_types_supported"`
	SigningAlgValuesSupported []string `json:"signing_alg_values_supported"`
	StatusListURIPrefix       string   `json:"status_list_uri_prefix"`
	// StatusListEventsEndpoint is the revocation feed (Server-Sent Events of signed
	// status changes); absent when the portal has none.
	StatusListEventsEndpoint string `json:"status_list_events_endpoint,omitempty"`
	// TokenExchangeMaxDepth is how many actors a token issued by token exchange may
	// name in its act chain (RFC 8693).
	TokenExchangeMaxDepth int `json:"token_exchange_max_depth"`
	// TokenExchangeSubjectTokenTypes are the subject_token_type values token exchange
	// accepts: access tokens this server issued, and a user's delegation kept in the
	// credentials vault (models.TokenTypeDelegation).
	TokenExchangeSubjectTokenTypes []string `json:"token_exchange_subject_token_types_supported"`
}

// metadataDocument builds the document for this portal.
func (h *Handler) metadataDocument() Metadata {
	base := h.Cfg.BaseURL.String()
	auth := []string{"client_secret_basic", "client_secret_post", "private_key_jwt", models.AuthTLSClientAuth, models.AuthSelfSignedTLS}
	return Metadata{
		Issuer:                base,
		AuthorizationEndpoint: base + "/oauth/authorize",
		TokenEndpoint:         base + "/oauth/token",
		JWKSURI:               base + "/.well-known/jwks.json",
		IntrospectionEndpoint: base + "/oauth/introspect",
		RevocationEndpoint:    base + "/oauth/revoke",
		RegistrationEndpoint:  base + "/oauth/register",
		GrantTypesSupported:   oauth.GrantTypes(),
		// Scopes are defined per API; the portal itself defines only the identity
		// scopes (OpenID Connect's and offline_access).
		ScopesSupported:                            models.IdentityScopes,
		ResponseTypesSupported:                     []string{"code"},
		CodeChallengeMethodsSupported:              []string{"S256"},
		AuthorizationResponseIssParameterSupported: true,
		// "none": a public client redeeming a code with its client_id and PKCE verifier,
		// or refreshing with a refresh token.
		TokenEndpointAuthMethodsSupported:          append(append([]string{}, auth...), "none"),
		TokenEndpointAuthSigningAlgValuesSupported: models.ClientAssertionAlgs,
		IntrospectionEndpointAuthMethodsSupported:  auth,
		IntrospectionAuthSigningAlgValuesSupported: models.ClientAssertionAlgs,
		// "none": a public client revoking its refresh tokens with its client_id.
		RevocationEndpointAuthMethodsSupported:  append(append([]string{}, auth...), "none"),
		RevocationAuthSigningAlgValuesSupported: models.ClientAssertionAlgs,
		IntrospectionSigningAlgValuesSupported:  models.SigningAlgs,
		PushedAuthorizationRequestEndpoint:      base + parPath,
		RequirePushedAuthorizationRequests:      false,
		DPoPSigningAlgValuesSupported:           verify.DPoPAlgs,
		TLSClientCertificateBoundAccessTokens:   true,
		MTLSEndpointAliases:                     h.mtlsAliases(),
		TokenTypesSupported:                     []string{models.TypAPIKey, models.TypAccessToken},
		SigningAlgValuesSupported:               models.SigningAlgs,
		StatusListURIPrefix:                     base + "/statuslists/",
		StatusListEventsEndpoint:                h.statusEventsEndpoint(base),
		TokenExchangeMaxDepth:                   h.Store.TokenExchangeMaxDepth(),
		TokenExchangeSubjectTokenTypes:          []string{models.TokenTypeAccessToken, models.TokenTypeJWT, models.TokenTypeDelegation},
	}
}

// statusEventsEndpoint is the feed's URL, "" without a feed.
func (h *Handler) statusEventsEndpoint(base string) string {
	if h.feed == nil {
		return ""
	}
	return base + StatusEventsPath
}

// metadata handles "GET /.well-known/oauth-authorization-server" (RFC 8414).
func (h *Handler) metadata(c echo.Context) error {
	body, err := json.MarshalIndent(h.metadataDocument(), "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "application/json", body)
}
