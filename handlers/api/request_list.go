package api

import (
	"github.com/labstack/echo/v4"
)

// listAPIRequests handles "GET /api/v1/apis/:api/requests": the API's access requests,
// for its team's members, oldest first.
func (h *Handler) listAPIRequests(c echo.Context) error {
	reqs, err := h.Store.APIRequests(c.Request().Context(), actor(c), c.Param("api"))
	if err != nil {
		return err
	}
	out, key := requestsOf(reqs)
	return paginate(c, out, key)
}

// listProjectRequests handles "GET /api/v1/projects/:project/requests": the project's
// access requests, for its team's members, oldest first.
func (h *Handler) listProjectRequests(c echo.Context) error {
	reqs, err := h.Store.ProjectRequests(c.Request().Context(), actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	out, key := requestsOf(reqs)
	return paginate(c, out, key)
}

// respondProjectRequest answers with one of the project's requests as it stands.
func (h *Handler) respondProjectRequest(c echo.Context, status int, project, id string) error {
	reqs, err := h.Store.ProjectRequests(c.Request().Context(), actor(c), project)
	if err != nil {
		return err
	}
	r, err := findRequest(reqs, id)
	if err != nil {
		return err
	}
	return respond(c, status, accessRequestOf(r))
}
