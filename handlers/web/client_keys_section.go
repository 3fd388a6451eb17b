package web

import (
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// clientKeyExpiry are the lifetimes offered for registered client keys, in days.
var clientKeyExpiry = dayOptions(90, 180, 365, 730, 0)

// clientKeysVM builds the project page's client keys section; grants are the project's
// (the recipe asks for a token for the first API that takes access tokens).
func (h *Handler) clientKeysVM(c echo.Context, p *models.ProjectView, grants []models.GrantInfo) (views.ClientKeysVM, error) {
	keys, err := h.Store.ClientKeys(c.Request().Context(), actor(c), p.ID)
	if err != nil {
		return views.ClientKeysVM{}, err
	}
	tokenURL := h.Cfg.BaseURL.JoinPath("/oauth/token").String()
	vm := views.ClientKeysVM{
		ProjectID: p.ID, CanManage: p.MyRole.Can(models.ActSecretManage), Enabled: p.AcceptsAuth(models.AuthPrivateKeyJWT),
		CanEditSettings: p.MyRole.Can(models.ActProjectUpdate),
		Form:            views.ClientKeyForm{ExpiresIn: "365", ExpiryOptions: clientKeyExpiry, FormToken: models.NewIdempotencyKey()},
		ClientID:        p.ID, TokenURL: tokenURL, Recipe: assertionRecipe(p.ID, tokenURL, firstTokenAPI(grants)),
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

// firstTokenAPI is the identifier of the first API granted that accepts access tokens,
// or "".
func firstTokenAPI(grants []models.GrantInfo) string {
	for _, g := range grants {
		if g.AcceptsAccessTokens {
			return g.Identifier
		}
	}
	return ""
}

// assertionRecipe is a complete Go program that signs a client assertion with the
// private key of a registered PEM key and gets an access token with it (tests run it as
// shown). resource names the API; without one the token endpoint answers
// invalid_target until an API grants the project access.
func assertionRecipe(clientID, tokenURL, resource string) string {
	return strings.NewReplacer("{{CLIENT}}", clientID, "{{TOKEN_URL}}", tokenURL, "{{RESOURCE}}", resource).Replace(recipeGo)
}

// recipeGo is the private_key_jwt program.
const recipeGo = `// Get an access token with private_key_jwt: no shared secret leaves this machine.
//   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client-key.pem
//   openssl pkey -in client-key.pem -pubout   # register this public key above
//   go mod init example.com/token && go get github.com/go-jose/go-jose/v4 && go run .
package main

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

func main() {
	const clientID, tokenURL = "{{CLIENT}}", "{{TOKEN_URL}}"
	raw, err := os.ReadFile("client-key.pem")
	if err != nil {
		log.Fatal(err)
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		log.Fatal("client-key.pem holds no PEM block")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		log.Fatal(err)
	}
	pub := key.(crypto.Signer).Public()
	// A registered PEM key is known by its RFC 7638 thumbprint.
	thumb, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		log.Fatal(err)
	}
	alg := jose.ES256
	if _, ok := pub.(*rsa.PublicKey); ok {
		alg = jose.RS256
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", base64.RawURLEncoding.EncodeToString(thumb)))
	if err != nil {
		log.Fatal(err)
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		log.Fatal(err)
	}
	now := time.Now()
	assertion, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: clientID, Subject: clientID, Audience: jwt.Audience{tokenURL},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(2 * time.Minute)),
		ID: base64.RawURLEncoding.EncodeToString(jti), // single use
	}).Serialize()
	if err != nil {
		log.Fatal(err)
	}
	res, err := http.PostForm(tokenURL, url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {clientID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
		"resource":              {"{{RESOURCE}}"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(body)) // {"access_token":"…","token_type":"Bearer",…}
	// The JWT bearer grant exchanges the assertion itself instead:
	// url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
}
`
