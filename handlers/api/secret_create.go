package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// secretCreate is the body of a client secret's creation.
type secretCreate struct {
	Name string `json:"name"`
	// ExpiresInDays 0 (or absent) means no expiry, as on the page.
	ExpiresInDays int `json:"expires_in_days"`
}

// createSecret handles "POST /api/v1/projects/:project/secrets". The secret's value is
// in this no-store response only; a repeat with the same Idempotency-Key is 409.
func (h *Handler) createSecret(c echo.Context) error {
	var in secretCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = secretCreate{} // no name: the store refuses it, once it has authorized the caller
	}
	ttl := lifetime(in.ExpiresInDays)
	ctx, a, project := c.Request().Context(), actor(c), c.Param("project")
	cs, value, err := h.Store.CreateClientSecret(ctx, a, project, in.Name, ttl, idempotencyKey(c))
	var dup *models.DuplicateRequestError
	if asDuplicate(err, &dup) {
		return alreadyCreated("client secret", dup.Result)
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	info := models.ClientSecretInfo{ClientSecret: *cs, CreatedByLabel: a.User.Email}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/projects/"+project+"/secrets")
	return respond(c, http.StatusCreated, secretCreatedJSON{secretJSON: secretOf(info, h.Store.Now()), Value: value})
}
