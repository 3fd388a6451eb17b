package api

import (
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// keyCreate is the body of an API key's creation.
type keyCreate struct {
	Name          string   `json:"name"`
	API           string   `json:"api"`
	Scopes        []string `json:"scopes"`
	ExpiresInDays int      `json:"expires_in_days"`
	// PublicKey binds the key to a public key (a JWK as a JSON object, or PEM text):
	// every use then needs a DPoP proof by its private key.
	PublicKey json.RawMessage `json:"public_key"`
}

// createKey handles "POST /api/v1/projects/:project/keys". The key's value is in this
// no-store response only; a repeat with the same Idempotency-Key is 409, naming the key
// without its value.
func (h *Handler) createKey(c echo.Context) error {
	var in keyCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = keyCreate{} // no lifetime: the store refuses it, once it has authorized the caller
	}
	ttl := lifetime(in.ExpiresInDays)
	ctx, a, project := c.Request().Context(), actor(c), c.Param("project")
	key, value, err := h.Store.CreateAPIKey(ctx, a, project, models.APIKeyInput{Name: in.Name, API: in.API, Scopes: in.Scopes, TTL: ttl,
		PublicKey: publicKeyText(in.PublicKey)}, idempotencyKey(c))
	var dup *models.DuplicateRequestError
	if asDuplicate(err, &dup) {
		return alreadyCreated("API key", dup.Result)
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	info := models.APIKeyInfo{APIKey: *key, CreatedByLabel: a.User.Email}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/projects/"+project+"/keys")
	return respond(c, http.StatusCreated, apiKeyCreatedJSON{apiKeyJSON: apiKeyOf(info, h.Store.Now()), Value: value})
}

// publicKeyText is the public_key member as the store reads it: a JSON string's text
// (PEM, or a JWK in a string), or a JWK object as it was sent.
func publicKeyText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if len(raw) > 0 && raw[0] == '{' {
		return string(raw)
	}
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	return string(raw) // anything else: refused by the store as not a key
}
