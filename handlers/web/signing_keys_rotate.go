package web

import (
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

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
