package api

import (
	"github.com/labstack/echo/v4"
)

// listAPIs handles "GET /api/v1/apis": the APIs of the caller's teams and those listed
// in the catalog (only its team's, for a token limited to one team), by name.
func (h *Handler) listAPIs(c echo.Context) error {
	apis, err := h.Store.Catalog(c.Request().Context(), actor(c))
	if err != nil {
		return err
	}
	out := make([]apiJSON, len(apis))
	for i := range apis {
		out[i] = apiOf(&apis[i].API, apis[i].TeamName, apis[i].Mine)
	}
	return paginate(c, out, func(a apiJSON) string { return a.Name + "\x00" + a.ID })
}
