package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// newAPI handles "GET /apis/new?team=…".
func (h *Handler) newAPI(c echo.Context) error {
	form := views.APIForm{TeamID: c.QueryParam("team"), AcceptsAPIKeys: true, AcceptsAccessTokens: true,
		MaxTokenTTLMinutes: "0", MaxKeyTTLDays: "0", FormToken: models.NewIdempotencyKey()}
	return h.renderNewAPI(c, http.StatusOK, form)
}
