package store_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// readmePatterns reads the regular expressions of the README's "Secret scanning"
// section: its table rows "| credential | `regexp` |".
func readmePatterns(t *testing.T) map[string]*regexp.Regexp {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Secret scanning\n")
	if !ok {
		t.Fatal("README has no Secret scanning section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| (client secret|personal access token|initial access token|registration access token|reference access token|refresh token|API key) \\| `([^`]+)` \\|$")
	out := map[string]*regexp.Regexp{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		re, err := regexp.Compile(m[2])
		if err != nil {
			t.Fatalf("%s: %v", m[1], err)
		}
		out[m[1]] = re
	}
	if len(out) != 7 {
		t.Fatalf("found patterns for %d credential types, want 7", len(out))
	}
	return out
}

// The README's regular expressions each find a freshly created credential of their
// kind — whole, inside surrounding text — and no other kind, access token or ID token.
func TestReadmeSecretScanningPatterns(t *testing.T) {
	patterns := readmePatterns(t)
	s := storetest.SQLite(t)
	sg := storetest.Signer(t, s)
	w := newWorld(t, s)
	p := keyProject(t, s, w)
	fresh := map[string][]string{}
	for range 5 {
		c := newLeakCreds(t, s, w, p)
		fresh["client secret"] = append(fresh["client secret"], c.secret)
		fresh["personal access token"] = append(fresh["personal access token"], c.pat)
		fresh["API key"] = append(fresh["API key"], c.key)
		_, iat := newInitialToken(t, s, w, models.RegistrationToken, models.InitialAccessTokenInput{})
		fresh["initial access token"] = append(fresh["initial access token"], iat)
		fresh["registration access token"] = append(fresh["registration access token"], models.NewRegistrationAccessToken())
		fresh["reference access token"] = append(fresh["reference access token"], models.NewReferenceToken())
		fresh["refresh token"] = append(fresh["refresh token"], models.NewRefreshToken())
	}
	access, _, err := sg.Sign(models.TypAccessToken, jwt.Claims{Issuer: sg.Config().Issuer, Subject: p.ID, ID: "at_1",
		Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	others := []string{access, idToken(t), models.RandomToken(40)}
	for kind, re := range patterns {
		for other, tokens := range fresh {
			for _, tok := range tokens {
				found := re.FindString("config:\n  key=" + tok + "\n")
				if other == kind && found != tok {
					t.Errorf("%s pattern %s finds %q in a fresh %s %q", kind, re, found, other, tok)
				}
				if other != kind && found != "" {
					t.Errorf("%s pattern matches a %s", kind, other)
				}
			}
		}
		for _, tok := range others {
			if found := re.FindString(tok); found != "" {
				t.Errorf("%s pattern matches %.20q…", kind, tok)
			}
		}
	}
}

// idToken is an OpenID Connect ID token as a provider's JOSE library signs it.
func idToken(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "idp-1"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: "https://idp.example.com", Subject: "user-1", Audience: jwt.Audience{"portal"},
		Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}).Claims(map[string]any{"nonce": "n", "email": "a@example.com"}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
