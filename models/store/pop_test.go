package store_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// popPublicKey is a fresh key pair of one kind: its public key as a JWK and as a PKIX
// PEM block, and the RFC 7638 thumbprint of it.
type popPublicKey struct {
	priv     crypto.Signer
	jwk, pem string
	jkt      string
}

func newPoPPublicKey(t testing.TB, kind string) popPublicKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "P-256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "P-384":
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "P-521":
		priv, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "Ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "RSA-2048":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "RSA-1024":
		priv, err = rsa.GenerateKey(rand.Reader, 1024)
	}
	if err != nil {
		t.Fatal(err)
	}
	pub := jose.JSONWebKey{Key: priv.Public()}
	j, err := pub.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return popPublicKey{priv: priv, jwk: string(j), pem: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

// An API key created with a public key is bound to it: the JWT's cnf.jkt and the row
// hold the key's RFC 7638 thumbprint, whatever form the key was pasted in; the audit
// event records it; introspection answers token_type DPoP with the cnf. A key created
// without one carries no cnf.
func TestAPIKeyProofOfPossession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sg := storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		pkcs1 := newPoPPublicKey(t, "RSA-2048")
		pkcs1PEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pkcs1.priv.Public().(*rsa.PublicKey))}))
		cases := []struct{ name, text, jkt string }{}
		for _, kind := range []string{"P-256", "P-384", "Ed25519", "RSA-2048"} {
			k := newPoPPublicKey(t, kind)
			cases = append(cases, struct{ name, text, jkt string }{kind + "/PEM", "\n" + k.pem + "\n", k.jkt},
				struct{ name, text, jkt string }{kind + "/JWK", k.jwk, k.jkt})
		}
		cases = append(cases, struct{ name, text, jkt string }{"RSA-2048/PKCS1", pkcs1PEM, pkcs1.jkt})
		for _, tc := range cases {
			k, token, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "pop " + tc.name, API: p.api,
				TTL: 24 * time.Hour, PublicKey: tc.text}, "")
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var claims models.APIKeyClaims
			verifyWithJWKS(t, sg, token, models.TypAPIKey, &claims)
			if claims.Cnf == nil || claims.Cnf.JKT != tc.jkt || k.JKT != tc.jkt {
				t.Errorf("%s: cnf %+v, row jkt %q, want %s", tc.name, claims.Cnf, k.JKT, tc.jkt)
			}
			in, err := s.Introspect(ctx, p.Project, token)
			if err != nil || !in.Active || in.TokenType != models.TokenTypeDPoP || in.Cnf == nil || in.Cnf.JKT != tc.jkt {
				t.Errorf("%s: introspection %+v %v, want active, token_type DPoP, cnf.jkt %s", tc.name, in, err, tc.jkt)
			}
		}
		plain, token, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "bearer", API: p.api, TTL: time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]any
		verifyWithJWKS(t, sg, token, models.TypAPIKey, &claims)
		if _, ok := claims["cnf"]; ok || plain.JKT != "" {
			t.Errorf("a key without a public key: cnf %v, jkt %q, want neither", claims["cnf"], plain.JKT)
		}
		keys, err := s.APIKeys(ctx, w.viewer, p.ID)
		if err != nil || len(keys) != len(cases)+1 {
			t.Fatalf("APIKeys: %d %v", len(keys), err)
		}
		for _, k := range keys {
			if (k.JKT == "") != (k.Name == "bearer") {
				t.Errorf("listed key %s: jkt %q", k.Name, k.JKT)
			}
		}
		events, _, err := s.AuditLog(ctx, w.owner, w.team.ID, models.AuditFilter{Action: "key.create"})
		if err != nil || len(events) != len(cases)+1 {
			t.Fatalf("key.create events: %d %v", len(events), err)
		}
		var details map[string]any
		if err := json.Unmarshal([]byte(events[1].Details), &details); err != nil || details["jkt"] != cases[len(cases)-1].jkt {
			t.Errorf("the audit event of the last bound key: %s, want its jkt %s", events[1].Details, cases[len(cases)-1].jkt)
		}
	})
}

// Only asymmetric public keys of the accepted kinds bind a key; anything else is a
// validation error on public_key and creates nothing. Who may not create keys learns
// nothing about their input: they are refused first.
func TestAPIKeyProofOfPossessionRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		ec := newPoPPublicKey(t, "P-256")
		der, err := x509.MarshalPKCS8PrivateKey(ec.priv)
		if err != nil {
			t.Fatal(err)
		}
		privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		privJWK, err := jose.JSONWebKey{Key: ec.priv}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		for name, text := range map[string]string{
			"PrivatePEM":    privPEM,
			"PrivateJWK":    string(privJWK),
			"Symmetric":     `{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"}`,
			"P521":          newPoPPublicKey(t, "P-521").pem,
			"RSA1024":       newPoPPublicKey(t, "RSA-1024").jwk,
			"Garbage":       "not a key",
			"BrokenJWK":     `{"kty":"EC","crv":"P-256","x":"AAAA"}`,
			"TwoPEMBlocks":  ec.pem + ec.pem,
			"Certificate":   "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
			"TooLong":       strings.Repeat("A", models.MaxPoPPublicKeyLen+1),
			"PointOffCurve": `{"kty":"EC","crv":"P-256","x":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}`,
		} {
			_, _, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "k", API: p.api, TTL: time.Hour, PublicKey: text}, "")
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Fields["public_key"] == "" {
				t.Errorf("%s: %v, want a validation error on public_key", name, err)
			}
		}
		if _, _, err := s.CreateAPIKey(ctx, w.viewer, p.ID, models.APIKeyInput{Name: "k", API: p.api, TTL: time.Hour, PublicKey: "junk"}, ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("a viewer binding a key: %v, want ErrForbidden before any validation", err)
		}
		if _, _, err := s.CreateAPIKey(ctx, w.outsider, p.ID, models.APIKeyInput{Name: "k", API: p.api, TTL: time.Hour, PublicKey: ec.pem}, ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("an outsider binding a key: %v, want ErrNotFound", err)
		}
		if keys, err := s.APIKeys(ctx, w.owner, p.ID); err != nil || len(keys) != 0 {
			t.Errorf("refused input created %d keys (%v)", len(keys), err)
		}
	})
}

// refreshRow reads a refresh token's binding and whether it was rotated or revoked.
func refreshRow(t *testing.T, s *store.Store, token string) (jkt string, used, revoked bool) {
	t.Helper()
	db, err := s.SQLDB()
	if err != nil {
		t.Fatal(err)
	}
	var usedAt, revokedAt *time.Time
	if err := db.QueryRow("SELECT dpop_jkt, used_at, revoked_at FROM refresh_tokens WHERE hash = $1", models.SHA256Hex(token)).
		Scan(&jkt, &usedAt, &revokedAt); err != nil {
		t.Fatal(err)
	}
	return jkt, usedAt != nil, revokedAt != nil
}

// A public client's refresh tokens are bound to the DPoP key of the request that got
// them (RFC 9449 §5): a refresh without a proof by that key, or by another key, is
// invalid_grant and changes nothing (no rotation, no revocation — also for a rotated
// token presented again); with it, the token rotates, the new one stays bound and the
// access token is bound to the key. A confidential client's stay unbound, and each
// access token is bound to the proof of its own request.
func TestRefreshDPoPBinding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s) // a public client
		key, other := newPoPPublicKey(t, "P-256").jkt, newPoPPublicKey(t, "Ed25519").jkt
		withKey, withOther := models.WithDPoPKey(ctx, key), models.WithDPoPKey(ctx, other)
		first := f.authorizedIn(withKey, t, s, "orders:read offline_access")
		if jkt, _, _ := refreshRow(t, s, first.RefreshToken); jkt != key {
			t.Fatalf("the public client's refresh token is bound to %q, want %s", jkt, key)
		}
		for name, c := range map[string]context.Context{"NoProof": ctx, "AnotherKey": withOther} {
			if _, err := s.RefreshAccessToken(c, f.p, first.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("%s: %v, want invalid_grant", name, err)
			}
		}
		if _, used, revoked := refreshRow(t, s, first.RefreshToken); used || revoked {
			t.Fatalf("refused refreshes rotated (%v) or revoked (%v) the token", used, revoked)
		}
		second, err := s.RefreshAccessToken(withKey, f.p, first.RefreshToken, "")
		if err != nil {
			t.Fatalf("refresh with the bound key: %v", err)
		}
		if second.DPoPJKT != key || jwtClaims(t, second.Token)["cnf"].(map[string]any)["jkt"] != key {
			t.Errorf("the refreshed access token is bound to %q, want %s", second.DPoPJKT, key)
		}
		if jkt, _, _ := refreshRow(t, s, second.RefreshToken); jkt != key {
			t.Errorf("the rotated refresh token is bound to %q, want %s", jkt, key)
		}
		// The rotated token again, after the grace window, without the key: refused, and
		// the family lives on (whoever sent it cannot use it anyway).
		f.clock.Advance(models.RefreshGrace + time.Second)
		if _, err := s.RefreshAccessToken(withOther, f.p, first.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("the rotated token by another key: %v, want invalid_grant", err)
		}
		if _, _, revoked := refreshRow(t, s, second.RefreshToken); revoked {
			t.Fatal("a rotated token presented without the bound key revoked the family")
		}
		// By the holder of the key, reuse is detected as always.
		if _, err := s.RefreshAccessToken(withKey, f.p, first.RefreshToken, ""); !isOAuth(err, models.ErrCodeInvalidGrant) {
			t.Errorf("reuse with the key: %v, want invalid_grant", err)
		}
		if _, _, revoked := refreshRow(t, s, second.RefreshToken); !revoked {
			t.Error("reuse by the key's holder did not revoke the family")
		}
		// Without a proof at the start, the family is unbound.
		unbound := f.authorized(t, s, "orders:read offline_access")
		if jkt, _, _ := refreshRow(t, s, unbound.RefreshToken); jkt != "" {
			t.Errorf("a refresh token obtained without a proof is bound to %q", jkt)
		}

		// A confidential client: unbound family, each access token bound to its request.
		public := false
		if err := s.UpdateProject(ctx, f.w.admin, f.p.ID, models.ProjectSettings{Name: f.p.Name, TokenTTLMinutes: 15,
			GrantTypes: f.p.GrantTypeList(), PublicClient: &public}); err != nil {
			t.Fatal(err)
		}
		if f.p, err = s.AuthorizationClient(ctx, f.p.ID); err != nil {
			t.Fatal(err)
		}
		conf := f.authorizedIn(withKey, t, s, "orders:read offline_access")
		if jkt, _, _ := refreshRow(t, s, conf.RefreshToken); jkt != "" || conf.DPoPJKT != key {
			t.Errorf("confidential client: refresh token bound to %q (want unbound), access token to %q (want %s)", jkt, conf.DPoPJKT, key)
		}
		next, err := s.RefreshAccessToken(withOther, f.p, conf.RefreshToken, "")
		if err != nil || next.DPoPJKT != other {
			t.Fatalf("confidential refresh with another key: %v, access token bound to %q, want %s", err, tokenJKT(next), other)
		}
		if bearer, err := s.RefreshAccessToken(ctx, f.p, next.RefreshToken, ""); err != nil || bearer.DPoPJKT != "" {
			t.Errorf("confidential refresh without a proof: %v, access token bound to %q, want a bearer token", err, tokenJKT(bearer))
		}
	})
}

func tokenJKT(t *models.IssuedToken) string {
	if t == nil {
		return ""
	}
	return t.DPoPJKT
}

// A code issued for a request with dpop_jkt (RFC 9449 §10) is redeemed only with a
// proof by that key: without one, or with another key's, it is invalid_grant; with it,
// the access token is bound to the key.
func TestAuthorizationCodeDPoPJKT(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		key, other := newPoPPublicKey(t, "P-256").jkt, newPoPPublicKey(t, "P-256").jkt
		boundCode := func() string {
			a, err := s.PrepareAuthorization(ctx, f.p, nil, "orders:read")
			if err != nil {
				t.Fatal(err)
			}
			req := &models.AuthorizationRequest{RedirectURI: testRedirect, CodeChallenge: store.S256Challenge(testVerifier), DPoPJKT: key}
			code, err := s.IssueAuthorizationCode(ctx, a, req, f.user.User.ID, models.AuthContext{AuthTime: f.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return code
		}
		for name, c := range map[string]context.Context{"NoProof": ctx, "AnotherKey": models.WithDPoPKey(ctx, other)} {
			if _, err := s.RedeemAuthorizationCode(c, f.p, boundCode(), testRedirect, testVerifier); !isOAuth(err, models.ErrCodeInvalidGrant) {
				t.Errorf("%s: %v, want invalid_grant", name, err)
			}
		}
		tok, err := s.RedeemAuthorizationCode(models.WithDPoPKey(ctx, key), f.p, boundCode(), testRedirect, testVerifier)
		if err != nil || tok.DPoPJKT != key {
			t.Fatalf("redeemed with the bound key: %v, access token bound to %q, want %s", err, tokenJKT(tok), key)
		}
	})
}
