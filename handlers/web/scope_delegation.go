package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// setScopeDelegation handles "POST /apis/:api/scopes/delegation": owners and admins say
// whether users may delegate the scope "name" to apps acting for them ("delegable" is
// "on" or absent).
func (h *Handler) setScopeDelegation(c echo.Context) error {
	scope, on := c.FormValue("name"), c.FormValue("delegable") == "on"
	err := h.Store.SetScopeDelegable(c.Request().Context(), actor(c), c.Param("api"), scope, on)
	if f := validation(err); f != nil {
		return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "scopes"), "error", firstMessage(f))
	}
	if err != nil {
		return err
	}
	msg := "Users may now delegate " + scope + " to apps acting for them."
	if !on {
		msg = "Users may no longer delegate " + scope + " to apps."
	}
	return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "scopes"), "success", msg)
}
