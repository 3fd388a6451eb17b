package verify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestVerifyAPIKey(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier()
	p, err := v.Verify(context.Background(), f.apiKey(nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindAPIKey || p.Project != "prj_orders" || p.Team != "team_1" || p.KeyID != "key_1" {
		t.Errorf("principal = %+v", p)
	}
	if !p.HasScope("orders:write") || p.HasScope("orders:delete") {
		t.Errorf("scopes = %v", p.Scopes)
	}
	if got, want := p.ExpiresAt, f.clock.now().Add(time.Hour).Truncate(time.Second); !got.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", got, want)
	}
}

func TestVerifyAccessToken(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier()
	p, err := v.Verify(context.Background(), f.accessToken())
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindAccessToken || p.Project != "prj_orders" {
		t.Errorf("principal = %+v", p)
	}
	keysOnly := f.verifier(Accept(KindAPIKey))
	if _, err := keysOnly.Verify(context.Background(), f.accessToken()); !errors.Is(err, ErrType) {
		t.Errorf("access token where only API keys are accepted: %v, want ErrType", err)
	}
	tokensOnly := f.verifier(Accept(KindAccessToken))
	if _, err := tokensOnly.Verify(context.Background(), f.apiKey(nil)); !errors.Is(err, ErrType) {
		t.Errorf("API key where only access tokens are accepted: %v, want ErrType", err)
	}
}

func TestCacheStillChecksExpiryAndStatus(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier()
	ctx := context.Background()
	tok := f.apiKey(func(c map[string]any) { c["exp"] = f.clock.now().Add(10 * time.Minute).Unix() })
	for i := 0; i < 3; i++ {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if s := v.Stats(); s.Verified != 1 || s.CacheHits != 2 {
		t.Errorf("stats = %+v, want 1 full verification and 2 cache hits", s)
	}
	// Revoked: the cached key is rejected once the refreshed list says so.
	f.revoke("sl_1", 3)
	f.clock.advance(61 * time.Second)
	if err := v.fetchStatusList(ctx, (*v.lists.Load())[f.url+"/statuslists/sl_1"]); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrRevoked) {
		t.Errorf("cached, then revoked: %v, want ErrRevoked", err)
	}
	// Expired: a cached token past exp is rejected.
	other := f.apiKey(func(c map[string]any) {
		c["exp"] = f.clock.now().Add(time.Minute).Unix()
		c["status"] = map[string]any{"status_list": map[string]any{"idx": 5, "uri": f.url + "/statuslists/sl_1"}}
	})
	if _, err := v.Verify(ctx, other); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(2 * time.Minute)
	if _, err := v.Verify(ctx, other); !errors.Is(err, ErrExpired) {
		t.Errorf("cached, then expired: %v, want ErrExpired", err)
	}
}

func TestRevocationWithinTTL(t *testing.T) {
	f := newIssuer(t)
	f.listTTL = 1
	f.clock.t = time.Now() // this test runs on the real clock, with the real background loop
	tick := func(c *config) { c.refreshEvery = 100 * time.Millisecond }
	v, err := New(context.Background(), f.url, Audience("orders-api"), tick, Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	tok := f.apiKey(nil)
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatal(err)
	}
	f.revoke("sl_1", 3)
	revoked := func() bool {
		_, err := v.Verify(context.Background(), tok)
		return errors.Is(err, ErrRevoked)
	}
	// The verifier refreshes the list in the background on the wall clock: poll the
	// condition, with a deadline.
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	poll := time.NewTicker(50 * time.Millisecond)
	defer poll.Stop()
	for !revoked() {
		select {
		case <-deadline.C:
			t.Fatal("a revoked key was still accepted 10 s after revocation with a 1 s ttl")
		case <-poll.C:
		}
	}
}

func TestPortalUnreachable(t *testing.T) {
	f := newIssuer(t)
	f.listLife = 10 * time.Minute
	ctx := context.Background()
	closed := f.verifier()
	open := f.verifier(FailOpen())
	tok := f.apiKey(func(c map[string]any) { c["exp"] = f.clock.now().Add(24 * time.Hour).Unix() })
	for _, v := range []*Verifier{closed, open} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	f.down.Store(true)
	// JWKS and list are cached: a new token of a known key verifies with the portal down.
	fresh := f.apiKey(func(c map[string]any) { c["jti"] = "key_2"; c["exp"] = f.clock.now().Add(24 * time.Hour).Unix() })
	if _, err := closed.Verify(ctx, fresh); err != nil {
		t.Errorf("portal down, cached JWKS and list: %v", err)
	}
	// Past the list's exp: fail closed by default, open when configured, and counted.
	f.clock.advance(11 * time.Minute)
	if _, err := closed.Verify(ctx, tok); !errors.Is(err, ErrStatusUnavailable) {
		t.Errorf("fail-closed verifier past the list's exp: %v, want ErrStatusUnavailable", err)
	}
	if _, err := open.Verify(ctx, tok); err != nil {
		t.Errorf("fail-open verifier past the list's exp: %v, want acceptance", err)
	}
	if closed.Stats().FailClosed == 0 || open.Stats().FailOpen == 0 {
		t.Errorf("stats do not count the decisions: closed %+v open %+v", closed.Stats(), open.Stats())
	}
	// Back up: the list is fetched again and the key accepted.
	f.down.Store(false)
	f.clock.advance(31 * time.Second) // past the fetch cooldown
	if _, err := closed.Verify(ctx, tok); err != nil {
		t.Errorf("portal back: %v", err)
	}
}

func TestNewValidatesDiscovery(t *testing.T) {
	f := newIssuer(t)
	ctx := context.Background()
	if _, err := New(ctx, f.url); err == nil {
		t.Error("New without an Audience succeeded")
	}
	if _, err := New(ctx, f.url+"/other", Audience("a")); err == nil {
		t.Error("New with an issuer whose metadata names another issuer succeeded")
	}
	if _, err := New(ctx, "http://127.0.0.1:1", Audience("a")); err == nil {
		t.Error("New against nothing succeeded")
	}
	if _, err := New(ctx, f.url, Audience("a"), Algorithms("HS256")); err == nil {
		t.Error("New with HS256 succeeded")
	}
}

func TestMiddleware(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier()
	var seen *Principal
	h := v.Middleware(RequireScope("orders:read")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	})))
	do := func(mut func(*http.Request)) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		mut(r)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	key := f.apiKey(nil)

	w := do(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) })
	if w.Code != http.StatusNoContent || seen == nil || seen.Project != "prj_orders" {
		t.Fatalf("good key: %d, principal %+v", w.Code, seen)
	}
	w = do(func(r *http.Request) { r.Header.Set("Authorization", "bearer "+key) })
	if w.Code != http.StatusNoContent {
		t.Errorf("lower-case bearer scheme: %d, want 204", w.Code)
	}
	w = do(func(*http.Request) {})
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != `Bearer realm="orders-api"` {
		t.Errorf("no credential: %d %q, want 401 and a bare Bearer challenge", w.Code, w.Header().Get("WWW-Authenticate"))
	}
	w = do(func(r *http.Request) { r.Header.Set("Authorization", "Bearer garbage") })
	if wa := w.Header().Get("WWW-Authenticate"); w.Code != http.StatusUnauthorized || !strings.Contains(wa, `error="invalid_token"`) {
		t.Errorf("bad credential: %d %q, want 401 invalid_token", w.Code, wa)
	}
	w = do(func(r *http.Request) { r.Header.Set("X-API-Key", key) })
	if w.Code != http.StatusUnauthorized {
		t.Errorf("X-API-Key without HeaderAPIKey: %d, want 401", w.Code)
	}
	w = do(func(r *http.Request) { r.URL.RawQuery = "api_key=" + key })
	if w.Code != http.StatusUnauthorized {
		t.Errorf("query credential without QueryParam: %d, want 401", w.Code)
	}
	narrow := f.apiKey(func(c map[string]any) { c["scope"] = "orders:write" })
	w = do(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+narrow) })
	if wa := w.Header().Get("WWW-Authenticate"); w.Code != http.StatusForbidden || !strings.Contains(wa, `error="insufficient_scope"`) || !strings.Contains(wa, `scope="orders:read"`) {
		t.Errorf("missing scope: %d %q, want 403 insufficient_scope naming the scope", w.Code, wa)
	}

	withHeader := f.verifier(HeaderAPIKey(), QueryParam("api_key"))
	h2 := withHeader.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for name, mut := range map[string]func(*http.Request){
		"X-API-Key": func(r *http.Request) { r.Header.Set("X-API-Key", key) },
		"query":     func(r *http.Request) { r.URL.RawQuery = "api_key=" + key },
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		mut(r)
		w := httptest.NewRecorder()
		h2.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent {
			t.Errorf("%s when enabled: %d, want 204", name, w.Code)
		}
	}
}

func TestCacheIsBounded(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier(CacheSize(64))
	for i := 0; i < 500; i++ {
		tok := f.apiKey(func(c map[string]any) {
			c["jti"] = "key_" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String()
		})
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.Stats().CachedCredentials; n > 64 {
		t.Errorf("cache holds %d credentials, want at most 64", n)
	}
}

// With ResourceMetadata, every challenge WriteError writes names the metadata URL
// (RFC 9728 §5.1); without it, none does.
func TestResourceMetadataChallenge(t *testing.T) {
	f := newIssuer(t)
	const meta = "https://orders.example.com/.well-known/oauth-protected-resource/v1"
	param := `, resource_metadata="` + meta + `"`
	with, without := f.verifier(ResourceMetadata(meta)), f.verifier()
	for name, tc := range map[string]struct {
		err    error
		status int
		want   string // the challenge without the parameter
	}{
		"no token":      {ErrNoToken, http.StatusUnauthorized, `Bearer realm="orders-api"`},
		"invalid token": {ErrExpired, http.StatusUnauthorized, `Bearer realm="orders-api", error="invalid_token", error_description="` + ErrExpired.Error() + `"`},
		"scope":         {ErrInsufficientScope, http.StatusForbidden, `Bearer error="insufficient_scope", error_description="` + ErrInsufficientScope.Error() + `"`},
		"step-up": {&StepUpError{Reason: "sign in again", MaxAge: time.Minute}, http.StatusUnauthorized,
			`Bearer error="insufficient_user_authentication", error_description="sign in again", max_age="60"`},
	} {
		for _, v := range []struct {
			v    *Verifier
			want string
		}{{with, tc.want + param}, {without, tc.want}} {
			w := httptest.NewRecorder()
			v.v.WriteError(w, tc.err)
			if got := w.Header().Get("WWW-Authenticate"); w.Code != tc.status || got != v.want {
				t.Errorf("%s: %d %q, want %d %q", name, w.Code, got, tc.status, v.want)
			}
		}
	}
	// Through the middleware: a request without a credential learns where to look.
	h := with.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/orders", nil))
	if got := w.Header().Get("WWW-Authenticate"); w.Code != http.StatusUnauthorized || got != `Bearer realm="orders-api"`+param {
		t.Errorf("middleware without a credential: %d %q", w.Code, got)
	}
}
