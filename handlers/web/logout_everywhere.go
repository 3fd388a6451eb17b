package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/views"
)

// logoutEverywhere handles "POST /logout/everywhere": it ends every session of the user,
// on every device, this one included.
func (h *Handler) logoutEverywhere(c echo.Context) error {
	u := currentUser(c)
	n, err := h.Store.DeleteUserSessions(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	h.Log.Info("signed out everywhere", "user_id", u.ID, "sessions", n)
	s, err := h.session(c)
	if err != nil {
		return err
	}
	s.Options.MaxAge = -1
	if err := h.saveSession(c, s); err != nil {
		return err
	}
	h.setNotice(c, "signed_out_everywhere")
	return c.Redirect(http.StatusSeeOther, views.HomePath())
}
