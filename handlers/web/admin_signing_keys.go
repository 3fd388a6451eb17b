package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
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

// showSigningKeys handles "GET /admin/signing-keys".
func (h *Handler) showSigningKeys(c echo.Context) error {
	keys, err := h.Store.SigningKeys(c.Request().Context())
	if err != nil {
		return err
	}
	cfg := h.Cfg.Signer.Config()
	vm := views.SigningKeysVM{Rotation: "every " + durationWords(cfg.Rotation.Period), PublishLead: durationWords(cfg.Rotation.Lead),
		JWKSURL: h.Cfg.BaseURL.JoinPath("/.well-known/jwks.json").String()}
	for _, k := range keys {
		row := views.SigningKeyRow{KID: k.KID, Alg: k.Alg, State: k.State, CreatedAt: k.CreatedAt, ActivatedAt: k.ActivatedAt,
			RetiredAt: k.RetiredAt, LiveCredentials: k.LiveCredentials}
		if k.State == models.KeyNext {
			at := k.ActivatesAt
			row.ActivatesAt = &at
		}
		vm.Keys = append(vm.Keys, row)
	}
	events, err := h.Store.PortalEvents(c.Request().Context(), 20)
	if err != nil {
		return err
	}
	for _, ev := range events {
		what, ok := rotationWords[ev.Action]
		if !ok {
			continue
		}
		by := ev.ActorLabel
		if by == "system" {
			by = "scheduled rotation"
		}
		vm.History = append(vm.History, views.RotationEvent{At: ev.CreatedAt, What: what, KID: ev.TargetID, By: by})
	}
	return httpx.Render(c, http.StatusOK, views.SigningKeysPage(h.page(c, "Signing keys"), vm))
}

// rotateSigningKeys handles "POST /admin/signing-keys/rotate": a new key is published
// now and starts signing after the publish lead.
func (h *Handler) rotateSigningKeys(c echo.Context) error {
	res, err := h.Cfg.Signer.RotateNow(c.Request().Context(), actor(c))
	switch {
	case errors.Is(err, models.ErrRotationConflict):
		return h.redirectWithFlash(c, views.AdminSigningKeysPath(), "error", "Another rotation happened at the same moment. Reload and try again.")
	case err != nil:
		return err
	case len(res.Created) == 0:
		return h.redirectWithFlash(c, views.AdminSigningKeysPath(), "info", "A rotation is already under way: the next key is published and will start signing at its activation time.")
	}
	h.Log.Info("signing-key rotation started", "by", currentUser(c).ID, "kid", res.Created[0])
	return h.redirectWithFlash(c, views.AdminSigningKeysPath(), "success",
		"Rotation started: the new key is published now and signs from "+durationWords(h.Cfg.Signer.Config().Rotation.Lead)+" on.")
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
