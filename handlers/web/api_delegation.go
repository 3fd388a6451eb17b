package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// setDelegationTeams handles "POST /apis/:api/delegation": owners and admins say who may
// let apps act for them on the API: "who" is "anyone" (any signed-in user) or "teams",
// the members of the checked "team"s.
func (h *Handler) setDelegationTeams(c echo.Context) error {
	var teams []string
	if c.FormValue("who") == "teams" {
		form, err := c.FormParams()
		if err != nil {
			return err
		}
		teams = form["team"]
		if len(teams) == 0 {
			return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "delegation"), "error",
				"Check at least one team, or let any signed-in user delegate.")
		}
	}
	err := h.Store.SetDelegationTeams(c.Request().Context(), actor(c), c.Param("api"), teams)
	if f := validation(err); f != nil {
		return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "delegation"), "error", "Not saved: "+firstMessage(f)+".")
	}
	if err != nil {
		return err
	}
	msg := "Any signed-in user may now let apps act for them on this API."
	if len(teams) > 0 {
		msg = "Only members of the checked teams may now let apps act for them on this API."
	}
	return h.redirectWithFlash(c, views.APIAnchor(c.Param("api"), "delegation"), "success", msg)
}
