package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// ResourceMetadata is an RFC 9728 §2 protected resource metadata document for an API.
// It has no jwks_uri: that member is the resource's own key set (for responses it
// signs), not the portal's, which clients find in the authorization server metadata.
type ResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
	ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
}

// resourceMetadataMaxAge is how long a copy of the document may be served: a scope
// added to the API reaches clients within it.
const resourceMetadataMaxAge = 5 * time.Minute

// resourceMetadata handles "GET /oauth/resource-metadata?resource=<identifier>": the
// RFC 9728 metadata of the listed API whose identifier is exactly resource, for the API
// to serve (proxied or copied) at its own well-known URL (§3.1, on its host, which the
// portal is not). 404 for an API not listed in the catalog, one that takes no access
// tokens, or an identifier that is not an https URL.
func (h *Handler) resourceMetadata(c echo.Context) error {
	api, err := h.Store.PublishedResource(c.Request().Context(), c.QueryParam("resource"))
	if err != nil {
		return err
	}
	doc := ResourceMetadata{
		Resource:               api.Identifier,
		AuthorizationServers:   []string{h.Cfg.BaseURL.String()},
		ScopesSupported:        api.ScopeNames(),
		BearerMethodsSupported: []string{"header"},
		ResourceName:           api.Name,
		ResourceDocumentation:  api.DocsURL,
	}
	body, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	c.Response().Header().Set("Link", "<"+models.ProtectedResourceMetadataURL(api.Identifier)+`>; rel="canonical"`)
	return serveCached(c, "application/json", body, etag, resourceMetadataMaxAge)
}
