package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// serveCached answers with body, or 304 when the client already holds this ETag.
func serveCached(c echo.Context, contentType string, body []byte, etag string, maxAge time.Duration) error {
	h := c.Response().Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(maxAge/time.Second)))
	if match := c.Request().Header.Get("If-None-Match"); match != "" && etagMatches(match, etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, contentType, body)
}

// etagMatches implements If-None-Match's list and "*".
func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == etag || part == "*" {
			return true
		}
	}
	return false
}

// jwks handles "GET /.well-known/jwks.json": the next, active and retired public keys,
// from memory.
func (h *Handler) jwks(c echo.Context) error {
	body, etag := h.Cfg.Signer.JWKS()
	return serveCached(c, "application/json", body, etag, h.Cfg.Signer.Config().JWKSMaxAge)
}

// jwksPEM handles "GET /.well-known/jwks.pem": the same keys as the JWKS, as PEM
// public keys with "# kid/alg/state" comment lines, for gateways that read PEM files.
func (h *Handler) jwksPEM(c echo.Context) error {
	body, etag := h.Cfg.Signer.PublicKeysPEM()
	return serveCached(c, "application/x-pem-file", body, etag, h.Cfg.Signer.Config().JWKSMaxAge)
}

// statusList handles "GET /statuslists/:id": the signed status list token, from memory.
func (h *Handler) statusList(c echo.Context) error {
	id := c.Param("id")
	if len(id) > 64 {
		return models.ErrNotFound
	}
	tok, etag, err := h.Cfg.Signer.StatusListToken(c.Request().Context(), id)
	if errors.Is(err, models.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "There is no status list with this id.")
	}
	if err != nil {
		return err
	}
	return serveCached(c, "application/statuslist+jwt", tok, etag, h.Cfg.Signer.Config().StatusListTTL)
}
