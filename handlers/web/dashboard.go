package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/views"
)

// showDashboard renders the signed-in user's teams (part of "GET /").
func (h *Handler) showDashboard(c echo.Context) error {
	teams, err := h.teamSummaries(c)
	if err != nil {
		return err
	}
	projects, err := h.Store.ProjectsOf(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	vm := views.DashboardVM{Teams: teams}
	for _, p := range projects {
		vm.Projects = append(vm.Projects, views.ProjectSummary{ID: p.ID, Name: p.Name, Description: p.Description,
			TeamID: p.TeamID, TeamName: p.TeamName, CreatedAt: p.CreatedAt})
	}
	return httpx.Render(c, http.StatusOK, views.DashboardPage(h.page(c, "Dashboard"), vm))
}
