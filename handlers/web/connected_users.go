package web

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// connectedUsers fills the credentials page's "Users connected" section: the users'
// active refresh families, for the team's admins.
func (h *Handler) connectedUsers(c echo.Context, vm *views.ProjectVM) error {
	fams, err := h.Store.ProjectRefreshFamilies(c.Request().Context(), actor(c), vm.ID)
	if err != nil {
		return err
	}
	vm.ConnectedUsersShown = true
	for _, f := range fams {
		user := f.UserName
		switch {
		case user == "":
			user = f.UserEmail
		case f.UserEmail != "":
			user += " <" + f.UserEmail + ">"
		}
		vm.ConnectedUsers = append(vm.ConnectedUsers, views.ConnectedUserRow{FamilyID: f.FamilyID, User: user, API: f.APIName,
			Scopes: strings.TrimSpace(f.Scopes + " " + f.IdentityScopes), CreatedAt: f.CreatedAt, LastUsedAt: f.LastUsedAt, Vault: f.Vault})
	}
	return nil
}

// revokeConnectedUser handles "POST /projects/:project/connected-users/:family/revoke":
// a team admin revokes a user's refresh family (the store audits it). A family that is
// not the project's, or no longer active, is 404.
func (h *Handler) revokeConnectedUser(c echo.Context) error {
	project := c.Param("project")
	if err := h.Store.RevokeRefreshFamily(c.Request().Context(), actor(c), project, c.Param("family")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "connected-users"), "success",
		"Refresh token revoked. The app can no longer act for this user until they sign in to it again.")
}
