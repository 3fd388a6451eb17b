package web

import (
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
		CanEditSettings: p.MyRole.Can(models.ActProjectUpdate),
		Form:            views.ClientKeyForm{ExpiresIn: "365", ExpiryOptions: clientKeyExpiry, FormToken: models.NewIdempotencyKey()},
		ClientID:        p.ID, TokenURL: tokenURL, Recipe: assertionRecipe(p.ID, tokenURL),
	}
	now := h.Store.Now()
	for _, k := range keys {
		status := "active"
		if k.Expired(now) {
			status = "expired"
		}
		vm.Keys = append(vm.Keys, views.ClientKeyRow{LastUsedAt: k.LastUsedAt, ID: k.ID, Name: k.Name, KID: k.KID, Alg: k.Alg, JWKSURI: k.JWKSURI,
			CreatedBy: k.CreatedByLabel, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, Status: status})
	}
	return vm, nil
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
