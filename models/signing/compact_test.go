package signing_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
)

// API keys begin with models.APIKeyPrefix under every algorithm, their header is
// exactly typ, alg, kid in that order, and go-jose verifies them against the published
// JWKS; access tokens keep go-jose's own header (and so not the prefix).
func TestAPIKeysHaveTheirHeaderInOrder(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			sg := newSignerAlg(t, &memRing{}, time.Now, alg)
			claims := jwt.Claims{Issuer: "https://portal.example", Subject: "prj_1", ID: "key_1"}
			tok, kid, err := sg.Sign(models.TypAPIKey, claims)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok, models.APIKeyPrefix) {
				t.Fatalf("API key %.40s… does not begin with %s", tok, models.APIKeyPrefix)
			}
			header, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"typ":"apikey+jwt","alg":"` + alg + `","kid":"` + kid + `"}`; string(header) != want {
				t.Errorf("header %s, want %s", header, want)
			}
			var jwks jose.JSONWebKeySet
			body, _ := sg.JWKS()
			if err := json.Unmarshal(body, &jwks); err != nil {
				t.Fatal(err)
			}
			parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatal(err)
			}
			var got jwt.Claims
			if err := parsed.Claims(jwks.Key(kid)[0].Key, &got); err != nil || got.ID != "key_1" {
				t.Errorf("go-jose: %+v, %v", got, err)
			}
			if err := sg.VerifyOwn(tok, models.TypAPIKey, &got); err != nil {
				t.Errorf("VerifyOwn: %v", err)
			}
			at, _, err := sg.Sign(models.TypAccessToken, claims)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(at, models.APIKeyPrefix) {
				t.Error("an access token begins with the API key prefix")
			}
		})
	}
}
