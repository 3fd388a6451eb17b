package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
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
	var dup *models.DuplicateRequestError
	if asDuplicate(err, &dup) {
		pv, err := h.Store.ProjectFor(ctx, a, dup.Result)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Idempotent-Replayed", "true")
		return respond(c, http.StatusCreated, projectOf(&pv.Project))
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/projects/"+p.ID)
	return respond(c, http.StatusCreated, projectOf(p))
}
