package web

import (
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// isAdmin reports whether the signed-in user is an operator (GATEHOUSE_ADMIN_EMAILS).
func (h *Handler) isAdmin(c echo.Context) bool {
	u := currentUser(c)
	return u != nil && u.Email != "" && slices.Contains(h.Cfg.AdminEmails, strings.ToLower(u.Email))
}

// requireAdmin hides operator pages from everyone else (404, as if they did not exist).
func (h *Handler) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !h.isAdmin(c) {
			return models.ErrNotFound
		}
		return next(c)
	}
}

// rotationWords names the ring's audit actions on the operators' page.
var rotationWords = map[string]string{"signing_key.publish": "Published", "signing_key.activate": "Activated",
	"signing_key.remove": "Removed"}

// durationWords says a long duration in days, hours or minutes.
func durationWords(d interface{ Hours() float64 }) string {
	h := d.Hours()
	switch {
	case h >= 48:
		return strconv.Itoa(int(h/24)) + " days"
	case h >= 2:
		return strconv.Itoa(int(h)) + " hours"
	}
	return strconv.Itoa(int(h*60)) + " minutes"
}
