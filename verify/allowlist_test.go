package verify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// withTeam adds the team claim to access token claims.
func withTeam(team string) func(map[string]any) {
	return func(c map[string]any) { c["team"] = team }
}

func TestAllowLists(t *testing.T) {
	f := newIssuer(t)
	for _, tc := range []struct {
		name string
		opts []Option
		tok  func() string
		// want is nil for an accepted credential, else the reason it is rejected.
		want error
		// desc is what the middleware tells the client (rejections only).
		desc string
	}{
		{name: "NoListsAPIKey", tok: func() string { return f.apiKey(nil) }},
		{name: "NoListsAccessTokenWithoutTeam", tok: f.accessToken},
		{name: "ProjectListedAPIKey", opts: []Option{Projects("prj_orders")}, tok: func() string { return f.apiKey(nil) }},
		{name: "ProjectListedAmongOthers", opts: []Option{Projects("prj_billing", "prj_orders")}, tok: f.accessToken},
		{name: "ProjectNotListedAPIKey", opts: []Option{Projects("prj_billing")}, tok: func() string { return f.apiKey(nil) },
			want: ErrNotAllowed, desc: "not allowed: project not on the allow-list"},
		{name: "ProjectNotListedAccessToken", opts: []Option{Projects("prj_billing")}, tok: f.accessToken,
			want: ErrNotAllowed, desc: "not allowed: project not on the allow-list"},
		{name: "ProjectCaseMatters", opts: []Option{Projects("PRJ_ORDERS")}, tok: func() string { return f.apiKey(nil) },
			want: ErrNotAllowed, desc: "not allowed: project not on the allow-list"},
		{name: "TeamListedAPIKey", opts: []Option{Teams("team_1")}, tok: func() string { return f.apiKey(nil) }},
		{name: "TeamNotListedAPIKey", opts: []Option{Teams("team_2")}, tok: func() string { return f.apiKey(nil) },
			want: ErrNotAllowed, desc: "not allowed: team not on the allow-list"},
		{name: "TeamListedAccessTokenWithTeam", opts: []Option{Teams("team_2", "team_1")},
			tok: func() string { return f.accessTokenWith(withTeam("team_1")) }},
		{name: "TeamNotListedAccessTokenWithTeam", opts: []Option{Teams("team_2")},
			tok:  func() string { return f.accessTokenWith(withTeam("team_1")) },
			want: ErrNotAllowed, desc: "not allowed: team not on the allow-list"},
		{name: "TeamsSetAccessTokenWithoutTeam", opts: []Option{Teams("team_1")}, tok: f.accessToken,
			want: ErrNotAllowed, desc: "not allowed: no team claim"},
		{name: "TeamsSetEmptyTeamClaim", opts: []Option{Teams("team_1")},
			tok:  func() string { return f.accessTokenWith(withTeam("")) },
			want: ErrNotAllowed, desc: "not allowed: no team claim"},
		{name: "BothListed", opts: []Option{Projects("prj_orders"), Teams("team_1")}, tok: func() string { return f.apiKey(nil) }},
		{name: "BothProjectListedTeamNot", opts: []Option{Projects("prj_orders"), Teams("team_2")},
			tok:  func() string { return f.apiKey(nil) },
			want: ErrNotAllowed, desc: "not allowed: team not on the allow-list"},
		{name: "LastProjectsOptionCounts", opts: []Option{Projects("prj_orders"), Projects("prj_billing")},
			tok:  func() string { return f.apiKey(nil) },
			want: ErrNotAllowed, desc: "not allowed: project not on the allow-list"},
		// The lists come after the signature and the claims: a forged or expired
		// credential is reported as such.
		{name: "NotListedAndForged", opts: []Option{Projects("prj_billing")},
			tok:  func() string { return tamper(f.apiKey(nil)) },
			want: ErrSignature, desc: "bad signature"},
		{name: "NotListedAndExpired", opts: []Option{Teams("team_2")},
			tok: func() string {
				return f.accessTokenWith(func(c map[string]any) {
					c["team"] = "team_1"
					c["exp"] = f.clock.now().Add(-time.Hour).Unix()
				})
			},
			want: ErrExpired, desc: "expired"},
		{name: "NotListedOtherAudience", opts: []Option{Projects("prj_billing")},
			tok:  func() string { return f.apiKey(func(c map[string]any) { c["aud"] = []string{"billing-api"} }) },
			want: ErrAudience, desc: "wrong audience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := f.verifier(tc.opts...)
			tok := tc.tok()
			p, err := v.Verify(context.Background(), tok)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Verify: got %v, want acceptance", err)
				}
				if got, want := p.API, "orders-api"; got != want {
					t.Errorf("Principal.API = %q, want %q", got, want)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify: got %v, want %v", err, tc.want)
			}
			if tc.want != ErrNotAllowed && errors.Is(err, ErrNotAllowed) {
				t.Errorf("Verify: got %v, which also wraps ErrNotAllowed; want only %v", err, tc.want)
			}
			if got := describe(err); got != tc.desc {
				t.Errorf("described as %q, want %q", got, tc.desc)
			}
			// Refused again, and never remembered: the next call checks it in full.
			if _, err := v.Verify(context.Background(), tok); !errors.Is(err, tc.want) {
				t.Errorf("second Verify: got %v, want %v", err, tc.want)
			}
			if s := v.Stats(); s.CachedCredentials != 0 || s.CacheHits != 0 || s.Verified != 0 || s.Rejected != 2 {
				t.Errorf("stats = %+v, want 2 rejections and nothing cached", s)
			}
		})
	}
}

// tamper flips a bit in the middle of a token's signature.
func tamper(tok string) string {
	i := strings.LastIndexByte(tok, '.')
	b := []byte(tok)
	mid := i + (len(tok)-i)/2
	if b[mid] == 'A' {
		b[mid] = 'B'
	} else {
		b[mid] = 'A'
	}
	return string(b)
}

func TestAllowListsNeedIDs(t *testing.T) {
	f := newIssuer(t)
	for name, opt := range map[string]Option{
		"Projects()":   Projects(),
		"Teams()":      Teams(),
		`Projects("")`: Projects("prj_orders", ""),
		`Teams("")`:    Teams(""),
	} {
		if v, err := New(context.Background(), f.url, Audience("orders-api"), opt); err == nil {
			v.Close()
			t.Errorf("New with %s: got no error, want one (an empty allow-list would refuse everyone)", name)
		}
	}
}

// TestAllowListsCachedCredential checks that a credential in the cache is refused by an
// allow-list just like a new one: a credential outside the list is never cached, and
// an entry that got there anyway (here put by the test) is checked on every hit.
func TestAllowListsCachedCredential(t *testing.T) {
	f := newIssuer(t)
	ctx := context.Background()
	v := f.verifier(Projects("prj_orders"), Teams("team_1"))

	good := f.accessTokenWith(withTeam("team_1"))
	for i := 0; i < 2; i++ {
		p, err := v.Verify(ctx, good)
		if err != nil {
			t.Fatalf("listed access token, call %d: %v", i+1, err)
		}
		if p.Team != "team_1" || p.API != "orders-api" || p.Kind != KindAccessToken {
			t.Errorf("call %d: Team %q, API %q, Kind %q; want team_1, orders-api, access_token", i+1, p.Team, p.API, p.Kind)
		}
	}
	if s := v.Stats(); s.Verified != 1 || s.CacheHits != 1 {
		t.Fatalf("stats = %+v, want 1 full verification and 1 cache hit", s)
	}

	// A caller that edits the Principal it got does not change what the cache checks.
	p, err := v.Verify(ctx, good)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	p.Project, p.Team = "prj_billing", "team_2"
	if _, err := v.Verify(ctx, good); err != nil {
		t.Errorf("cached credential after its Principal was edited: %v, want acceptance", err)
	}

	// Entries for credentials outside the lists, as an older verifier without lists
	// would have cached them: every hit is refused, and the entry dropped.
	for _, tc := range []struct {
		name, project, team string
		desc                string
	}{
		{"OtherProject", "prj_billing", "team_1", "not allowed: project not on the allow-list"},
		{"OtherTeam", "prj_orders", "team_2", "not allowed: team not on the allow-list"},
		{"NoTeam", "prj_orders", "", "not allowed: no team claim"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := f.accessTokenWith(func(c map[string]any) {
				c["sub"], c["client_id"], c["jti"] = tc.project, tc.project, "at_"+tc.name
				if tc.team != "" {
					c["team"] = tc.team
				}
			})
			key := cacheKey(tok)
			exp := f.clock.now().Add(time.Hour)
			v.cache.put(key, cached{p: &Principal{Kind: KindAccessToken, API: "orders-api", Project: tc.project, Team: tc.team},
				exp: exp, kid: f.signKID, kind: KindAccessToken, project: tc.project, team: tc.team})
			_, err := v.Verify(ctx, tok)
			if !errors.Is(err, ErrNotAllowed) {
				t.Fatalf("cached credential of %s/%q: got %v, want ErrNotAllowed", tc.project, tc.team, err)
			}
			if got := describe(err); got != tc.desc {
				t.Errorf("described as %q, want %q", got, tc.desc)
			}
			if _, ok := v.cache.get(key); ok {
				t.Errorf("the refused entry is still cached")
			}
			if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrNotAllowed) {
				t.Errorf("second call, now fully checked: got %v, want ErrNotAllowed", err)
			}
		})
	}
}

func TestAllowListsMiddleware(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier(Teams("team_1"))
	var seen *Principal
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	do := func(tok string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := do(f.accessTokenWith(withTeam("team_1"))); w.Code != http.StatusNoContent || seen == nil || seen.API != "orders-api" || seen.Team != "team_1" {
		t.Fatalf("listed team: got %d with principal %+v, want 204 with API orders-api and Team team_1", w.Code, seen)
	}
	for _, tc := range []struct{ name, tok, desc string }{
		{"OtherTeam", f.apiKey(func(c map[string]any) { c["team"] = "team_2" }), "not allowed: team not on the allow-list"},
		{"NoTeam", f.accessToken(), "not allowed: no team claim"},
	} {
		w := do(tc.tok)
		got := w.Header().Get("WWW-Authenticate")
		want := `Bearer realm="orders-api", error="invalid_token", error_description="` + tc.desc + `"`
		if w.Code != http.StatusUnauthorized || got != want {
			t.Errorf("%s: got %d %q, want 401 %q", tc.name, w.Code, got, want)
		}
		if body := w.Body.String(); !strings.Contains(body, `"error_description":"`+tc.desc+`"`) {
			t.Errorf("%s: body %s, want error_description %q", tc.name, body, tc.desc)
		}
	}
}
