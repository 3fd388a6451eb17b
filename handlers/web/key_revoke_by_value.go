package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// revokeKeyByValue handles "POST /projects/:project/keys/revoke-by-value": paste a leaked
// key, and Gatehouse checks its signature, finds it by its id and revokes it. A forged
// value and another project's real key get the same answer.
func (h *Handler) revokeKeyByValue(c echo.Context) error {
	project := c.Param("project")
	key, err := h.Store.RevokeAPIKeyByValue(c.Request().Context(), actor(c), project, c.FormValue("key"))
	if errors.Is(err, models.ErrNotThisProjectsKey) {
		msg := "That is not an API key of this project. Nothing was revoked. Check that you pasted the whole key, on the page of the project it belongs to."
		return h.renderProject(c, http.StatusUnprocessableEntity, views.ProjectTabKeys, func(vm *views.ProjectVM) { vm.APIKeys.RevokeByValue.Error = msg })
	}
	if err != nil {
		return err
	}
	return h.renderProject(c, http.StatusOK, views.ProjectTabKeys, func(vm *views.ProjectVM) { vm.APIKeys.RevokeByValue.Revoked = key.ID })
}
