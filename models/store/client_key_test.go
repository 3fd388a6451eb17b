package store_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// The audiences a client assertion may name in these tests: the token endpoint and the issuer.
const (
	ckIssuer   = "https://portal.test"
	ckTokenURL = ckIssuer + "/oauth/token"
)

var ckAudiences = []string{ckTokenURL, ckIssuer}

// ckClock is a settable clock safe for concurrent readers.
type ckClock struct {
	mu sync.Mutex
	t  time.Time
}

func newCKClock(s *store.Store) *ckClock {
	c := &ckClock{t: time.Now().UTC().Truncate(time.Second)}
	s.SetClock(c.Now)
	return c
}

func (c *ckClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *ckClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newRSAKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEdKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// pubPEM encodes a public key as a PKIX "PUBLIC KEY" block.
func pubPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// jwkJSON encodes a key (public or private) as a JWK.
func jwkJSON(t testing.TB, key any, kid, alg, use string) string {
	t.Helper()
	raw, err := (&jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: use}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// thumbprint is a public key's RFC 7638 SHA-256 thumbprint, base64url.
func thumbprint(t testing.TB, pub any) string {
	t.Helper()
	b, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// selfSignedCertPEM wraps key's public half in a self-signed certificate.
func selfSignedCertPEM(t testing.TB, key crypto.Signer) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// assertionClaims are the claims of a good assertion from client iss at now.
func assertionClaims(iss string, now time.Time) map[string]any {
	return map[string]any{"iss": iss, "sub": iss, "aud": ckTokenURL, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": uuid.NewString()}
}

// signJWS signs claims with key as a compact JWS, with kid and extra protected headers.
func signJWS(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any, hdr map[jose.HeaderKey]any, embedJWK bool) string {
	t.Helper()
	opts := (&jose.SignerOptions{EmbedJWK: embedJWK}).WithType("JWT")
	if kid != "" {
		opts.WithHeader("kid", kid)
	}
	for k, v := range hdr {
		opts.WithHeader(k, v)
	}
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := sg.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rawJWS builds a compact JWS by hand from a header, claims and a signature function.
func rawJWS(t testing.TB, header, claims map[string]any, sign func(input string) []byte) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign(input))
}

// signUp creates a user with a fresh identity (safe in parallel tests, unlike newUser)
// and returns them with their first project.
func signUp(t *testing.T, s *store.Store, name string) (models.Actor, *models.Project) {
	t.Helper()
	ctx := context.Background()
	sub := uuid.NewString()
	u, _, err := s.SignIn(ctx, models.Identity{Issuer: "https://idp", Subject: sub, Email: sub + "@example.com", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	a := models.Actor{User: u, IP: "192.0.2.1", UserAgent: "test"}
	list, err := s.ProjectsOf(ctx, a)
	if err != nil || len(list) != 1 {
		t.Fatalf("projects of a new user: %v %v", list, err)
	}
	return a, &list[0].Project
}

// enableKeys lets project p accept private_key_jwt (and client secrets) and the JWT bearer grant.
func enableKeys(t *testing.T, s *store.Store, actor models.Actor, p *models.Project, methods ...string) {
	t.Helper()
	if methods == nil {
		methods = []string{models.AuthClientSecret, models.AuthPrivateKeyJWT}
	}
	if err := s.UpdateProject(context.Background(), actor, p.ID, models.ProjectSettings{Name: p.Name,
		TokenTTLMinutes: 15, GrantTypes: []string{models.GrantClientCredentials, models.GrantJWTBearer}, AuthMethods: methods}); err != nil {
		t.Fatal(err)
	}
}

// addKey registers public key material for p and returns the stored key.
func addKey(t *testing.T, s *store.Store, actor models.Actor, projectID, name, material string, ttl time.Duration) *models.ClientKey {
	t.Helper()
	k, err := s.AddClientKey(context.Background(), actor, projectID, models.ClientKeyInput{Name: name, Material: material, TTL: ttl}, "")
	if err != nil {
		t.Fatalf("AddClientKey %s: %v", name, err)
	}
	return k
}

// wantOAuthErr checks that err is a models.OAuthError with code (and desc, when given, in
// its description).
func wantOAuthErr(t *testing.T, what string, p *models.Project, err error, code, desc string) {
	t.Helper()
	var oe *models.OAuthError
	switch {
	case err == nil:
		t.Errorf("%s: accepted (project %v), want %s", what, p != nil, code)
	case !errors.As(err, &oe):
		t.Errorf("%s: error %v (%T), want a models.OAuthError %s", what, err, err, code)
	case oe.Code != code || !strings.Contains(oe.Description, desc):
		t.Errorf("%s: %s %q, want %s containing %q", what, oe.Code, oe.Description, code, desc)
	}
	if p != nil {
		t.Errorf("%s: a project was returned with the error", what)
	}
}

// validationField returns the message of field in a ValidationError ("" when err is not one).
func validationField(err error, field string) (string, bool) {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return "", false
	}
	msg, ok := ve.Fields[field]
	return msg, ok
}

// jwksServer serves a mutable key set and counts requests and accepted connections.
type jwksServer struct {
	*httptest.Server
	hits, conns atomic.Int64

	mu      sync.Mutex
	body    string
	status  int
	headers map[string]string
	delay   time.Duration
}

func newJWKSServer(t testing.TB, tls bool) *jwksServer {
	t.Helper()
	js := &jwksServer{status: http.StatusOK, headers: map[string]string{}}
	js.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		js.hits.Add(1)
		js.mu.Lock()
		body, status, delay := js.body, js.status, js.delay
		hdr := make(map[string]string, len(js.headers))
		for k, v := range js.headers {
			hdr[k] = v
		}
		js.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	js.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			js.conns.Add(1)
		}
	}
	if tls {
		js.StartTLS()
	} else {
		js.Start()
	}
	t.Cleanup(js.Close)
	return js
}

// setKeys publishes public keys (JWK JSON each) as the served set.
func (js *jwksServer) setKeys(keys ...string) {
	js.set(`{"keys":[` + strings.Join(keys, ",") + `]}`)
}

func (js *jwksServer) set(body string) {
	js.mu.Lock()
	js.body = body
	js.mu.Unlock()
}

func (js *jwksServer) setHeader(k, v string) {
	js.mu.Lock()
	js.headers[k] = v
	js.mu.Unlock()
}

func (js *jwksServer) setStatus(code int) {
	js.mu.Lock()
	js.status = code
	js.mu.Unlock()
}

func (js *jwksServer) setDelay(d time.Duration) {
	js.mu.Lock()
	js.delay = d
	js.mu.Unlock()
}

func TestParseClientKey(t *testing.T) {
	ec := newECKey(t)
	ed := newEdKey(t)
	rsa2048 := newRSAKey(t, 2048)

	t.Run("ECJWKGetsThumbprintKid", func(t *testing.T) {
		k, err := models.ParseClientKey(jwkJSON(t, &ec.PublicKey, "", "", ""))
		if err != nil {
			t.Fatal(err)
		}
		if k.Algorithm != "ES256" || k.KeyID != thumbprint(t, &ec.PublicKey) || !k.IsPublic() {
			t.Errorf("alg %q kid %q public %v, want ES256 with the RFC 7638 thumbprint %q", k.Algorithm, k.KeyID, k.IsPublic(), thumbprint(t, &ec.PublicKey))
		}
	})
	t.Run("OwnKidKept", func(t *testing.T) {
		k, err := models.ParseClientKey("\n  " + jwkJSON(t, &ec.PublicKey, "billing-2025", "ES256", "sig") + "\n")
		if err != nil {
			t.Fatal(err)
		}
		if k.KeyID != "billing-2025" || k.Algorithm != "ES256" {
			t.Errorf("kid %q alg %q, want billing-2025 ES256", k.KeyID, k.Algorithm)
		}
	})
	t.Run("Ed25519JWK", func(t *testing.T) {
		k, err := models.ParseClientKey(jwkJSON(t, ed.Public(), "", "", ""))
		if err != nil {
			t.Fatal(err)
		}
		if k.Algorithm != "EdDSA" || k.KeyID != thumbprint(t, ed.Public()) {
			t.Errorf("alg %q kid %q, want EdDSA with a thumbprint kid", k.Algorithm, k.KeyID)
		}
	})
	t.Run("RSAPublicKeyPEM", func(t *testing.T) {
		k, err := models.ParseClientKey(pubPEM(t, &rsa2048.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		if k.Algorithm != "RS256" || k.KeyID != thumbprint(t, &rsa2048.PublicKey) {
			t.Errorf("alg %q kid %q, want RS256 with a thumbprint kid", k.Algorithm, k.KeyID)
		}
	})
	t.Run("PKCS1RSAPublicKeyPEM", func(t *testing.T) {
		block := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsa2048.PublicKey)})
		k, err := models.ParseClientKey(string(block))
		if err != nil {
			t.Fatal(err)
		}
		if k.Algorithm != "RS256" || k.KeyID != thumbprint(t, &rsa2048.PublicKey) {
			t.Errorf("alg %q kid %q", k.Algorithm, k.KeyID)
		}
	})
	t.Run("ECPublicKeyPEM", func(t *testing.T) {
		k, err := models.ParseClientKey(pubPEM(t, &ec.PublicKey))
		if err != nil || k.Algorithm != "ES256" || k.KeyID != thumbprint(t, &ec.PublicKey) {
			t.Errorf("EC PEM: %+v %v", k, err)
		}
	})
	t.Run("CertificatePEM", func(t *testing.T) {
		k, err := models.ParseClientKey(selfSignedCertPEM(t, ec))
		if err != nil {
			t.Fatal(err)
		}
		// The certificate is kept (x5c): a self_signed_tls_client_auth client presents it.
		if k.Algorithm != "ES256" || k.KeyID != thumbprint(t, &ec.PublicKey) || len(k.Certificates) != 1 {
			t.Errorf("alg %q kid %q certs %d, want ES256, the key's thumbprint and the certificate kept", k.Algorithm, k.KeyID, len(k.Certificates))
		}
	})
	t.Run("JWKSWithOneKey", func(t *testing.T) {
		k, err := models.ParseClientKey(`{"keys":[` + jwkJSON(t, &rsa2048.PublicKey, "r1", "PS256", "sig") + `]}`)
		if err != nil {
			t.Fatal(err)
		}
		if k.KeyID != "r1" || k.Algorithm != "PS256" {
			t.Errorf("kid %q alg %q, want r1 PS256", k.KeyID, k.Algorithm)
		}
	})

	ecDER, _ := x509.MarshalECPrivateKey(ec)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	refused := map[string]struct {
		material string
		want     string // in the message
	}{
		"PrivateECJWK":      {jwkJSON(t, ec, "", "", ""), "private"},
		"PrivateRSAJWK":     {jwkJSON(t, rsa2048, "", "", ""), "private"},
		"PrivateEdJWK":      {jwkJSON(t, ed, "", "", ""), "private"},
		"PrivateInJWKS":     {`{"keys":[` + jwkJSON(t, ec, "", "", "") + `]}`, "private"},
		"PKCS8PEM":          {string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})), "private"},
		"ECPrivatePEM":      {string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})), "private"},
		"RSAPrivatePEM":     {string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsa2048)})), "private"},
		"RSA1024":           {pubPEM(t, &newRSAKey(t, 1024).PublicKey), "2048"},
		"P384":              {jwkJSON(t, &ec384.PublicKey, "", "", ""), "P-256"},
		"P384PEM":           {pubPEM(t, &ec384.PublicKey), "P-256"},
		"TwoKeyJWKS":        {`{"keys":[` + jwkJSON(t, &ec.PublicKey, "a", "", "") + "," + jwkJSON(t, ed.Public(), "b", "", "") + `]}`, "one key"},
		"Garbage":           {"hello, I am a key", "JWK"},
		"GarbageJSON":       {`{"kty":"EC","crv":"P-256"}`, "JWK"},
		"Empty":             {"   ", "paste"},
		"UseEnc":            {jwkJSON(t, &ec.PublicKey, "", "", "enc"), `"sig"`},
		"RS256OnEC":         {jwkJSON(t, &ec.PublicKey, "", "RS256", ""), "ES256"},
		"ES256OnRSA":        {jwkJSON(t, &rsa2048.PublicKey, "", "ES256", ""), "RS256"},
		"HS256OnEC":         {jwkJSON(t, &ec.PublicKey, "", "HS256", ""), "does not fit"},
		"TwoPEMBlocks":      {pubPEM(t, &ec.PublicKey) + pubPEM(t, ed.Public()), "single PEM"},
		"BrokenPEM":         {"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "public key"},
		"SymmetricJWK":      {`{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}`, ""},
		"TooLarge":          {`{"kty":"EC","pad":"` + strings.Repeat("A", 20<<10) + `"}`, "too large"},
		"OtherPEMType":      {"-----BEGIN OPENSSH KEY-----\nAAAA\n-----END OPENSSH KEY-----\n", "unsupported"},
		"NeitherJSONNorPEM": {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE client@host", "PEM"},
	}
	for name, tc := range refused {
		t.Run("Refuses"+name, func(t *testing.T) {
			k, err := models.ParseClientKey(tc.material)
			if err == nil {
				t.Fatalf("accepted as %s kid %q", k.Algorithm, k.KeyID)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q, want it to mention %q", err, tc.want)
			}
			if k.Key != nil {
				t.Errorf("a key was returned with the error")
			}
		})
	}
}

func TestAddClientKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		w := newWorld(t, s)
		p, err := s.CreateProject(ctx, w.owner, w.team.ID, "Billing", "", "")
		if err != nil {
			t.Fatal(err)
		}
		key := newECKey(t)
		material := pubPEM(t, &key.PublicKey)
		in := models.ClientKeyInput{Name: "billing", Material: material}

		t.Run("Permissions", func(t *testing.T) {
			for name, tc := range map[string]struct {
				actor models.Actor
				want  error
			}{
				"Viewer": {w.viewer, models.ErrForbidden}, "Developer": {w.developer, models.ErrForbidden}, "Outsider": {w.outsider, models.ErrNotFound},
			} {
				if k, err := s.AddClientKey(ctx, tc.actor, p.ID, in, ""); !errors.Is(err, tc.want) || k != nil {
					t.Errorf("%s adds a key: %v, want %v", name, err, tc.want)
				}
			}
			if _, err := s.ClientKeys(ctx, w.outsider, p.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("outsider lists keys: %v, want ErrNotFound", err)
			}
			keys, err := s.ClientKeys(ctx, w.viewer, p.ID)
			if err != nil || len(keys) != 0 {
				t.Fatalf("after refused adds: %d keys, %v", len(keys), err)
			}
		})

		var added *models.ClientKey
		t.Run("AdminAddsAndRemoves", func(t *testing.T) {
			var err error
			added, err = s.AddClientKey(ctx, w.admin, p.ID, models.ClientKeyInput{Name: "billing", Material: material, TTL: 90 * 24 * time.Hour}, "")
			if err != nil {
				t.Fatal(err)
			}
			if added.KID != thumbprint(t, &key.PublicKey) || added.Alg != "ES256" || added.JWKSURI != "" || added.ExpiresAt == nil ||
				!strings.HasPrefix(added.ID, "ck_") {
				t.Errorf("stored key = %+v", added)
			}
			if strings.Contains(added.JWK, `"d"`) {
				t.Errorf("stored JWK holds private material: %s", added.JWK)
			}
			keys, err := s.ClientKeys(ctx, w.viewer, p.ID)
			if err != nil || len(keys) != 1 || keys[0].ID != added.ID || keys[0].CreatedByLabel == "" || keys[0].KID != added.KID {
				t.Fatalf("viewer lists %+v, %v; want the key with its creator", keys, err)
			}
			ev, _, err := s.AuditEvents(ctx, w.owner, w.team.ID, 1)
			if err != nil || ev[0].Action != "client_key.add" || ev[0].TargetID != added.ID || ev[0].ProjectID != p.ID ||
				!strings.Contains(ev[0].Details, added.KID) {
				t.Errorf("newest audit event = %+v (%v), want client_key.add naming the kid", ev[0], err)
			}
			if strings.Contains(ev[0].Details, "BEGIN") {
				t.Errorf("audit details hold the key material: %s", ev[0].Details)
			}

			for name, a := range map[string]models.Actor{"Developer": w.developer, "Viewer": w.viewer} {
				if err := s.RemoveClientKey(ctx, a, p.ID, added.ID); !errors.Is(err, models.ErrForbidden) {
					t.Errorf("%s removes: %v, want ErrForbidden", name, err)
				}
			}
			if err := s.RemoveClientKey(ctx, w.outsider, p.ID, added.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("outsider removes: %v, want ErrNotFound", err)
			}
			// A key id is not found through another project, even of the same team.
			sibling, err := s.CreateProject(ctx, w.owner, w.team.ID, "Sibling", "", "")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RemoveClientKey(ctx, w.owner, sibling.ID, added.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("remove through a sibling project: %v, want ErrNotFound", err)
			}
			if err := s.RemoveClientKey(ctx, w.admin, p.ID, added.ID); err != nil {
				t.Fatal(err)
			}
			if keys, err := s.ClientKeys(ctx, w.admin, p.ID); err != nil {
				t.Fatalf("ClientKeys: %v", err)
			} else if len(keys) != 0 {
				t.Errorf("after remove: %d keys", len(keys))
			}
			ev, _, err = s.AuditEvents(ctx, w.owner, w.team.ID, 1)
			if err != nil {
				t.Fatalf("AuditEvents: %v", err)
			}
			if ev[0].Action != "client_key.remove" || ev[0].TargetID != added.ID {
				t.Errorf("newest audit event = %s %s, want client_key.remove", ev[0].Action, ev[0].TargetID)
			}
			if err := s.RemoveClientKey(ctx, w.admin, p.ID, added.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("second remove: %v, want ErrNotFound", err)
			}
		})

		t.Run("KeyOrJWKSURI", func(t *testing.T) {
			for name, in := range map[string]models.ClientKeyInput{
				"Both":    {Name: "x", Material: material, JWKSURI: "https://keys.example.com/jwks"},
				"Neither": {Name: "x", Material: "  ", JWKSURI: " "},
			} {
				_, err := s.AddClientKey(ctx, w.admin, p.ID, in, "")
				if msg, ok := validationField(err, "key"); !ok || msg == "" {
					t.Errorf("%s: %v, want a validation error on key", name, err)
				}
			}
			_, err := s.AddClientKey(ctx, w.admin, p.ID, models.ClientKeyInput{Name: "", Material: material}, "")
			if _, ok := validationField(err, "name"); !ok {
				t.Errorf("no name: %v, want a validation error on name", err)
			}
			_, err = s.AddClientKey(ctx, w.admin, p.ID, models.ClientKeyInput{Name: "x", Material: material, TTL: -time.Hour}, "")
			if _, ok := validationField(err, "expires_in"); !ok {
				t.Errorf("negative TTL: %v, want a validation error on expires_in", err)
			}
			priv, _ := x509.MarshalPKCS8PrivateKey(key)
			_, err = s.AddClientKey(ctx, w.admin, p.ID, models.ClientKeyInput{Name: "x",
				Material: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}))}, "")
			if msg, _ := validationField(err, "key"); !strings.Contains(msg, "private") {
				t.Errorf("private key: %v, want a validation error on key mentioning private", err)
			}
			if keys, err := s.ClientKeys(ctx, w.admin, p.ID); err != nil {
				t.Fatalf("ClientKeys: %v", err)
			} else if len(keys) != 0 {
				t.Errorf("refused input stored %d keys", len(keys))
			}
		})

		t.Run("JWKSURIRefusedWithoutRequest", func(t *testing.T) {
			if s.JWKSFetcher() == nil || s.JWKSFetcher().AllowInsecure {
				t.Fatalf("the store's default fetcher must refuse insecure URLs: %+v", s.JWKSFetcher())
			}
			loop := newJWKSServer(t, true)
			loop.setKeys(jwkJSON(t, &key.PublicKey, "k", "", ""))
			plain := newJWKSServer(t, false)
			plain.setKeys(jwkJSON(t, &key.PublicKey, "k", "", ""))
			port := loop.Listener.Addr().(*net.TCPAddr).Port
			for uri, want := range map[string]string{
				plain.URL + "/jwks":                                     "https",
				"http://keys.example.com/jwks":                          "https",
				fmt.Sprintf("https://127.0.0.1:%d/jwks", port):          "internal address",
				fmt.Sprintf("https://[::ffff:127.0.0.1]:%d/jwks", port): "internal address",
				"https://10.0.0.1/jwks":                                 "internal address",
				"https://192.168.1.10/jwks":                             "internal address",
				"https://[::1]/jwks":                                    "internal address",
				"https://[fd00::1]/jwks":                                "internal address",
				"https://localhost/jwks":                                "internal address",
				fmt.Sprintf("https://LocalHost:%d/jwks", port):          "internal address",
				"https://169.254.169.254/latest":                        "internal address",
				"https://100.64.0.1/jwks":                               "internal address",
				"https://0.0.0.0/jwks":                                  "internal address",
				"https://user:pw@keys.example.com/jwks":                 "credentials",
				"/jwks":                                                 "absolute",
			} {
				start := time.Now()
				_, err := s.AddClientKey(ctx, w.admin, p.ID, models.ClientKeyInput{Name: "x", JWKSURI: uri}, "")
				msg, ok := validationField(err, "jwks_uri")
				if !ok || !strings.Contains(msg, want) {
					t.Errorf("%s: %v, want a validation error on jwks_uri mentioning %q", uri, err, want)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("%s: refused after %v, want at once (before any connection)", uri, d)
				}
			}
			if n, c := loop.hits.Load()+plain.hits.Load(), loop.conns.Load()+plain.conns.Load(); n != 0 || c != 0 {
				t.Errorf("%d requests and %d connections reached the test servers, want none", n, c)
			}
			if keys, err := s.ClientKeys(ctx, w.admin, p.ID); err != nil {
				t.Fatalf("ClientKeys: %v", err)
			} else if len(keys) != 0 {
				t.Errorf("refused URIs stored %d keys", len(keys))
			}
		})

		t.Run("JWKSURIStored", func(t *testing.T) {
			prev := s.JWKSFetcher()
			s.SetJWKSFetcher(store.NewJWKSFetcher(true))
			defer func() { s.SetJWKSFetcher(prev) }()
			srv := newJWKSServer(t, false)
			srv.setKeys(jwkJSON(t, &key.PublicKey, "ext", "", ""))
			k, err := s.AddClientKey(ctx, w.owner, p.ID, models.ClientKeyInput{Name: "ext", JWKSURI: srv.URL + "/jwks"}, "")
			if err != nil {
				t.Fatal(err)
			}
			if k.JWKSURI != srv.URL+"/jwks" || k.JWK != "" || srv.hits.Load() != 1 {
				t.Errorf("stored %+v after %d fetches, want the URI fetched once", k, srv.hits.Load())
			}
			ev, _, err := s.AuditEvents(ctx, w.owner, w.team.ID, 1)
			if err != nil {
				t.Fatalf("AuditEvents: %v", err)
			}
			if ev[0].Action != "client_key.add" || !strings.Contains(ev[0].Details, srv.URL) {
				t.Errorf("audit event %s %s, want client_key.add naming the URI", ev[0].Action, ev[0].Details)
			}
			// A URL that does not serve a key set is refused when registered.
			bad := newJWKSServer(t, false)
			bad.set("<html>not keys</html>")
			_, err = s.AddClientKey(ctx, w.owner, p.ID, models.ClientKeyInput{Name: "bad", JWKSURI: bad.URL}, "")
			if msg, _ := validationField(err, "jwks_uri"); !strings.Contains(msg, "JSON Web Key Set") {
				t.Errorf("non-JWKS URL: %v", err)
			}
			if err := s.RemoveClientKey(ctx, w.owner, p.ID, k.ID); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("DoubleSubmitAddsOnce", func(t *testing.T) {
			tok := models.NewIdempotencyKey()
			k1, err := s.AddClientKey(ctx, w.admin, p.ID, in, tok)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.AddClientKey(ctx, w.admin, p.ID, in, tok)
			var dup *models.DuplicateRequestError
			if !errors.As(err, &dup) || dup.Result != k1.ID {
				t.Errorf("second submit: %v, want a DuplicateRequestError naming %s", err, k1.ID)
			}
			if keys, err := s.ClientKeys(ctx, w.admin, p.ID); err != nil {
				t.Fatalf("ClientKeys: %v", err)
			} else if len(keys) != 1 {
				t.Errorf("%d keys after a double submit, want 1", len(keys))
			}
		})
	})
}

func TestJWKSFetcher(t *testing.T) {
	ec := newECKey(t)
	pub := jwkJSON(t, &ec.PublicKey, "k1", "", "")
	ctx := context.Background()

	t.Run("SlowServerTimesOut", func(t *testing.T) {
		srv := newJWKSServer(t, false)
		srv.setKeys(pub)
		srv.setDelay(10 * time.Second)
		f := store.NewJWKSFetcher(true)
		ctx, cancel := context.WithTimeout(ctx, 8*time.Second)
		defer cancel()
		start := time.Now()
		keys, err := f.Keys(ctx, srv.URL, false)
		if err == nil || !errors.Is(err, models.ErrJWKSURI) {
			t.Errorf("slow server: %d keys, %v; want an ErrJWKSURI", len(keys), err)
		}
		if ctx.Err() != nil {
			t.Errorf("the fetch outlived the test's 8 s bound (took %v)", time.Since(start))
		}
	})
	t.Run("LargeBody", func(t *testing.T) {
		srv := newJWKSServer(t, false)
		srv.set(`{"keys":[` + pub + `],"pad":"` + strings.Repeat("A", 1<<20) + `"}`)
		_, err := store.NewJWKSFetcher(true).Keys(ctx, srv.URL, false)
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("1 MiB body: %v, want larger than", err)
		}
	})
	t.Run("NotJSON", func(t *testing.T) {
		srv := newJWKSServer(t, false)
		srv.set("keys: [k1]")
		if _, err := store.NewJWKSFetcher(true).Keys(ctx, srv.URL, false); err == nil {
			t.Error("non-JSON body accepted")
		}
	})
	t.Run("NotOK", func(t *testing.T) {
		srv := newJWKSServer(t, false)
		srv.setKeys(pub)
		srv.setStatus(http.StatusNotFound)
		if _, err := store.NewJWKSFetcher(true).Keys(ctx, srv.URL, false); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("404: %v", err)
		}
	})
	t.Run("OnlyPrivateKeys", func(t *testing.T) {
		srv := newJWKSServer(t, false)
		srv.setKeys(jwkJSON(t, ec, "p1", "", ""), jwkJSON(t, newRSAKey(t, 2048), "p2", "", ""))
		if _, err := store.NewJWKSFetcher(true).Keys(ctx, srv.URL, false); err == nil || !strings.Contains(err.Error(), "no usable") {
			t.Errorf("only private keys: %v, want no usable public signing key", err)
		}
	})
	t.Run("UnusableKeysSkipped", func(t *testing.T) {
		srv := newJWKSServer(t, false)
		ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		srv.setKeys(jwkJSON(t, ec, "private", "", ""), jwkJSON(t, &ec.PublicKey, "enc", "", "enc"),
			jwkJSON(t, &newRSAKey(t, 1024).PublicKey, "small", "", ""), jwkJSON(t, &ec384.PublicKey, "p384", "", ""),
			jwkJSON(t, &ec.PublicKey, "wrong-alg", "RS256", ""), pub)
		keys, err := store.NewJWKSFetcher(true).Keys(ctx, srv.URL, false)
		if err != nil || len(keys) != 1 || keys[0].KeyID != "k1" {
			t.Errorf("mixed set: %v %v, want only k1", keys, err)
		}
	})
	t.Run("UnknownKeyTypesIgnored", func(t *testing.T) {
		// RFC 7517 §5: members of a set with a kty the implementation does not understand
		// are ignored, not a reason to refuse the whole set.
		srv := newJWKSServer(t, false)
		srv.setKeys(`{"kty":"PQC","kid":"future","pub":"AAAA"}`, `{"kty":"OKP","crv":"X25519","use":"enc","kid":"x","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}`, pub)
		keys, err := store.NewJWKSFetcher(true).Keys(ctx, srv.URL, false)
		if err != nil || len(keys) != 1 || keys[0].KeyID != "k1" {
			t.Errorf("set with keys of unknown types: %d keys, %v; want k1", len(keys), err)
		}
	})
	t.Run("Redirects", func(t *testing.T) {
		srv := newJWKSServer(t, false)
		srv.setKeys(pub)
		var hops atomic.Int64
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := hops.Add(1)
			if r.URL.Path == "/once" {
				http.Redirect(w, r, srv.URL+"/jwks", http.StatusFound)
				return
			}
			http.Redirect(w, r, fmt.Sprintf("/loop/%d", n), http.StatusFound)
		}))
		t.Cleanup(redirector.Close)
		f := store.NewJWKSFetcher(true)
		if keys, err := f.Keys(ctx, redirector.URL+"/once", false); err != nil || len(keys) != 1 {
			t.Errorf("one redirect: %v %v", keys, err)
		}
		if _, err := f.Keys(ctx, redirector.URL+"/loop", false); err == nil || !strings.Contains(err.Error(), "redirects") {
			t.Errorf("redirect loop: %v, want too many redirects", err)
		}
		if n := hops.Load(); n > 5 {
			t.Errorf("followed %d redirects, want at most 3", n-1)
		}
	})
	t.Run("Caching", func(t *testing.T) {
		srv := newJWKSServer(t, false)
		srv.setKeys(pub)
		f := store.NewJWKSFetcher(true)
		for i, refresh := range []bool{false, false, true, true, false} {
			keys, err := f.Keys(ctx, srv.URL, refresh)
			if err != nil || len(keys) != 1 {
				t.Fatalf("call %d: %v %v", i, keys, err)
			}
		}
		if n := srv.hits.Load(); n != 1 {
			t.Errorf("%d requests, want 1: cached within max-age, refreshes throttled to one a minute", n)
		}
		// A failed fetch is not retried at once either.
		down := newJWKSServer(t, false)
		down.setStatus(http.StatusInternalServerError)
		for i := 0; i < 3; i++ {
			if _, err := f.Keys(ctx, down.URL, true); err == nil {
				t.Errorf("call %d to a failing server succeeded", i)
			}
		}
		if n := down.hits.Load(); n != 1 {
			t.Errorf("%d requests to a failing server, want 1 a minute", n)
		}
	})
	t.Run("ConcurrentColdFetches", func(t *testing.T) {
		// While one caller fetches a set for the first time, others asking for it must get
		// the keys (or an error) — never "no keys and no error".
		srv := newJWKSServer(t, false)
		srv.setKeys(pub)
		srv.setDelay(300 * time.Millisecond)
		f := store.NewJWKSFetcher(true)
		var wg sync.WaitGroup
		var empty atomic.Int64
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				keys, err := f.Keys(ctx, srv.URL, false)
				if err == nil && len(keys) == 0 {
					empty.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := empty.Load(); n != 0 {
			t.Errorf("%d of 4 concurrent callers got no keys and no error during a first fetch", n)
		}
	})
	t.Run("InsecureRefused", func(t *testing.T) {
		f := store.NewJWKSFetcher(false)
		for uri, want := range map[string]string{
			"http://keys.example.com/jwks":   "https",
			"https://localhost/jwks":         "internal address",
			"https://LOCALHOST:8443/jwks":    "internal address",
			"https://127.0.0.1/jwks":         "internal address",
			"https://[::1]:8443/jwks":        "internal address",
			"https://10.1.2.3/jwks":          "internal address",
			"https://172.16.0.1/jwks":        "internal address",
			"https://169.254.169.254/latest": "internal address",
			"https://keys.example.com/#frag": "absolute URL",
			"ftp://keys.example.com/jwks":    "https",
			"https:///jwks":                  "absolute URL",
		} {
			if err := f.CheckURI(uri); err == nil || !errors.Is(err, models.ErrJWKSURI) || !strings.Contains(err.Error(), want) {
				t.Errorf("CheckURI(%s) = %v, want an ErrJWKSURI mentioning %q", uri, err, want)
			}
		}
		if err := f.CheckURI("https://keys.example.com/.well-known/jwks.json"); err != nil {
			t.Errorf("a public https URL: %v", err)
		}
		if err := store.NewJWKSFetcher(true).CheckURI("http://127.0.0.1:8080/jwks"); err != nil {
			t.Errorf("insecure fetcher refuses a loopback http URL: %v", err)
		}

		srv := newJWKSServer(t, true)
		srv.setKeys(pub)
		port := srv.Listener.Addr().(*net.TCPAddr).Port
		for _, uri := range []string{
			fmt.Sprintf("https://127.0.0.1:%d/jwks", port),
			fmt.Sprintf("https://localhost:%d/jwks", port),
		} {
			if _, err := f.Keys(ctx, uri, true); err == nil || !errors.Is(err, models.ErrJWKSURI) {
				t.Errorf("Keys(%s) = %v, want refused", uri, err)
			}
		}
		if n, c := srv.hits.Load(), srv.conns.Load(); n != 0 || c != 0 {
			t.Errorf("%d requests and %d connections reached the loopback server, want none", n, c)
		}
	})
	t.Run("DialerRefusesResolvedInternalAddress", func(t *testing.T) {
		// The literal checks cannot see what a name resolves to: the dialer must refuse it.
		name := loopbackName(t)
		srv := newJWKSServer(t, true)
		srv.setKeys(pub)
		uri := fmt.Sprintf("https://%s:%d/jwks", name, srv.Listener.Addr().(*net.TCPAddr).Port)
		f := store.NewJWKSFetcher(false)
		if err := f.CheckURI(uri); err != nil {
			t.Skipf("CheckURI refuses %s already (%v): the dialer path is not reached", uri, err)
		}
		_, err := f.Keys(ctx, uri, true)
		if err == nil || !errors.Is(err, models.ErrJWKSURI) || !strings.Contains(err.Error(), "internal address") {
			t.Errorf("Keys(%s) = %v, want refused as an internal address", uri, err)
		}
		if c := srv.conns.Load(); c != 0 {
			t.Errorf("%d connections reached the loopback server, want none", c)
		}
		// The same name with insecure fetching allowed does connect: the refusal above
		// came from the address check, not from a failing lookup.
		plain := newJWKSServer(t, false)
		plain.setKeys(pub)
		insecure := fmt.Sprintf("http://%s:%d/jwks", name, plain.Listener.Addr().(*net.TCPAddr).Port)
		if keys, err := store.NewJWKSFetcher(true).Keys(ctx, insecure, false); err != nil || len(keys) != 1 {
			t.Errorf("insecure fetcher on %s: %v %v", insecure, keys, err)
		}
	})
}

// loopbackName finds a host name (not "localhost", not an IP literal) that resolves only
// to loopback addresses, or skips the test.
func loopbackName(t *testing.T) string {
	t.Helper()
	host, _ := os.Hostname()
	for _, name := range []string{host, "localhost.", "localhost.localdomain", "ip6-localhost"} {
		if name == "" || strings.EqualFold(name, "localhost") || net.ParseIP(name) != nil {
			continue
		}
		addrs, err := net.LookupHost(name)
		if err != nil || len(addrs) == 0 {
			continue
		}
		ok := true
		for _, a := range addrs {
			if ip := net.ParseIP(a); ip == nil || !ip.IsLoopback() {
				ok = false
			}
		}
		if ok {
			return name
		}
	}
	t.Skip("no host name here resolves to loopback only")
	return ""
}

// verifyFixture is a project accepting private_key_jwt with a registered EC key.
type verifyFixture struct {
	s     *store.Store
	clock *ckClock
	owner models.Actor
	p     *models.Project
	key   *ecdsa.PrivateKey
	kid   string
}

func newVerifyFixture(t *testing.T, s *store.Store) *verifyFixture {
	t.Helper()
	f := &verifyFixture{s: s, clock: newCKClock(s), key: newECKey(t)}
	f.owner, f.p = signUp(t, s, "owner")
	enableKeys(t, s, f.owner, f.p)
	f.kid = addKey(t, s, f.owner, f.p.ID, "main", pubPEM(t, &f.key.PublicKey), 0).KID
	return f
}

// claims are a good assertion's claims at the store's time.
func (f *verifyFixture) claims() map[string]any { return assertionClaims(f.p.ID, f.clock.Now()) }

// sign signs claims with the registered key.
func (f *verifyFixture) sign(t *testing.T, c map[string]any) string {
	return signJWS(t, f.key, jose.ES256, f.kid, c, nil, false)
}

func (f *verifyFixture) verify(a string) (*models.Project, error) {
	return f.s.VerifyAssertion(context.Background(), a, "", ckAudiences, models.ForClientAuth)
}

func TestVerifyAssertion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newVerifyFixture(t, s)
		id := f.p.ID

		t.Run("Good", func(t *testing.T) {
			a := f.sign(t, f.claims())
			p, err := f.verify(a)
			if err != nil || p == nil || p.ID != id {
				t.Fatalf("good assertion: %v %v", p, err)
			}
			p, err = f.verify(a)
			wantOAuthErr(t, "replay", p, err, models.ErrCodeInvalidClient, "already been used")
			p, err = s.VerifyAssertion(ctx, a, id, ckAudiences, models.ForGrant)
			wantOAuthErr(t, "replay as a grant", p, err, models.ErrCodeInvalidGrant, "already been used")
		})
		t.Run("ExpectClient", func(t *testing.T) {
			if p, err := s.VerifyAssertion(ctx, f.sign(t, f.claims()), id, ckAudiences, models.ForClientAuth); err != nil || p.ID != id {
				t.Errorf("matching client_id: %v", err)
			}
			_, other := signUp(t, s, "other")
			p, err := s.VerifyAssertion(ctx, f.sign(t, f.claims()), other.ID, ckAudiences, models.ForClientAuth)
			wantOAuthErr(t, "client_id mismatch", p, err, models.ErrCodeInvalidClient, "client_id")
		})
		t.Run("AudienceForms", func(t *testing.T) {
			for name, aud := range map[string]any{
				"Issuer": ckIssuer, "Array": []string{"https://elsewhere.test", ckTokenURL}, "IssuerInArray": []string{ckIssuer},
			} {
				c := f.claims()
				c["aud"] = aud
				if _, err := f.verify(f.sign(t, c)); err != nil {
					t.Errorf("aud %s: %v", name, err)
				}
			}
		})
		t.Run("NoKidTriesTheKeys", func(t *testing.T) {
			if _, err := f.verify(signJWS(t, f.key, jose.ES256, "", f.claims(), nil, false)); err != nil {
				t.Errorf("assertion without kid: %v", err)
			}
		})
		t.Run("ForGrantCode", func(t *testing.T) {
			c := f.claims()
			c["aud"] = "https://evil.test"
			p, err := s.VerifyAssertion(ctx, f.sign(t, c), "", ckAudiences, models.ForGrant)
			wantOAuthErr(t, "wrong aud as a grant", p, err, models.ErrCodeInvalidGrant, "aud")
		})

		other, otherKey := func() (*models.Project, *ecdsa.PrivateKey) {
			a, p := signUp(t, s, "other-client")
			enableKeys(t, s, a, p)
			k := newECKey(t)
			addKey(t, s, a, p.ID, "other", pubPEM(t, &k.PublicKey), 0)
			return p, k
		}()
		attacker := newECKey(t)
		pubBytes := []byte(pubPEM(t, &f.key.PublicKey))
		jwkBytes := []byte(jwkJSON(t, &f.key.PublicKey, f.kid, "", ""))
		hs256 := func(secret []byte) string {
			return rawJWS(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": f.kid}, f.claims(), func(in string) []byte {
				m := hmac.New(sha256.New, secret)
				m.Write([]byte(in))
				return m.Sum(nil)
			})
		}
		with := func(edit func(c map[string]any)) string {
			c := f.claims()
			edit(c)
			return f.sign(t, c)
		}
		now := f.clock.Now()
		rejected := map[string]struct {
			assertion func() string
			desc      string
		}{
			"WrongAud":      {func() string { return with(func(c map[string]any) { c["aud"] = ckIssuer + "/oauth/introspect" }) }, "aud"},
			"NoAud":         {func() string { return with(func(c map[string]any) { delete(c, "aud") }) }, "aud"},
			"AudArrayWrong": {func() string { return with(func(c map[string]any) { c["aud"] = []string{"a", "b"} }) }, "aud"},
			"NoExp":         {func() string { return with(func(c map[string]any) { delete(c, "exp") }) }, "exp"},
			"PastExp":       {func() string { return with(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }) }, "expired"},
			"ExpTooFar":     {func() string { return with(func(c map[string]any) { c["exp"] = now.Add(10 * time.Minute).Unix() }) }, "5 minutes"},
			"ExpString":     {func() string { return with(func(c map[string]any) { c["exp"] = "soon" }) }, "malformed"},
			"ExpHuge":       {func() string { return with(func(c map[string]any) { c["exp"] = 1e300 }) }, "exp"},
			"LongLived": {func() string {
				return with(func(c map[string]any) { c["iat"] = now.Add(2*time.Minute - 10*time.Minute).Unix() })
			}, "longer than 5 minutes"},
			"NbfFuture": {func() string { return with(func(c map[string]any) { c["nbf"] = now.Add(2 * time.Minute).Unix() }) }, "not valid yet"},
			"NoJTI":     {func() string { return with(func(c map[string]any) { delete(c, "jti") }) }, "jti"},
			"LongJTI":   {func() string { return with(func(c map[string]any) { c["jti"] = strings.Repeat("j", 201) }) }, "jti"},
			"IssNotSub": {func() string { return with(func(c map[string]any) { c["sub"] = other.ID }) }, "iss and sub"},
			"NoIss":     {func() string { return with(func(c map[string]any) { delete(c, "iss"); delete(c, "sub") }) }, "iss and sub"},
			"IssIsAUser": {func() string {
				return with(func(c map[string]any) { c["iss"], c["sub"] = f.owner.User.ID, f.owner.User.ID })
			}, "iss and sub"},
			"UnknownProject": {func() string {
				return with(func(c map[string]any) {
					c["iss"], c["sub"] = "prj_aaaaaaaaaaaaaaaaaaaaaaaaaa", "prj_aaaaaaaaaaaaaaaaaaaaaaaaaa"
				})
			}, "not signed"},
			"OtherProjectsID": {func() string {
				return with(func(c map[string]any) { c["iss"], c["sub"] = other.ID, other.ID })
			}, "not signed"},
			"OtherProjectsKey": {func() string {
				return signJWS(t, otherKey, jose.ES256, "", f.claims(), nil, false)
			}, "not signed"},
			"UnregisteredKey": {func() string { return signJWS(t, attacker, jose.ES256, f.kid, f.claims(), nil, false) }, "not signed"},
			"UnknownKid":      {func() string { return signJWS(t, f.key, jose.ES256, "nope", f.claims(), nil, false) }, "not signed"},
			"AlgNone": {func() string {
				return rawJWS(t, map[string]any{"alg": "none", "typ": "JWT"}, f.claims(), func(string) []byte { return nil })
			}, "algorithm"},
			"AlgNoneUpper": {func() string {
				return rawJWS(t, map[string]any{"alg": "NONE", "kid": f.kid}, f.claims(), func(string) []byte { return nil })
			}, "algorithm"},
			"HS256WithPEM": {func() string { return hs256(pubBytes) }, "algorithm"},
			"HS256WithJWK": {func() string { return hs256(jwkBytes) }, "algorithm"},
			"EmbeddedJWK": {func() string {
				return signJWS(t, attacker, jose.ES256, f.kid, f.claims(), nil, true)
			}, "keys"},
			"EmbeddedJWKOfRegisteredKey": {func() string {
				return signJWS(t, f.key, jose.ES256, "", f.claims(), nil, true)
			}, "keys"},
			"JKU": {func() string {
				return signJWS(t, f.key, jose.ES256, f.kid, f.claims(), map[jose.HeaderKey]any{"jku": "https://evil.test/jwks"}, false)
			}, "key URLs"},
			"X5U": {func() string {
				return signJWS(t, f.key, jose.ES256, f.kid, f.claims(), map[jose.HeaderKey]any{"x5u": "https://evil.test/cert"}, false)
			}, "key URLs"},
			"X5C": {func() string {
				return signJWS(t, f.key, jose.ES256, f.kid, f.claims(), map[jose.HeaderKey]any{"x5c": []string{"MIIB"}}, false)
			}, "keys"},
			"Crit": {func() string {
				return signJWS(t, f.key, jose.ES256, f.kid, f.claims(), map[jose.HeaderKey]any{"crit": []string{"exp"}, "exp": 1}, false)
			}, "crit"},
			"B64False": {func() string {
				return signJWS(t, f.key, jose.ES256, f.kid, f.claims(), map[jose.HeaderKey]any{"b64": false}, false)
			}, "crit"},
			"Oversized": {func() string { return with(func(c map[string]any) { c["pad"] = strings.Repeat("x", 9<<10) }) }, "8 KiB"},
			"TwoSegments": {func() string {
				a := f.sign(t, f.claims())
				return a[:strings.LastIndexByte(a, '.')]
			}, "compact"},
			"FourSegments": {func() string { return f.sign(t, f.claims()) + ".AAAA" }, "compact"},
			"JSONSerialization": {func() string {
				return `{"payload":"e30","signatures":[{"protected":"eyJhbGciOiJFUzI1NiJ9","signature":"AAAA"}]}`
			}, "compact"},
			"BadHeader":    {func() string { return "!!!." + strings.SplitN(f.sign(t, f.claims()), ".", 2)[1] }, "header"},
			"TamperedBody": {func() string { return tamperPayload(t, f.sign(t, f.claims()), other.ID) }, "not signed"},
			"ZeroSignature": {func() string {
				a := f.sign(t, f.claims())
				return a[:strings.LastIndexByte(a, '.')+1] + base64.RawURLEncoding.EncodeToString(make([]byte, 64))
			}, "not signed"},
			"ES256AsRS256": {func() string {
				a := f.sign(t, f.claims())
				parts := strings.Split(a, ".")
				h, _ := json.Marshal(map[string]any{"alg": "RS256", "kid": f.kid})
				return base64.RawURLEncoding.EncodeToString(h) + "." + parts[1] + "." + parts[2]
			}, "not signed"},
		}
		for name, tc := range rejected {
			t.Run("Rejects"+name, func(t *testing.T) {
				a := tc.assertion()
				p, err := f.verify(a)
				wantOAuthErr(t, name, p, err, models.ErrCodeInvalidClient, tc.desc)
				p, err = s.VerifyAssertion(ctx, a, "", ckAudiences, models.ForGrant)
				wantOAuthErr(t, name+" as a grant", p, err, models.ErrCodeInvalidGrant, tc.desc)
			})
		}

		t.Run("ExpiredAndForgedIsForged", func(t *testing.T) {
			c := f.claims()
			c["exp"] = now.Add(-time.Hour).Unix()
			p, err := f.verify(signJWS(t, attacker, jose.ES256, f.kid, c, nil, false))
			wantOAuthErr(t, "expired and forged", p, err, models.ErrCodeInvalidClient, "not signed")
		})
		t.Run("Leeway", func(t *testing.T) {
			// Within 30 s of clock skew either way.
			if _, err := f.verify(with(func(c map[string]any) { c["exp"] = now.Add(-10 * time.Second).Unix() })); err != nil {
				t.Errorf("exp 10 s ago: %v", err)
			}
			if _, err := f.verify(with(func(c map[string]any) { c["nbf"] = now.Add(10 * time.Second).Unix() })); err != nil {
				t.Errorf("nbf in 10 s: %v", err)
			}
			if _, err := f.verify(with(func(c map[string]any) { c["exp"] = now.Add(5 * time.Minute).Unix(); c["iat"] = now.Unix() })); err != nil {
				t.Errorf("a 5-minute assertion: %v", err)
			}
		})
		t.Run("ProjectWithoutPrivateKeyJWT", func(t *testing.T) {
			a, p := signUp(t, s, "secrets-only")
			k := newECKey(t)
			ck := addKey(t, s, a, p.ID, "k", pubPEM(t, &k.PublicKey), 0)
			got, err := f.s.VerifyAssertion(ctx, signJWS(t, k, jose.ES256, ck.KID, assertionClaims(p.ID, f.clock.Now()), nil, false), "", ckAudiences, models.ForClientAuth)
			// The same words as for an unknown client: no oracle (the audit log says why).
			wantOAuthErr(t, "private_key_jwt not enabled", got, err, models.ErrCodeInvalidClient, "not signed by a key registered")
			// Enabled, it works; disabled again, it stops.
			enableKeys(t, s, a, p)
			if _, err := f.s.VerifyAssertion(ctx, signJWS(t, k, jose.ES256, ck.KID, assertionClaims(p.ID, f.clock.Now()), nil, false), "", ckAudiences, models.ForClientAuth); err != nil {
				t.Errorf("enabled: %v", err)
			}
			enableKeys(t, s, a, p, models.AuthClientSecret)
			got, err = f.s.VerifyAssertion(ctx, signJWS(t, k, jose.ES256, ck.KID, assertionClaims(p.ID, f.clock.Now()), nil, false), "", ckAudiences, models.ForClientAuth)
			wantOAuthErr(t, "private_key_jwt disabled again", got, err, models.ErrCodeInvalidClient, "not signed by a key registered")
		})
		t.Run("RotationAndRemoval", func(t *testing.T) {
			ed := newEdKey(t)
			rk := newRSAKey(t, 2048)
			edKey := addKey(t, s, f.owner, id, "ed", jwkJSON(t, ed.Public(), "ed-1", "", ""), 0)
			rsaKey := addKey(t, s, f.owner, id, "rsa", jwkJSON(t, &rk.PublicKey, "rsa-ps", "PS256", ""), 0)
			signed := map[string]func() string{
				"ES256": func() string { return f.sign(t, f.claims()) },
				"EdDSA": func() string { return signJWS(t, ed, jose.EdDSA, "ed-1", f.claims(), nil, false) },
				"PS256": func() string { return signJWS(t, rk, jose.PS256, "rsa-ps", f.claims(), nil, false) },
			}
			for name, a := range signed {
				if _, err := f.verify(a()); err != nil {
					t.Errorf("%s during rotation: %v", name, err)
				}
			}
			// The registered alg binds: an RS256 signature by the PS256 key fails.
			p, err := f.verify(signJWS(t, rk, jose.RS256, "rsa-ps", f.claims(), nil, false))
			wantOAuthErr(t, "RS256 with a PS256 key", p, err, models.ErrCodeInvalidClient, "not signed")

			if err := s.RemoveClientKey(ctx, f.owner, id, edKey.ID); err != nil {
				t.Fatal(err)
			}
			p, err = f.verify(signed["EdDSA"]())
			wantOAuthErr(t, "removed key", p, err, models.ErrCodeInvalidClient, "not signed")
			if _, err := f.verify(signed["ES256"]()); err != nil {
				t.Errorf("the remaining key after removal: %v", err)
			}
			if err := s.RemoveClientKey(ctx, f.owner, id, rsaKey.ID); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("ExpiredKey", func(t *testing.T) {
			a, p := signUp(t, s, "expiring")
			enableKeys(t, s, a, p)
			k := newECKey(t)
			ck := addKey(t, s, a, p.ID, "k", pubPEM(t, &k.PublicKey), 24*time.Hour)
			sign := func() string {
				return signJWS(t, k, jose.ES256, ck.KID, assertionClaims(p.ID, f.clock.Now()), nil, false)
			}
			if _, err := f.s.VerifyAssertion(ctx, sign(), "", ckAudiences, models.ForClientAuth); err != nil {
				t.Fatalf("before expiry: %v", err)
			}
			f.clock.Advance(24*time.Hour + time.Second)
			got, err := f.s.VerifyAssertion(ctx, sign(), "", ckAudiences, models.ForClientAuth)
			wantOAuthErr(t, "expired key", got, err, models.ErrCodeInvalidClient, "not signed")
		})
		t.Run("UsedJTIsArePruned", func(t *testing.T) {
			a := f.sign(t, f.claims())
			if _, err := f.verify(a); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(10 * time.Minute)
			if err := s.PruneUsedAssertions(ctx); err != nil {
				t.Fatal(err)
			}
			p, err := f.verify(a)
			wantOAuthErr(t, "replay after pruning", p, err, models.ErrCodeInvalidClient, "expired")
		})
		t.Run("DeletedProject", func(t *testing.T) {
			a, p := signUp(t, s, "deleted")
			enableKeys(t, s, a, p)
			k := newECKey(t)
			ck := addKey(t, s, a, p.ID, "k", pubPEM(t, &k.PublicKey), 0)
			if err := s.DeleteProject(ctx, a, p.ID); err != nil {
				t.Fatal(err)
			}
			got, err := f.s.VerifyAssertion(ctx, signJWS(t, k, jose.ES256, ck.KID, assertionClaims(p.ID, f.clock.Now()), nil, false), "", ckAudiences, models.ForClientAuth)
			wantOAuthErr(t, "deleted project", got, err, models.ErrCodeInvalidClient, "")
		})
		t.Run("ConcurrentReplay", func(t *testing.T) {
			a := f.sign(t, f.claims())
			var wg sync.WaitGroup
			var ok, replayed atomic.Int64
			errs := make(chan error, 8)
			start := make(chan struct{})
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, err := f.verify(a)
					var oe *models.OAuthError
					switch {
					case err == nil:
						ok.Add(1)
					case errors.As(err, &oe) && strings.Contains(oe.Description, "already been used"):
						replayed.Add(1)
					default:
						errs <- err
					}
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("unexpected error: %v", err)
			}
			if ok.Load() != 1 || replayed.Load() != 7 {
				t.Errorf("%d successes and %d replays, want exactly 1 and 7", ok.Load(), replayed.Load())
			}
		})
	})
}

// tamperPayload swaps the iss and sub of a signed assertion, keeping its signature.
func tamperPayload(t *testing.T, a, iss string) string {
	t.Helper()
	parts := strings.Split(a, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	c["iss"], c["sub"] = iss, iss
	b, _ := json.Marshal(c)
	return parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
}

// signRawES256 signs a compact JWS with exactly the given header and payload text
// (duplicate members, odd spellings), ES256 as JWS does it: R‖S, 32 bytes each.
func signRawES256(t *testing.T, key *ecdsa.PrivateKey, header, payload string) string {
	t.Helper()
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	d := sha256.Sum256([]byte(input))
	r, sig, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	sig.FillBytes(out[32:])
	return input + "." + base64.RawURLEncoding.EncodeToString(out)
}

// TestVerifyAssertionStrictJSON: an assertion signed by the client's registered key whose
// header or claims repeat a member, or spell a member the portal reads in another case
// or by Unicode folding, is malformed, not read the way encoding/json would read it
// (SECURITY.md item 53).
func TestVerifyAssertionStrictJSON(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newVerifyFixture(t, s)
		id := f.p.ID
		_, other := signUp(t, s, "other-client")
		header := `{"alg":"ES256","typ":"JWT","kid":"` + f.kid + `"}`
		// claims are a good assertion's claims, edited, with extra members appended as text.
		claims := func(edit func(c map[string]any), extra string) string {
			c := f.claims()
			if edit != nil {
				edit(c)
			}
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if extra == "" {
				return string(b)
			}
			return string(b[:len(b)-1]) + "," + extra + "}"
		}
		without := func(names ...string) func(c map[string]any) {
			return func(c map[string]any) {
				for _, n := range names {
					delete(c, n)
				}
			}
		}
		if p, err := f.verify(signRawES256(t, f.key, header, claims(nil, ""))); err != nil || p == nil || p.ID != id {
			t.Fatalf("control: a good raw-signed assertion: %v %v", p, err)
		}
		for _, c := range []struct {
			name, header, claims, desc string
		}{
			{"DuplicateSub", header, claims(func(c map[string]any) { c["sub"] = other.ID }, `"sub":"`+id+`"`), "claims are malformed"},
			{"DuplicateSubSameValue", header, claims(nil, `"sub":"`+id+`"`), "claims are malformed"},
			{"ISSInsteadOfIss", header, claims(without("iss"), `"ISS":"`+id+`"`), "claims are malformed"},
			{"ISSAlongsideIss", header, claims(func(c map[string]any) { c["iss"] = other.ID }, `"ISS":"`+id+`"`), "claims are malformed"},
			{"LongSSub", header, claims(without("sub"), `"ſub":"`+id+`"`), "claims are malformed"},
			{"EscapedDuplicateJti", header, claims(nil, `"\u006ati":"another"`), "claims are malformed"},
			{"DuplicateExpLaterValid", header, claims(func(c map[string]any) { c["exp"] = f.clock.Now().Add(-time.Hour).Unix() },
				fmt.Sprintf(`"exp":%d`, f.clock.Now().Add(time.Minute).Unix())), "claims are malformed"},
			{"DuplicateKid", `{"alg":"ES256","typ":"JWT","kid":"nope","kid":"` + f.kid + `"}`, claims(nil, ""), "header is malformed"},
			{"DuplicateAlg", `{"alg":"none","typ":"JWT","kid":"` + f.kid + `","alg":"ES256"}`, claims(nil, ""), "header is malformed"},
			{"KidCaseVariant", `{"alg":"ES256","typ":"JWT","Kid":"` + f.kid + `"}`, claims(nil, ""), "header is malformed"},
			{"ALGCaseVariant", `{"ALG":"ES256","typ":"JWT","kid":"` + f.kid + `"}`, claims(nil, ""), "header is malformed"},
		} {
			t.Run(c.name, func(t *testing.T) {
				a := signRawES256(t, f.key, c.header, c.claims)
				p, err := f.verify(a)
				wantOAuthErr(t, c.name, p, err, models.ErrCodeInvalidClient, c.desc)
				p, err = s.VerifyAssertion(ctx, a, "", ckAudiences, models.ForGrant)
				wantOAuthErr(t, c.name+" as a grant", p, err, models.ErrCodeInvalidGrant, c.desc)
			})
		}
	})
}

// TestAssertionIssuerStrictJSON: the unverified iss used for rate limiting is read as
// strictly as the assertion is verified.
func TestAssertionIssuerStrictJSON(t *testing.T) {
	key := newECKey(t)
	id := "prj_aaaaaaaaaaaaaaaaaaaaaaaaaa"
	header := `{"alg":"ES256","typ":"JWT","kid":"k1"}`
	for _, c := range []struct{ name, claims, want string }{
		{"Good", `{"iss":"` + id + `","sub":"` + id + `"}`, id},
		{"DuplicateIss", `{"iss":"prj_bbbbbbbbbbbbbbbbbbbbbbbbbb","sub":"` + id + `","iss":"` + id + `"}`, ""},
		{"ISS", `{"ISS":"` + id + `","sub":"` + id + `"}`, ""},
		{"DuplicateSub", `{"iss":"` + id + `","sub":"` + id + `","sub":"` + id + `"}`, ""},
	} {
		if got := models.AssertionIssuer(signRawES256(t, key, header, c.claims)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// jwksFixture is a project whose key is registered as a jwks_uri on a test server.
type jwksFixture struct {
	*verifyFixture
	srv  *jwksServer
	ext1 *ecdsa.PrivateKey
}

func newJWKSFixture(t *testing.T, s *store.Store) *jwksFixture {
	t.Helper()
	s.SetJWKSFetcher(store.NewJWKSFetcher(true))
	f := &verifyFixture{s: s, clock: newCKClock(s)}
	// The fetcher reads the store's clock, from the registration's fetch on, so that the
	// assertions (dated by that clock) and the refetch throttle move together when a test
	// advances it.
	s.JWKSFetcher().SetClock(f.clock.Now)
	f.owner, f.p = signUp(t, s, "jwks-owner")
	enableKeys(t, s, f.owner, f.p)
	jf := &jwksFixture{verifyFixture: f, srv: newJWKSServer(t, false), ext1: newECKey(t)}
	jf.srv.setKeys(jwkJSON(t, &jf.ext1.PublicKey, "ext-1", "", ""))
	if _, err := s.AddClientKey(context.Background(), f.owner, f.p.ID, models.ClientKeyInput{Name: "jwks", JWKSURI: jf.srv.URL + "/jwks"}, ""); err != nil {
		t.Fatal(err)
	}
	return jf
}

func TestVerifyAssertionWithJWKSURI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newJWKSFixture(t, s)
		if _, err := f.verify(signJWS(t, f.ext1, jose.ES256, "ext-1", f.claims(), nil, false)); err != nil {
			t.Fatalf("jwks_uri key: %v", err)
		}
		if n := f.srv.hits.Load(); n != 1 {
			t.Errorf("%d fetches, want 1 (registration; verification uses the cache)", n)
		}
		// A new key published by the client: within the cooldown, a flood of assertions with
		// unknown kids costs at most one refetch (SECURITY.md §A4).
		ext2 := newECKey(t)
		f.srv.setKeys(jwkJSON(t, &f.ext1.PublicKey, "ext-1", "", ""), jwkJSON(t, &ext2.PublicKey, "ext-2", "", ""))
		for i := 0; i < 5; i++ {
			got, err := f.verify(signJWS(t, newECKey(t), jose.ES256, fmt.Sprintf("unknown-%d", i), f.claims(), nil, false))
			wantOAuthErr(t, fmt.Sprintf("unknown kid %d", i), got, err, models.ErrCodeInvalidClient, "not signed by a key registered")
		}
		if n := f.srv.hits.Load(); n > 2 {
			t.Errorf("%d fetches after 5 unknown kids, want at most one refetch", n)
		}
		// A new instance (cold cache) fetches the set and knows the new key.
		s.SetJWKSFetcher(store.NewJWKSFetcher(true))
		for kid, k := range map[string]*ecdsa.PrivateKey{"ext-2": ext2, "ext-1": f.ext1} {
			if _, err := f.verify(signJWS(t, k, jose.ES256, kid, f.claims(), nil, false)); err != nil {
				t.Errorf("%s from a fresh fetcher: %v", kid, err)
			}
		}
		// The client's server serving garbage or going down keeps the cached copy.
		f.srv.setStatus(http.StatusInternalServerError)
		if _, err := f.verify(signJWS(t, f.ext1, jose.ES256, "ext-1", f.claims(), nil, false)); err != nil {
			t.Errorf("cached key while the client's server is down: %v", err)
		}
		// An embedded jwk or jku never causes a fetch.
		before := f.srv.hits.Load()
		_, err := f.verify(signJWS(t, f.ext1, jose.ES256, "ext-1", f.claims(), map[jose.HeaderKey]any{"jku": f.srv.URL + "/jwks"}, false))
		if err == nil || f.srv.hits.Load() != before {
			t.Errorf("jku: %v after %d fetches, want rejected without a fetch", err, f.srv.hits.Load()-before)
		}
	})
}

// TestJWKSColdCacheConcurrentAssertions: right after a restart, several assertions of a
// jwks_uri client arrive at once; all of them must verify.
func TestJWKSColdCacheConcurrentAssertions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newJWKSFixture(t, s)
		s.SetJWKSFetcher(store.NewJWKSFetcher(true)) // a new instance: nothing cached
		f.srv.setDelay(300 * time.Millisecond)
		assertions := make([]string, 4)
		for i := range assertions {
			assertions[i] = signJWS(t, f.ext1, jose.ES256, "ext-1", f.claims(), nil, false)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(assertions))
		for i, a := range assertions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.verify(a)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("assertion %d of %d concurrent ones on a cold cache: %v", i+1, len(errs), err)
			}
		}
	})
}

// TestJWKSAfterCooldown steps the fetchers' clocks past the one-minute refetch throttle,
// to check that Cache-Control max-age is respected, that a cached copy outlives a failing
// server, and that an assertion with a kid the cached set lacks makes the portal fetch the
// jwks_uri again, once (on every configured database). The clocks are injected, so the
// minute passes without waiting for it.
func TestJWKSAfterCooldown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ec := newECKey(t)
	pub := jwkJSON(t, &ec.PublicKey, "k1", "", "")
	short, def, down := newJWKSServer(t, false), newJWKSServer(t, false), newJWKSServer(t, false)
	for _, s := range []*jwksServer{short, def, down} {
		s.setKeys(pub)
	}
	short.setHeader("Cache-Control", "public, max-age=60")
	clock := &ckClock{t: time.Now().UTC().Truncate(time.Second)}
	f := store.NewJWKSFetcher(true)
	f.SetClock(clock.Now)
	for _, s := range []*jwksServer{short, def, down} {
		if _, err := f.Keys(ctx, s.URL, false); err != nil {
			t.Fatal(err)
		}
	}

	stores := []*store.Store{storetest.SQLite(t)}
	if os.Getenv(storetest.PostgresEnv) != "" {
		stores = append(stores, storetest.Postgres(t))
	}
	fixtures := make([]*jwksFixture, len(stores))
	ext2 := newECKey(t)
	for i, s := range stores {
		fixtures[i] = newJWKSFixture(t, s)
		fixtures[i].srv.setKeys(jwkJSON(t, &fixtures[i].ext1.PublicKey, "ext-1", "", ""), jwkJSON(t, &ext2.PublicKey, "ext-2", "", ""))
	}

	// One second short of the minute, a refresh is still throttled: the cached copy, no request.
	clock.Advance(59 * time.Second)
	if keys, err := f.Keys(ctx, def.URL, true); err != nil || len(keys) != 1 || def.hits.Load() != 1 {
		t.Errorf("refresh 59 s after the fetch: %v %v, %d requests; want the cached copy and no refetch", keys, err, def.hits.Load())
	}
	clock.Advance(2 * time.Second)
	for _, jf := range fixtures {
		jf.clock.Advance(61 * time.Second)
	}

	down.setStatus(http.StatusServiceUnavailable)
	for _, s := range []*jwksServer{short, def} {
		if _, err := f.Keys(ctx, s.URL, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := short.hits.Load(); n != 2 {
		t.Errorf("max-age=60 set after 61 s: %d requests, want 2 (refetched when stale)", n)
	}
	if n := def.hits.Load(); n != 1 {
		t.Errorf("default max-age set after 61 s: %d requests, want 1 (still fresh)", n)
	}
	if keys, err := f.Keys(ctx, def.URL, true); err != nil || len(keys) != 1 || def.hits.Load() != 2 {
		t.Errorf("refresh after the cooldown: %v %v, %d requests; want a refetch", keys, err, def.hits.Load())
	}
	keys, err := f.Keys(ctx, down.URL, true)
	if err != nil || len(keys) != 1 || down.hits.Load() != 2 {
		t.Errorf("failing server after the cooldown: %v %v, %d requests; want the cached copy after one try", keys, err, down.hits.Load())
	}

	for i, jf := range fixtures {
		db := storetest.Name(stores[i])
		if _, err := jf.verify(signJWS(t, ext2, jose.ES256, "ext-2", jf.claims(), nil, false)); err != nil {
			t.Errorf("%s: new kid after the cooldown: %v", db, err)
		}
		if n := jf.srv.hits.Load(); n != 2 {
			t.Errorf("%s: %d fetches, want 2 (registration, then one refetch for the unknown kid)", db, n)
		}
		for kid, k := range map[string]*ecdsa.PrivateKey{"ext-1": jf.ext1, "ext-2": ext2} {
			if _, err := jf.verify(signJWS(t, k, jose.ES256, kid, jf.claims(), nil, false)); err != nil {
				t.Errorf("%s: %s: %v", db, kid, err)
			}
		}
		if n := jf.srv.hits.Load(); n != 2 {
			t.Errorf("%s: %d fetches after more known kids, want still 2", db, n)
		}
	}
}
