package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// Context keys for per-request values set by middleware.
const (
	ctxSession = "gatehouse.session"
	ctxUser    = "gatehouse.user"
	ctxNotice  = "gatehouse.notice"
)

// session returns the request's session (loaded on first use).
func (h *Handler) session(c echo.Context) (*sessions.Session, error) {
	if s, ok := c.Get(ctxSession).(*sessions.Session); ok {
		return s, nil
	}
	s, err := h.sessions.Get(c.Request(), h.cookie)
	if err != nil {
		return nil, err
	}
	c.Set(ctxSession, s)
	return s, nil
}

// saveSession writes the request's session and its cookie.
func (h *Handler) saveSession(c echo.Context, s *sessions.Session) error {
	return s.Save(c.Request(), c.Response())
}

// loadUser resolves the signed-in user, if any, on every page request. The user is read
// from the database each time, so a deleted user or ended session is out at once.
func (h *Handler) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if _, err := c.Cookie(h.cookie); err != nil || h.WantsJSON(c) || isAsset(c) {
			return next(c) // no cookie, or not a page: do not touch the database
		}
		s, err := h.session(c)
		if err != nil {
			return err
		}
		if uid, _ := s.Values[keyUserID].(string); uid != "" {
			u, err := h.Store.UserByID(c.Request().Context(), uid)
			switch {
			case err == nil:
				c.Set(ctxUser, u)
			case !errors.Is(err, models.ErrNotFound):
				return err
			}
		}
		return next(c)
	}
}

// isAsset reports whether the request is for an embedded static file.
func isAsset(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/static/") }

// currentUser is the signed-in user, or nil.
func currentUser(c echo.Context) *models.User {
	u, _ := c.Get(ctxUser).(*models.User)
	return u
}

// requireUser sends anonymous visitors to sign in (straight to the provider) and back.
func (h *Handler) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return requireUserVia(next, views.LoginPath)
}

// requireUserViaSignInPage is requireUser for an invitation link: anonymous visitors
// see the sign-in page first, which names the invitation when it can be accepted.
func (h *Handler) requireUserViaSignInPage(next echo.HandlerFunc) echo.HandlerFunc {
	return requireUserVia(next, views.SignInPath)
}

// requireUserVia lets signed-in users through; an anonymous GET is sent to signIn(the
// request's path), any other anonymous request is 401.
func requireUserVia(next echo.HandlerFunc, signIn func(returnTo string) string) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		if c.Request().Method != http.MethodGet {
			return echo.NewHTTPError(http.StatusUnauthorized, "Your session has ended. Sign in again.")
		}
		return c.Redirect(http.StatusSeeOther, signIn(c.Request().URL.RequestURI()))
	}
}

// crossOrigin rejects cross-origin browser requests by Sec-Fetch-Site/Origin (Go's
// CrossOriginProtection); the session-bound token below is the second line.
var crossOrigin = http.NewCrossOriginProtection()

// csrf requires, on every state-changing request, the session's CSRF token in the form
// field "_csrf". A missing session, a token from another session or a cross-site request
// is 403, before any handler runs.
func (h *Handler) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if err := crossOrigin.Check(r); err != nil {
			return echo.NewHTTPError(http.StatusForbidden, "This request came from another site and was refused.")
		}
		s, err := h.session(c)
		if err != nil {
			return err
		}
		want, _ := s.Values[keyCSRF].(string)
		got := c.FormValue("_csrf")
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden, "The form has expired or did not come from this site. Reload the page and try again.")
		}
		return next(c)
	}
}

// csrfToken returns the session's CSRF token, or "" without a session.
func (h *Handler) csrfToken(c echo.Context) string {
	s, ok := c.Get(ctxSession).(*sessions.Session)
	if !ok {
		return ""
	}
	t, _ := s.Values[keyCSRF].(string)
	return t
}
