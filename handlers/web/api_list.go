package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/views"
)

// listAPIs handles "GET /apis": the user's teams' APIs and the catalog of other teams'.
func (h *Handler) listAPIs(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	apis, err := h.Store.Catalog(ctx, a)
	if err != nil {
		return err
	}
	teams, err := h.managedTeams(c)
	if err != nil {
		return err
	}
	vm := views.CatalogVM{CanRegister: len(teams) > 0}
	for _, s := range apis {
		row := views.APISummaryRow{ID: s.ID, Name: s.Name, Identifier: s.Identifier, Description: s.Description, TeamID: s.TeamID,
			TeamName: s.TeamName, Listed: s.Listed, Grants: s.Grants, PendingRequests: s.PendingRequests}
		if s.Mine {
			vm.Mine = append(vm.Mine, row)
		} else {
			vm.Listed = append(vm.Listed, row)
		}
	}
	return httpx.Render(c, http.StatusOK, views.CatalogPage(h.page(c, "APIs"), vm))
}
