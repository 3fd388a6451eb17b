package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// credentialGrantJSON is a credentials grant (the CredentialGrant schema).
type credentialGrantJSON struct {
	ID          string    `json:"id"`
	ProjectID   string    `json:"project_id"`
	ServiceID   string    `json:"service_id"`
	ServiceName string    `json:"service_name"`
	APIID       string    `json:"api_id"`
	APIName     string    `json:"api_name"`
	Resource    string    `json:"resource"`
	Scopes      []string  `json:"scopes"`
	CreatedAt   time.Time `json:"created_at"`
}

func credentialGrantOf(g *models.CredentialGrantInfo) credentialGrantJSON {
	return credentialGrantJSON{ID: g.ID, ProjectID: g.ProjectID, ServiceID: g.ServiceID, ServiceName: g.ServiceName, APIID: g.APIID,
		APIName: g.APIName, Resource: g.APIIdentifier, Scopes: append([]string{}, strings.Fields(g.Scopes)...), CreatedAt: g.CreatedAt}
}

// credentialGrantCreate is the CredentialGrantCreate body.
type credentialGrantCreate struct {
	ServiceID string   `json:"service_id"`
	APIID     string   `json:"api_id"`
	Scopes    []string `json:"scopes"`
}

// listCredentialGrants handles "GET /api/v1/projects/:project/credential-grants": the
// services that may use the project's vaulted delegations.
func (h *Handler) listCredentialGrants(c echo.Context) error {
	list, err := h.Store.CredentialGrants(c.Request().Context(), actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	out := make([]credentialGrantJSON, len(list))
	for i := range list {
		out[i] = credentialGrantOf(&list[i])
	}
	return paginate(c, out, func(g credentialGrantJSON) string { return g.ID })
}

// saveCredentialGrant handles "POST /api/v1/projects/:project/credential-grants" (the
// team's owners and admins): a service of the team may use the vault for an API with
// these scopes; saving a service and API again replaces the scopes.
func (h *Handler) saveCredentialGrant(c echo.Context) error {
	var in credentialGrantCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = credentialGrantCreate{} // refused by the store once it has authorized the caller
	}
	g, err := h.Store.SaveCredentialGrant(c.Request().Context(), actor(c), c.Param("project"),
		models.CredentialGrantInput{ServiceID: in.ServiceID, APIID: in.APIID, Scopes: in.Scopes})
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/projects/"+c.Param("project")+"/credential-grants/"+g.ID)
	return respond(c, http.StatusCreated, credentialGrantOf(g))
}

// revokeCredentialGrant handles "POST /api/v1/projects/:project/credential-grants/:credential_grant/revoke"
// (owners, admins): the service can no longer use the vault.
func (h *Handler) revokeCredentialGrant(c echo.Context) error {
	if err := h.Store.RevokeCredentialGrant(c.Request().Context(), actor(c), c.Param("project"), c.Param("credential_grant")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// vaultJSON is the Vault schema: whether the project keeps its users' offline access.
type vaultJSON struct {
	Enabled *bool `json:"enabled"`
}

// setVault handles "PUT /api/v1/projects/:project/vault" (owners, admins).
func (h *Handler) setVault(c echo.Context) error {
	var in vaultJSON
	bodyErr := decode(c, &in)
	err := h.Store.SetProjectVault(c.Request().Context(), actor(c), c.Param("project"), in.Enabled)
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	return respond(c, http.StatusOK, in)
}
