package web

import (
	"encoding/json"

	"github.com/gatehouse-dev/gatehouse/views"
	"github.com/labstack/echo/v4"
)

// page builds the layout's view model for this request and takes the pending flashes.
func (h *Handler) page(c echo.Context, title string) views.Page {
	p := views.Page{Title: title, CSRF: h.csrfToken(c), DevSignIn: h.Cfg.DevProvider != nil}
	if u := currentUser(c); u != nil {
		p.User = &views.CurrentUser{Name: u.DisplayName(), Email: u.Email}
		p.Admin = h.isAdmin(c)
	}
	p.Flashes = h.takeFlashes(c)
	if n, ok := c.Get(ctxNotice).(string); ok {
		p.Flashes = append(p.Flashes, views.Flash{Kind: "success", Message: n})
	}
	return p
}

// flash queues a one-time message for the next page this session renders.
func (h *Handler) flash(c echo.Context, kind, message string) error {
	s, err := h.session(c)
	if err != nil {
		return err
	}
	var list []views.Flash
	if raw, _ := s.Values[keyFlash].(string); raw != "" {
		_ = json.Unmarshal([]byte(raw), &list)
	}
	list = append(list, views.Flash{Kind: kind, Message: message})
	b, _ := json.Marshal(list)
	s.Values[keyFlash] = string(b)
	return h.saveSession(c, s)
}

// takeFlashes removes and returns the session's queued messages.
func (h *Handler) takeFlashes(c echo.Context) []views.Flash {
	s, err := h.session(c)
	if err != nil || s.IsNew {
		return nil
	}
	raw, _ := s.Values[keyFlash].(string)
	if raw == "" {
		return nil
	}
	delete(s.Values, keyFlash)
	if err := h.saveSession(c, s); err != nil {
		h.Log.Warn("session save failed", "error", err.Error())
	}
	var list []views.Flash
	_ = json.Unmarshal([]byte(raw), &list)
	return list
}
