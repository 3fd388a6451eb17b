package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// memberRuleMessage turns a membership rule the store enforced into words, or "".
func memberRuleMessage(err error) string {
	switch {
	case errors.Is(err, models.ErrLastOwner):
		return "A team must keep at least one owner. Make someone else an owner first."
	case errors.Is(err, models.ErrPersonalTeam):
		return "Your personal team cannot be deleted."
	}
	if f := validation(err); f != nil {
		for _, m := range f {
			return "Role " + m + "."
		}
	}
	return ""
}

// changeRole handles "POST /teams/:team/members/:user/role".
func (h *Handler) changeRole(c echo.Context) error {
	team := c.Param("team")
	err := h.Store.ChangeRole(c.Request().Context(), actor(c), team, c.Param("user"), models.Role(c.FormValue("role")))
	if msg := memberRuleMessage(err); msg != "" {
		return h.redirectWithFlash(c, views.TeamPath(team), "error", msg)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamPath(team), "success", "Role changed.")
}

// removeMember handles "POST /teams/:team/members/:user/remove".
func (h *Handler) removeMember(c echo.Context) error {
	team := c.Param("team")
	err := h.Store.RemoveMember(c.Request().Context(), actor(c), team, c.Param("user"))
	if msg := memberRuleMessage(err); msg != "" {
		return h.redirectWithFlash(c, views.TeamPath(team), "error", msg)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamPath(team), "success", "Member removed. They lost access to the team's projects at once.")
}

// leaveTeam handles "POST /teams/:team/leave".
func (h *Handler) leaveTeam(c echo.Context) error {
	team := c.Param("team")
	err := h.Store.LeaveTeam(c.Request().Context(), actor(c), team)
	if msg := memberRuleMessage(err); msg != "" {
		return h.redirectWithFlash(c, views.TeamPath(team), "error", msg)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.HomePath(), "success", "You left the team.")
}

// renameTeam handles "POST /teams/:team/rename".
func (h *Handler) renameTeam(c echo.Context) error {
	team, name := c.Param("team"), c.FormValue("name")
	err := h.Store.RenameTeam(c.Request().Context(), actor(c), team, name)
	if f := validation(err); f != nil {
		return h.renderTeam(c, http.StatusUnprocessableEntity, func(vm *views.TeamVM) { vm.RenameForm.Name, vm.RenameForm.Errors = name, f })
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamPath(team), "success", "Team renamed.")
}

// deleteTeam handles "POST /teams/:team/delete".
func (h *Handler) deleteTeam(c echo.Context) error {
	team := c.Param("team")
	err := h.Store.DeleteTeam(c.Request().Context(), actor(c), team)
	if msg := memberRuleMessage(err); msg != "" {
		return h.redirectWithFlash(c, views.TeamPath(team), "error", msg)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.HomePath(), "success", "Team deleted. Its projects' credentials no longer work.")
}
