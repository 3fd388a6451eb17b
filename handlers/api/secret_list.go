package api

import (
	"github.com/labstack/echo/v4"
)

// listSecrets handles "GET /api/v1/projects/:project/secrets", oldest first (metadata
// and a hint only).
func (h *Handler) listSecrets(c echo.Context) error {
	secrets, err := h.Store.ClientSecrets(c.Request().Context(), actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	now := h.Store.Now()
	out := make([]secretJSON, len(secrets))
	for i, s := range secrets {
		out[i] = secretOf(s, now)
	}
	return paginate(c, out, func(s secretJSON) string { return timeKey(s.CreatedAt) + "\x00" + s.ID })
}
