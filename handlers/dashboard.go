package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// showDashboard renders the signed-in user's teams (part of "GET /").
func (h *Handler) showDashboard(c echo.Context) error {
	u := currentUser(c)
	teams, err := h.store.TeamsOf(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	vm := views.DashboardVM{Teams: make([]views.TeamSummary, len(teams))}
	for i, m := range teams {
		vm.Teams[i] = views.TeamSummary{
			ID: m.Team.ID, Name: m.Team.Name, Role: string(m.Role), Personal: m.Team.Personal,
			Members: m.Members, JoinedAt: m.JoinedAt,
		}
	}
	return render(c, http.StatusOK, views.DashboardPage(h.page(c, "Dashboard"), vm))
}
