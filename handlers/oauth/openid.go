package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// OpenIDConfiguration is the OpenID Connect discovery document (OpenID Connect
// Discovery 1.0 §3): the authorization server metadata and what the portal offers apps
// that sign users in with it.
type OpenIDConfiguration struct {
	Metadata
	UserinfoEndpoint                 string   `json:"userinfo_endpoint"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
	ClaimsParameterSupported         bool     `json:"claims_parameter_supported"`
	RequestParameterSupported        bool     `json:"request_parameter_supported"`
}

// openIDConfiguration handles "GET /.well-known/openid-configuration".
func (h *Handler) openIDConfiguration(c echo.Context) error {
	doc := OpenIDConfiguration{
		Metadata:                         h.metadataDocument(),
		UserinfoEndpoint:                 h.Cfg.BaseURL.String() + "/oauth/userinfo",
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: models.SigningAlgs,
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
			"name", "email", "email_verified"},
	}
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "application/json", body)
}

// userinfo handles "GET/POST /oauth/userinfo" (OpenID Connect Core §5.3): the signed-in
// user's claims for a bearer access token issued to an app for the user's identity
// (scope openid). An access token for an API, another issuer's or an expired one, or
// one whose user withdrew the consent, is 401 invalid_token (RFC 6750 §3.1).
func (h *Handler) userinfo(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	hd := c.Request().Header.Get(echo.HeaderAuthorization)
	scheme, token, _ := strings.Cut(hd, " ")
	if hd == "" || !strings.EqualFold(scheme, "Bearer") {
		c.Response().Header().Set("WWW-Authenticate", `Bearer`)
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": models.ErrCodeInvalidRequest,
			"error_description": "send the access token as Authorization: Bearer <token>"})
	}
	ctx := c.Request().Context()
	if chain, err := h.clientCertificates(c); err == nil && len(chain) > 0 {
		// A certificate-bound token is good only with its certificate (RFC 8705 §3).
		ctx = models.WithCertificateBinding(ctx, models.CertificateThumbprint(chain[0]))
	}
	info, err := h.Store.Userinfo(ctx, token)
	if errors.Is(err, models.ErrBadToken) {
		desc := "the access token is not one for the userinfo endpoint, or it expired, or the user disconnected the app"
		c.Response().Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="`+desc+`"`)
		return c.JSON(http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": desc})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}
