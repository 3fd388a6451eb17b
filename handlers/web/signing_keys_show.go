package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

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
