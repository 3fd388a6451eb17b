package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// renderNewProject renders the create form, offering the teams where the user may create.
func (h *Handler) renderNewProject(c echo.Context, status int, form views.ProjectForm) error {
	teams, err := h.Store.TeamsOf(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	var opts []views.Option
	for _, m := range teams {
		if m.Role.Can(models.ActProjectCreate) {
			opts = append(opts, views.Option{Value: m.Team.ID, Label: m.Team.Name})
		}
	}
	return httpx.Render(c, status, views.NewProjectPage(h.page(c, "New project"), views.NewProjectVM{Teams: opts, Form: form}))
}

// createProject handles "POST /projects".
func (h *Handler) createProject(c echo.Context) error {
	form := views.ProjectForm{TeamID: c.FormValue("team_id"), Name: c.FormValue("name"),
		Description: c.FormValue("description"), FormToken: c.FormValue("form_token")}
	p, err := h.Store.CreateProject(c.Request().Context(), actor(c), form.TeamID, form.Name, form.Description, form.FormToken)
	if id, ok := duplicate(err); ok {
		return h.redirectWithFlash(c, views.ProjectPath(id), "info", "That form was already submitted; here is the project it created.")
	}
	if f := validation(err); f != nil {
		form.Errors = f
		return h.renderNewProject(c, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectPath(p.ID), "success", "Project created. Its OAuth client is ready to use.")
}
