package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// deleteAPI handles "POST /apis/:api/delete".
func (h *Handler) deleteAPI(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	av, err := h.Store.APIFor(ctx, a, c.Param("api"))
	if err != nil {
		return err
	}
	revoked, err := h.Store.DeleteAPI(ctx, a, av.ID)
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.APIsPath(), "success", "API “"+av.Name+"” deleted. No project can get credentials for it any more; "+
		strconv.Itoa(len(revoked))+" API keys for it were revoked.")
}
