package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// listClientKeys handles "GET /api/v1/projects/:project/client-keys": the public keys
// its private_key_jwt clients sign with, oldest first.
func (h *Handler) listClientKeys(c echo.Context) error {
	keys, err := h.Store.ClientKeys(c.Request().Context(), actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	out := make([]clientKeyJSON, len(keys))
	for i := range keys {
		out[i] = clientKeyOf(&keys[i])
	}
	return paginate(c, out, func(k clientKeyJSON) string { return timeKey(k.CreatedAt) + "\x00" + k.ID })
}

// showClientKey handles "GET /api/v1/projects/:project/client-keys/:client_key". Its
// ETag is what DELETE expects in If-Match.
func (h *Handler) showClientKey(c echo.Context) error {
	return h.respondClientKey(c, http.StatusOK, c.Param("client_key"))
}

// respondClientKey answers with the project's client key id.
func (h *Handler) respondClientKey(c echo.Context, status int, id string) error {
	keys, err := h.Store.ClientKeys(c.Request().Context(), actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	for i := range keys {
		if keys[i].ID == id {
			return respond(c, status, clientKeyOf(&keys[i]))
		}
	}
	return models.ErrNotFound
}
