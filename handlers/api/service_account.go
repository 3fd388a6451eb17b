package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// serviceAccountJSON is a service account as the API shows it.
type serviceAccountJSON struct {
	ID          string    `json:"id"`
	TeamID      string    `json:"team_id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Role        string    `json:"role"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

func serviceAccountOf(a *models.ServiceAccountInfo) serviceAccountJSON {
	return serviceAccountJSON{ID: a.ID, TeamID: a.TeamID, Name: a.Name, Description: a.Description, Role: string(a.Role),
		CreatedBy: a.CreatedByLabel, CreatedAt: a.CreatedAt.UTC()}
}

// serviceAccountCreate is the body of a service account's creation.
type serviceAccountCreate struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Role        string `json:"role"`
}

// listServiceAccounts handles "GET /api/v1/teams/:team/service-accounts".
func (h *Handler) listServiceAccounts(c echo.Context) error {
	list, err := h.Store.ServiceAccounts(c.Request().Context(), actor(c), c.Param("team"))
	if err != nil {
		return err
	}
	out := make([]serviceAccountJSON, len(list))
	for i := range list {
		out[i] = serviceAccountOf(&list[i])
	}
	return paginate(c, out, func(a serviceAccountJSON) string { return timeKey(a.CreatedAt) + "\x00" + a.ID })
}

// createServiceAccount handles "POST /api/v1/teams/:team/service-accounts" (owners,
// admins). A repeat with the same Idempotency-Key answers with the account the first
// one created.
func (h *Handler) createServiceAccount(c echo.Context) error {
	var in serviceAccountCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = serviceAccountCreate{}
	}
	ctx, a, team := c.Request().Context(), actor(c), c.Param("team")
	sa, err := h.Store.CreateServiceAccount(ctx, a, team, models.ServiceAccountInput{Name: in.Name, Description: in.Description,
		Role: models.Role(in.Role)}, idempotencyKey(c))
	if ok, err := replayed(c, err, func(id string) error { return h.respondServiceAccount(c, http.StatusCreated, id) }); ok {
		return err
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/teams/"+team+"/service-accounts/"+sa.ID)
	return h.respondServiceAccount(c, http.StatusCreated, sa.ID)
}

// showServiceAccount handles "GET /api/v1/teams/:team/service-accounts/:service_account".
func (h *Handler) showServiceAccount(c echo.Context) error {
	return h.respondServiceAccount(c, http.StatusOK, c.Param("service_account"))
}

// respondServiceAccount answers with one of the team's service accounts.
func (h *Handler) respondServiceAccount(c echo.Context, status int, id string) error {
	sa, _, err := h.Store.ServiceAccountFor(c.Request().Context(), actor(c), c.Param("team"), id)
	if err != nil {
		return err
	}
	return respond(c, status, serviceAccountOf(sa))
}

// deleteServiceAccount handles "DELETE /api/v1/teams/:team/service-accounts/:service_account"
// (owners, admins): its credentials go with it and its tokens stop working at once.
// If-Match must name the account's current ETag.
func (h *Handler) deleteServiceAccount(c echo.Context) error {
	err := h.Store.DeleteServiceAccount(c.Request().Context(), actor(c), c.Param("team"), c.Param("service_account"),
		func(a *models.ServiceAccountInfo) error {
			return ifMatch(c, func() (any, error) { return serviceAccountOf(a), nil })
		})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
