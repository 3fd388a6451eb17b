package web

import (
	"net/http"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/views"
)

// showAccount handles "GET /account": who the user is and where they are signed in.
func (h *Handler) showAccount(c echo.Context) error {
	u := currentUser(c)
	list, err := h.Store.UserSessions(c.Request().Context(), u.ID, h.Cfg.Sessions)
	if err != nil {
		return err
	}
	current, _ := c.Get(ctxSession).(*sessions.Session)
	vm := views.AccountVM{Name: u.Name, Email: u.Email, Issuer: u.Issuer, Subject: u.Subject, CreatedAt: u.CreatedAt}
	for _, s := range list {
		vm.Sessions = append(vm.Sessions, views.SessionSummary{
			Current:   current != nil && s.IsSession(current.ID),
			UserAgent: s.UserAgent, IP: s.IP, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt,
		})
	}
	httpx.NoStore(c)
	return httpx.Render(c, http.StatusOK, views.AccountPage(h.page(c, "Account"), vm))
}
