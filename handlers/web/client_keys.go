package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// clientKeyExpiry are the lifetimes offered for registered client keys, in days.
var clientKeyExpiry = dayOptions(90, 180, 365, 730, 0)

// clientKeysVM builds the project page's client keys section.
func (h *Handler) clientKeysVM(c echo.Context, p *models.ProjectView) (views.ClientKeysVM, error) {
	keys, err := h.Store.ClientKeys(c.Request().Context(), actor(c), p.ID)
	if err != nil {
		return views.ClientKeysVM{}, err
	}
	tokenURL := h.Cfg.BaseURL.JoinPath("/oauth/token").String()
	vm := views.ClientKeysVM{
		ProjectID: p.ID, CanManage: p.MyRole.Can(models.ActSecretManage), Enabled: p.AcceptsAuth(models.AuthPrivateKeyJWT),
		Form:     views.ClientKeyForm{ExpiresIn: "365", ExpiryOptions: clientKeyExpiry, FormToken: models.NewIdempotencyKey()},
		ClientID: p.ID, TokenURL: tokenURL, Recipe: assertionRecipe(p.ID, tokenURL),
	}
	now := h.Store.Now()
	for _, k := range keys {
		status := "active"
		if k.Expired(now) {
			status = "expired"
		}
		vm.Keys = append(vm.Keys, views.ClientKeyRow{ID: k.ID, Name: k.Name, KID: k.KID, Alg: k.Alg, JWKSURI: k.JWKSURI,
			CreatedBy: k.CreatedByLabel, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, Status: status})
	}
	return vm, nil
}

// addClientKey handles "POST /projects/:project/client-keys".
func (h *Handler) addClientKey(c echo.Context) error {
	project := c.Param("project")
	form := views.ClientKeyForm{Name: c.FormValue("name"), Key: c.FormValue("key"), JWKSURI: c.FormValue("jwks_uri"),
		ExpiresIn: c.FormValue("expires_in_days"), FormToken: c.FormValue("form_token")}
	ttl := lifetimeDays(form.ExpiresIn)
	_, err := h.Store.AddClientKey(c.Request().Context(), actor(c), project,
		models.ClientKeyInput{Name: form.Name, Material: form.Key, JWKSURI: form.JWKSURI, TTL: ttl}, form.FormToken)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.ProjectAnchor(project, "client-keys"), "info", "That form was already submitted; the key is registered.")
	}
	if f := validation(err); f != nil {
		return h.renderProject(c, http.StatusUnprocessableEntity, func(vm *views.ProjectVM) {
			// Pasted key material is never sent back: it may be a private key pasted by
			// mistake, and this page would carry it again.
			form.Key, form.ExpiryOptions, form.Errors = "", clientKeyExpiry, f
			vm.ClientKeys.Form = form
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "client-keys"), "success",
		"Key registered. Clients can sign assertions with its private key once private_key_jwt is enabled in the settings.")
}

// removeClientKey handles "POST /projects/:project/client-keys/:id/remove".
func (h *Handler) removeClientKey(c echo.Context) error {
	project := c.Param("project")
	if err := h.Store.RemoveClientKey(c.Request().Context(), actor(c), project, c.Param("id")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.ProjectAnchor(project, "client-keys"), "success", "Key removed. Assertions signed with it no longer work.")
}

// assertionRecipe is a Go program fragment that signs a client assertion with go-jose
// and gets a token with it.
func assertionRecipe(clientID, tokenURL string) string {
	return strings.NewReplacer("{{CLIENT}}", clientID, "{{TOKEN_URL}}", tokenURL).Replace(`// go get github.com/go-jose/go-jose/v4
signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: privateKey},
	(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "<the registered key's kid>"))
now := time.Now()
assertion, _ := jwt.Signed(signer).Claims(jwt.Claims{
	Issuer: "{{CLIENT}}", Subject: "{{CLIENT}}", Audience: jwt.Audience{"{{TOKEN_URL}}"},
	IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)),
	ID: uuid.NewString(), // single use
}).Serialize()
res, _ := http.PostForm("{{TOKEN_URL}}", url.Values{
	"grant_type":            {"client_credentials"},
	"client_id":             {"{{CLIENT}}"},
	"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
	"client_assertion":      {assertion},
})
// Or exchange the assertion itself (JWT bearer grant):
// url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}`)
}
