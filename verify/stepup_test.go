package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

// userToken is a user's access token: sub the user, client_id the app acting for them.
func (f *fakeIssuer) userToken(edit func(map[string]any)) string {
	return f.accessTokenWith(func(c map[string]any) {
		c["sub"], c["sub_type"], c["client_id"] = "usr_1", "user", "prj_orders"
		if edit != nil {
			edit(c)
		}
	})
}

// The user's authentication claims (RFC 9470) reach the Principal; a user's token
// names the app in client_id, which is not the user.
func TestStepUpClaims(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier()
	ctx := context.Background()
	authAt := f.clock.now().Add(-2 * time.Minute)
	p, err := v.Verify(ctx, f.userToken(func(c map[string]any) {
		c["auth_time"], c["acr"], c["amr"] = authAt.Unix(), "urn:gatehouse:acr:mfa", []string{"pwd", "otp"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !p.AuthTime.Equal(authAt) || p.ACR != "urn:gatehouse:acr:mfa" || !slices.Equal(p.AMR, []string{"pwd", "otp"}) ||
		p.SubjectType != SubjectUser || p.Subject != "usr_1" || p.Project != "" {
		t.Errorf("principal = %+v", p)
	}
	p, err = v.Verify(ctx, f.accessToken())
	if err != nil {
		t.Fatal(err)
	}
	if !p.AuthTime.IsZero() || p.ACR != "" || p.AMR != nil {
		t.Errorf("a project's token: AuthTime %v, ACR %q, AMR %v, want none", p.AuthTime, p.ACR, p.AMR)
	}
	if _, err := v.Verify(ctx, f.userToken(func(c map[string]any) { delete(c, "client_id") })); !errors.Is(err, ErrClaims) {
		t.Errorf("a user's token without client_id: %v, want ErrClaims", err)
	}
	if _, err := v.Verify(ctx, f.accessTokenWith(func(c map[string]any) { c["client_id"] = "prj_other" })); !errors.Is(err, ErrClaims) {
		t.Errorf("a project's token naming another client: %v, want ErrClaims", err)
	}
}

// A malformed auth_time, acr or amr is a claims error; a duplicate or case variant of
// one is malformed, like any name verify reads.
func TestStepUpClaimsMalformed(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier()
	set := func(k string, x any) func(map[string]any) { return func(c map[string]any) { c[k] = x } }
	for name, tc := range map[string]struct {
		edit func(map[string]any)
		want error
	}{
		"auth_time a string":      {set("auth_time", "1777636800"), ErrClaims},
		"auth_time 1e19":          {set("auth_time", 1e19), ErrClaims},
		"auth_time negative":      {set("auth_time", -1), ErrClaims},
		"acr a number":            {set("acr", 2), ErrClaims},
		"acr an array":            {set("acr", []string{"mfa"}), ErrClaims},
		"amr a string":            {set("amr", "pwd"), ErrClaims},
		"amr with a number":       {set("amr", []any{"pwd", 1}), ErrClaims},
		"amr with a null element": {set("amr", []any{"pwd", nil}), ErrClaims},
		"AUTH_TIME":               {set("AUTH_TIME", 1), ErrMalformed},
		"Acr":                     {set("Acr", "mfa"), ErrMalformed},
		"AMR":                     {set("AMR", []string{"pwd"}), ErrMalformed},
	} {
		if _, err := v.Verify(context.Background(), f.userToken(tc.edit)); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

func TestCheckAuthTimeAndACR(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	p := &Principal{AuthTime: now.Add(-5 * time.Minute), ACR: "mfa"}
	for _, tc := range []struct {
		name   string
		p      *Principal
		maxAge time.Duration
		ok     bool
	}{
		{"fresh", p, 10 * time.Minute, true},
		{"exactly maxAge old", p, 5 * time.Minute, true},
		{"a second too old", p, 5*time.Minute - time.Second, false},
		{"no auth_time", &Principal{}, time.Hour, false},
		{"no principal", nil, time.Hour, false},
	} {
		err := tc.p.CheckAuthTime(now, tc.maxAge)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
		var su *StepUpError
		if err != nil && (!errors.Is(err, ErrInsufficientUserAuthentication) || !errors.As(err, &su) || su.MaxAge != tc.maxAge) {
			t.Errorf("%s: %#v, want a StepUpError with MaxAge %v", tc.name, err, tc.maxAge)
		}
	}
	if err := p.CheckACR("hwk", "mfa"); err != nil {
		t.Errorf("acr among the values: %v", err)
	}
	var su *StepUpError
	if err := p.CheckACR("hwk"); !errors.As(err, &su) || !slices.Equal(su.ACRValues, []string{"hwk"}) {
		t.Errorf("acr not among the values: %v", err)
	}
	if err := (&Principal{}).CheckACR("mfa", ""); err == nil {
		t.Error("no acr passed CheckACR")
	}
	// Without values nothing passes, and the challenge still asks for an acr, not a max age.
	w := httptest.NewRecorder()
	(&Verifier{}).WriteError(w, p.CheckACR())
	if got, want := w.Header().Get("WWW-Authenticate"), `Bearer error="insufficient_user_authentication", error_description="the user's authentication is not of a required level", acr_values=""`; got != want {
		t.Errorf("CheckACR(): %q, want %q", got, want)
	}
}

// The middleware answers RFC 9470 challenges, on the verifier's clock, and the handler
// is not called.
func TestRequireAuthTimeAndACR(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier()
	called := 0
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called++; w.WriteHeader(http.StatusNoContent) })
	mux := http.NewServeMux()
	mux.Handle("/fresh", RequireAuthTime(5*time.Minute)(ok))
	mux.Handle("/mfa", RequireACR("urn:gatehouse:acr:mfa", "urn:gatehouse:acr:hwk")(ok))
	h := v.Middleware(mux)
	do := func(path, tok string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	tok := f.userToken(func(c map[string]any) {
		c["auth_time"], c["acr"] = f.clock.now().Add(-time.Minute).Unix(), "urn:gatehouse:acr:pwd"
	})
	expect := func(w *httptest.ResponseRecorder, challenge, desc string) {
		t.Helper()
		if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != challenge {
			t.Errorf("got %d %q, want 401 %q", w.Code, w.Header().Get("WWW-Authenticate"), challenge)
		}
		var body map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if body["error"] != "insufficient_user_authentication" || body["error_description"] != desc {
			t.Errorf("body = %v", body)
		}
	}
	if w := do("/fresh", tok); w.Code != http.StatusNoContent || called != 1 {
		t.Errorf("authenticated a minute ago, max 5: %d, called %d", w.Code, called)
	}
	f.clock.advance(4*time.Minute + time.Second) // 5 min 1 s since auth_time, on the verifier's clock
	expect(do("/fresh", tok), `Bearer error="insufficient_user_authentication", error_description="the user authenticated too long ago", max_age="300"`,
		"the user authenticated too long ago")
	expect(do("/fresh", f.accessToken()), `Bearer error="insufficient_user_authentication", error_description="the credential does not say when the user authenticated", max_age="300"`,
		"the credential does not say when the user authenticated")
	expect(do("/mfa", tok), `Bearer error="insufficient_user_authentication", error_description="the user's authentication is not of a required level", acr_values="urn:gatehouse:acr:mfa urn:gatehouse:acr:hwk"`,
		"the user's authentication is not of a required level")
	if called != 1 {
		t.Errorf("handler called %d times, want once", called)
	}
	mfa := f.userToken(func(c map[string]any) { c["acr"] = "urn:gatehouse:acr:hwk" })
	if w := do("/mfa", mfa); w.Code != http.StatusNoContent || called != 2 {
		t.Errorf("acr among the values: %d, called %d", w.Code, called)
	}
	// A handler that steps up itself answers with WriteError, even through a wrap.
	w := httptest.NewRecorder()
	v.WriteError(w, fmt.Errorf("route /admin: %w", (&Principal{}).CheckACR("urn:gatehouse:acr:hwk")))
	expect(w, `Bearer error="insufficient_user_authentication", error_description="the user's authentication is not of a required level", acr_values="urn:gatehouse:acr:hwk"`,
		"the user's authentication is not of a required level")
}

func TestRequireStepUpPanicsOnBadArguments(t *testing.T) {
	for name, f := range map[string]func(){
		"negative max age": func() { RequireAuthTime(-time.Second) },
		"no acr values":    func() { RequireACR() },
		"an empty acr":     func() { RequireACR("mfa", "") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
