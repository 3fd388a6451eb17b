package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// showHome handles "GET /": the dashboard when signed in, the sign-in page otherwise.
func (h *Handler) showHome(c echo.Context) error {
	if currentUser(c) == nil {
		return h.renderSignIn(c, http.StatusOK, "", "")
	}
	return h.showDashboard(c)
}
