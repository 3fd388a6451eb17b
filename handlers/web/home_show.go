package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// showHome handles "GET /": the dashboard when signed in, the sign-in page otherwise
// (saying so when the browser has just signed out). A return_to (an invitation link
// sends its signed-out visitors here) is where the sign-in button comes back to; a
// signed-in user is sent straight there.
func (h *Handler) showHome(c echo.Context) error {
	returnTo := safeReturnTo(c.QueryParam("return_to"))
	if currentUser(c) == nil {
		if n := h.takeNotice(c); n != "" {
			c.Set(ctxNotice, n) // page() shows it with the flashes
		}
		return h.renderSignIn(c, http.StatusOK, returnTo, "")
	}
	if returnTo != "/" {
		return c.Redirect(http.StatusSeeOther, returnTo)
	}
	return h.showDashboard(c)
}

// noticeCookie carries a one-time notice across a sign-out, when there is no session
// left to hold a flash message. Its values are only those of notices.
const noticeCookie = "gatehouse_notice"

// notices are what the sign-in page says after a sign-out.
var notices = map[string]string{
	"signed_out":            "You are signed out.",
	"signed_out_everywhere": "You are signed out on every device: each of your sessions has ended.",
}

// setNotice queues a notice for the next page (after a sign-out).
func (h *Handler) setNotice(c echo.Context, notice string) {
	c.SetCookie(&http.Cookie{Name: noticeCookie, Value: notice, Path: "/", MaxAge: 60, HttpOnly: true, Secure: h.Secure,
		SameSite: http.SameSiteLaxMode})
}

// takeNotice returns the queued notice's words, once, and clears it.
func (h *Handler) takeNotice(c echo.Context) string {
	ck, err := c.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: noticeCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode})
	return notices[ck.Value]
}
