package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// teamSummaries lists the user's teams for the dashboard and the teams page.
func (h *Handler) teamSummaries(c echo.Context) ([]views.TeamSummary, error) {
	teams, err := h.Store.TeamsOf(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return nil, err
	}
	out := make([]views.TeamSummary, len(teams))
	for i, m := range teams {
		out[i] = views.TeamSummary{ID: m.Team.ID, Name: m.Team.Name, Role: string(m.Role), Personal: m.Team.Personal,
			Members: m.Members, JoinedAt: m.JoinedAt}
	}
	return out, nil
}

// listTeams handles "GET /teams".
func (h *Handler) listTeams(c echo.Context) error {
	return h.renderTeams(c, http.StatusOK, views.TeamForm{FormToken: models.NewIdempotencyKey()})
}

// renderTeams renders the teams page with the create form in the given state.
func (h *Handler) renderTeams(c echo.Context, status int, form views.TeamForm) error {
	teams, err := h.teamSummaries(c)
	if err != nil {
		return err
	}
	return httpx.Render(c, status, views.TeamsPage(h.page(c, "Teams"), views.TeamsVM{Teams: teams, Form: form}))
}
