package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// logout handles "POST /logout": it ends this session on the server and clears the cookie.
func (h *Handler) logout(c echo.Context) error {
	s, err := h.session(c)
	if err != nil {
		return err
	}
	s.Options.MaxAge = -1
	if err := h.saveSession(c, s); err != nil {
		return err
	}
	h.setNotice(c, "signed_out")
	return c.Redirect(http.StatusSeeOther, views.HomePath())
}
