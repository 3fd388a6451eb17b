package api

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// clientKeyCreate is the body of a client key's registration: a public key (PEM, or a
// JWK as a JSON object or as text, as the page accepts) or a jwks_uri.
type clientKeyCreate struct {
	Name          string          `json:"name"`
	Key           json.RawMessage `json:"key"`
	JWKSURI       string          `json:"jwks_uri"`
	ExpiresInDays int             `json:"expires_in_days"`
}

// material is the key as the store reads it: a JSON string's text, or an object as is.
func (in clientKeyCreate) material() string {
	var text string
	if json.Unmarshal(in.Key, &text) == nil {
		return text
	}
	return string(in.Key)
}

// addClientKey handles "POST /api/v1/projects/:project/client-keys" (owners, admins). A
// repeat with the same Idempotency-Key answers with the key the first one registered.
func (h *Handler) addClientKey(c echo.Context) error {
	var in clientKeyCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = clientKeyCreate{} // no name: the store refuses it, once it has authorized the caller
	}
	ctx, a, project := c.Request().Context(), actor(c), c.Param("project")
	k, err := h.Store.AddClientKey(ctx, a, project, models.ClientKeyInput{Name: in.Name, Material: in.material(), JWKSURI: in.JWKSURI,
		TTL: lifetime(in.ExpiresInDays)}, idempotencyKey(c))
	if ok, err := replayed(c, err, func(id string) error { return h.respondClientKey(c, http.StatusCreated, id) }); ok {
		return err
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/projects/"+project+"/client-keys/"+k.ID)
	return h.respondClientKey(c, http.StatusCreated, k.ID)
}
