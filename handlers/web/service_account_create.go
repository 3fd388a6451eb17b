package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// createServiceAccount handles "POST /teams/:team/service-accounts" and leads to the new
// account's page, where it gets a way to authenticate.
func (h *Handler) createServiceAccount(c echo.Context) error {
	teamID := c.Param("team")
	in := models.ServiceAccountInput{Name: c.FormValue("name"), Description: c.FormValue("description"), Role: models.Role(c.FormValue("role"))}
	sa, err := h.Store.CreateServiceAccount(c.Request().Context(), actor(c), teamID, in, "")
	if f := validation(err); f != nil {
		return h.renderTeam(c, http.StatusUnprocessableEntity, views.TeamTabMembers, func(vm *views.TeamVM) {
			vm.ServiceAccounts.Form.Name, vm.ServiceAccounts.Form.Description, vm.ServiceAccounts.Form.Role = in.Name, in.Description, string(in.Role)
			vm.ServiceAccounts.Form.Errors = f
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ServiceAccountPath(teamID, sa.ID), "success",
		"Service account created. Give it a way to authenticate: trust its workload's token issuer, or register a key.")
}

// deleteServiceAccount handles "POST /teams/:team/service-accounts/:sa/delete".
func (h *Handler) deleteServiceAccount(c echo.Context) error {
	teamID := c.Param("team")
	if err := h.Store.DeleteServiceAccount(c.Request().Context(), actor(c), teamID, c.Param("sa"), nil); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamTabPath(teamID, views.TeamTabMembers), "success", "Service account deleted; its tokens no longer work.")
}
