package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// keyCreate is the body of an API key's creation.
type keyCreate struct {
	Name          string   `json:"name"`
	API           string   `json:"api"`
	Scopes        []string `json:"scopes"`
	ExpiresInDays int      `json:"expires_in_days"`
}

// createKey handles "POST /api/v1/projects/:project/keys". The key's value is in this
// no-store response only; a repeat with the same Idempotency-Key is 409, naming the key
// without its value.
func (h *Handler) createKey(c echo.Context) error {
	var in keyCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = keyCreate{} // no lifetime: the store refuses it, once it has authorized the caller
	}
	ttl := lifetime(in.ExpiresInDays)
	ctx, a, project := c.Request().Context(), actor(c), c.Param("project")
	key, value, err := h.Store.CreateAPIKey(ctx, a, project, models.APIKeyInput{Name: in.Name, API: in.API, Scopes: in.Scopes, TTL: ttl}, idempotencyKey(c))
	var dup *models.DuplicateRequestError
	if asDuplicate(err, &dup) {
		return alreadyCreated("API key", dup.Result)
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	info := models.APIKeyInfo{APIKey: *key, CreatedByLabel: a.User.Email}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/projects/"+project+"/keys")
	return respond(c, http.StatusCreated, apiKeyCreatedJSON{apiKeyJSON: apiKeyOf(info, h.Store.Now()), Value: value})
}
