package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// denyRequest handles "POST /apis/:api/requests/:request/deny".
func (h *Handler) denyRequest(c echo.Context) error {
	return h.decide(c, models.Decision{Note: formValues(c).Get("note")})
}
