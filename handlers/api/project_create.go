package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// projectCreate is the body of a project's creation.
type projectCreate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// createProject handles "POST /api/v1/teams/:team/projects". A repeat with the same
// Idempotency-Key answers with the project the first one created.
func (h *Handler) createProject(c echo.Context) error {
	var in projectCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = projectCreate{} // an empty name: the store refuses it, once it has authorized the caller
	}
	ctx, a := c.Request().Context(), actor(c)
	p, err := h.Store.CreateProject(ctx, a, c.Param("team"), in.Name, in.Description, idempotencyKey(c))
	if ok, err := replayed(c, err, func(id string) error {
		pv, err := h.Store.ProjectFor(ctx, a, id)
		if err != nil {
			return err
		}
		return respond(c, http.StatusCreated, projectOf(&pv.Project))
	}); ok {
		return err
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/projects/"+p.ID)
	return respond(c, http.StatusCreated, projectOf(p))
}
