package api

import (
	"github.com/labstack/echo/v4"
)

// listKeys handles "GET /api/v1/projects/:project/keys", oldest first (never a key's value).
func (h *Handler) listKeys(c echo.Context) error {
	keys, err := h.Store.APIKeys(c.Request().Context(), actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	now := h.Store.Now()
	out := make([]apiKeyJSON, len(keys))
	for i, k := range keys {
		out[i] = apiKeyOf(k, now)
	}
	return paginate(c, out, func(k apiKeyJSON) string { return timeKey(k.CreatedAt) + "\x00" + k.ID })
}
