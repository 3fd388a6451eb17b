package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// deleteAPI handles "POST /apis/:api/delete".
func (h *Handler) deleteAPI(c echo.Context) error {
	ctx, a := c.Request().Context(), actor(c)
	av, err := h.Store.APIFor(ctx, a, c.Param("api"))
	if err != nil {
		return err
	}
	if !av.Manages() {
		return models.ErrForbidden // decided before the typed name is looked at
	}
	if !confirmedName(c, av.Name) {
		return h.renderAPI(c, http.StatusUnprocessableEntity, views.APITabSettings, func(vm *views.APIPageVM) { vm.DeleteError = deleteRefusal("API", av.Name) })
	}
	revoked, err := h.Store.DeleteAPI(ctx, a, av.ID)
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.APIsPath(), "success", "API “"+av.Name+"” deleted. No project can get credentials for it any more; "+
		strconv.Itoa(len(revoked))+" API keys for it were revoked.")
}
