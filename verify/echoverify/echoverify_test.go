package echoverify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/verify"
	"github.com/gatehouse-dev/gatehouse/verify/echoverify"
)

// issuer serves metadata and a JWKS for one ES256 key and signs access tokens with it.
func issuer(t *testing.T) (string, func(scope string, extra ...map[string]any) string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var url string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/oauth-authorization-server":
			_ = json.NewEncoder(w).Encode(map[string]any{"issuer": url, "jwks_uri": url + "/jwks"})
		case "/jwks":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	url = srv.URL
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	return url, func(scope string, extra ...map[string]any) string {
		now := time.Now()
		claims := map[string]any{"iss": url, "sub": "prj_x", "client_id": "prj_x", "aud": "orders-api",
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "at_1", "scope": scope}
		for _, m := range extra {
			for k, x := range m {
				claims[k] = x
			}
		}
		payload, _ := json.Marshal(claims)
		obj, err := signer.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := obj.CompactSerialize()
		return tok
	}
}

func TestEchoMiddleware(t *testing.T) {
	url, token := issuer(t)
	v, err := verify.New(context.Background(), url, verify.Audience("orders-api"))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	e := echo.New()
	e.Use(echoverify.Middleware(v))
	e.GET("/orders", func(c echo.Context) error {
		return c.String(http.StatusOK, echoverify.Principal(c).Project)
	}, echoverify.RequireScope("orders:read"))

	do := func(auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/orders", nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	if rec := do(token("orders:read")); rec.Code != http.StatusOK || rec.Body.String() != "prj_x" {
		t.Errorf("valid token: %d %q, want 200 prj_x", rec.Code, rec.Body.String())
	}
	if rec := do(token("orders:write")); rec.Code != http.StatusForbidden ||
		!strings.Contains(rec.Header().Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Errorf("missing scope: %d %q, want 403 insufficient_scope", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	if rec := do(""); rec.Code != http.StatusUnauthorized {
		t.Errorf("no token: %d, want 401", rec.Code)
	}
	if rec := do("garbage"); rec.Code != http.StatusUnauthorized ||
		!strings.Contains(rec.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("garbage: %d %q, want 401 invalid_token", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
}

// TestEchoMiddlewareAllowLists checks that the adapter passes the verifier's
// allow-lists through unchanged: a listed project gets its principal, with the API it
// was accepted for; others get verify's 401 invalid_token naming the reason.
func TestEchoMiddlewareAllowLists(t *testing.T) {
	url, token := issuer(t)
	for _, tc := range []struct {
		name   string
		opt    verify.Option
		status int
		body   string // the handler's answer, or the error_description in the challenge
	}{
		{"ProjectListed", verify.Projects("prj_x"), http.StatusOK, "prj_x orders-api"},
		{"ProjectNotListed", verify.Projects("prj_other"), http.StatusUnauthorized, "not allowed: project not on the allow-list"},
		{"NoTeamClaim", verify.Teams("team_1"), http.StatusUnauthorized, "not allowed: no team claim"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := verify.New(context.Background(), url, verify.Audience("orders-api"), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			e := echo.New()
			e.Use(echoverify.Middleware(v))
			e.GET("/orders", func(c echo.Context) error {
				p := echoverify.Principal(c)
				return c.String(http.StatusOK, p.Project+" "+p.API)
			})
			req := httptest.NewRequest(http.MethodGet, "/orders", nil)
			req.Header.Set("Authorization", "Bearer "+token("orders:read"))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("got %d %q, want %d", rec.Code, rec.Body.String(), tc.status)
			}
			if tc.status == http.StatusOK {
				if got := rec.Body.String(); got != tc.body {
					t.Errorf("handler answered %q, want %q", got, tc.body)
				}
				return
			}
			want := `Bearer realm="orders-api", error="invalid_token", error_description="` + tc.body + `"`
			if got := rec.Header().Get("WWW-Authenticate"); got != want {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
		})
	}
}

// TestEchoStepUp checks the RFC 9470 adapters: a stale authentication or another acr
// gets verify's 401 insufficient_user_authentication challenge; a fresh one reaches
// the handler.
func TestEchoStepUp(t *testing.T) {
	url, token := issuer(t)
	now := time.Now()
	v, err := verify.New(context.Background(), url, verify.Audience("orders-api"), verify.Clock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	e := echo.New()
	e.Use(echoverify.Middleware(v))
	ok := func(c echo.Context) error { return c.String(http.StatusOK, echoverify.Principal(c).Subject) }
	e.GET("/fresh", ok, echoverify.RequireAuthTime(10*time.Minute))
	e.GET("/mfa", ok, echoverify.RequireACR("mfa"))
	do := func(path, tok string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	user := func(authAgo time.Duration, acr string) string {
		return token("", map[string]any{"sub": "usr_1", "sub_type": "user", "auth_time": now.Add(-authAgo).Unix(), "acr": acr})
	}
	if rec := do("/fresh", user(time.Minute, "pwd")); rec.Code != http.StatusOK || rec.Body.String() != "usr_1" {
		t.Errorf("fresh: %d %q, want 200 usr_1", rec.Code, rec.Body.String())
	}
	want := `Bearer error="insufficient_user_authentication", error_description="the user authenticated too long ago", max_age="600"`
	if rec := do("/fresh", user(11*time.Minute, "pwd")); rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != want {
		t.Errorf("stale: %d %q, want 401 %q", rec.Code, rec.Header().Get("WWW-Authenticate"), want)
	}
	if rec := do("/mfa", user(time.Minute, "mfa")); rec.Code != http.StatusOK {
		t.Errorf("acr mfa: %d, want 200", rec.Code)
	}
	want = `Bearer error="insufficient_user_authentication", error_description="the user's authentication is not of a required level", acr_values="mfa"`
	if rec := do("/mfa", user(time.Minute, "pwd")); rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") != want {
		t.Errorf("acr pwd: %d %q, want 401 %q", rec.Code, rec.Header().Get("WWW-Authenticate"), want)
	}
}
