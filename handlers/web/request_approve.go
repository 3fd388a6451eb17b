package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// approveRequest handles "POST /apis/:api/requests/:request/approve".
func (h *Handler) approveRequest(c echo.Context) error {
	form := formValues(c)
	return h.decide(c, models.Decision{Approve: true, Scopes: nonNil(form["scopes"]), Note: form.Get("note")})
}
