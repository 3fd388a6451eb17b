package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/models"
)

// codeFrom has the signed-in browser b follow an authorization URL (allowing on the
// consent page when it is shown) and returns the code the app receives.
func (a *acApp) codeFrom(t *testing.T, b *browser, authURL, state string) string {
	t.Helper()
	res := b.get(authURL)
	if res.StatusCode == http.StatusOK {
		res = allow(t, b, consentForm(t, res), "allow")
	}
	code := a.callback(t, res, acRedirect, state).Get("code")
	if code == "" {
		t.Fatal("no code in the redirect")
	}
	return code
}

// makePublic turns the app into a public client (no secret at the token endpoint).
func (a *acApp) makePublic(t *testing.T) {
	t.Helper()
	uris, public := acRedirect, true
	if err := a.e.store.UpdateProject(context.Background(), a.dev.actor, a.project.ID, models.ProjectSettings{Name: a.project.Name,
		TokenTTLMinutes: 15, GrantTypes: []string{models.GrantAuthorizationCode}, RedirectURIs: &uris, PublicClient: &public}); err != nil {
		t.Fatal(err)
	}
}

// tokenCall posts to the token endpoint with the app's credentials (none for a public
// client: client_id in the form) and DPoP proofs.
func (a *acApp) tokenCall(t *testing.T, public bool, form url.Values, proofs ...string) (*http.Response, map[string]any, string) {
	t.Helper()
	if public {
		form.Set("client_id", a.project.ID)
		return oauthPostFrom(t, a.e, "", "/oauth/token", form, "", "", proofs...)
	}
	return oauthPostFrom(t, a.e, "", "/oauth/token", form, a.project.ID, a.secret, proofs...)
}

// redeemForm is the token request for a code.
func redeemForm(code, verifier string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {acRedirect}, "code_verifier": {verifier}}
}

// tokenProof is a DPoP proof for the portal's endpoint at path by k.
func tokenProof(t *testing.T, e *env, k *dpopKey, method, path string) string {
	return k.proof(t, proofSpec{method: method, htu: e.portal.URL + path, iat: e.clock()})
}

// RFC 9449 §5 over HTTP: a public client that redeems its code with a DPoP proof gets a
// refresh token bound to that key. A refresh without a proof, with another key's, with
// a replayed proof or one for another method or URL is refused — and the token is not
// rotated by it: the right proof still refreshes, with an access token bound to the
// key. A confidential client's refresh token stays unbound; each access token is bound
// to the proof of its own request.
func TestDPoPBoundRefreshOverHTTP(t *testing.T) {
	a := newACApp(t)
	e := a.e
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	k, other := newDPoPKey(t, jose.ES256), newDPoPKey(t, jose.EdDSA)
	cfg := a.config(acRedirect, "orders:read", "offline_access")

	t.Run("PublicClient", func(t *testing.T) {
		a.makePublic(t)
		v := oauth2.GenerateVerifier()
		redeemProof := tokenProof(t, e, k, "POST", "/oauth/token")
		res, body, raw := a.tokenCall(t, true, redeemForm(a.codeFrom(t, alice, a.authURL(cfg, "s", v), "s"), v), redeemProof)
		rt, _ := body["refresh_token"].(string)
		if res.StatusCode != http.StatusOK || body["token_type"] != "DPoP" || rt == "" {
			t.Fatalf("redeem with a proof: %d %s", res.StatusCode, raw)
		}
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
		for _, tc := range []struct {
			name   string
			proofs []string
			code   string
		}{
			{"NoProof", nil, "invalid_grant"},
			{"OtherKey", []string{tokenProof(t, e, other, "POST", "/oauth/token")}, "invalid_grant"},
			{"ReplayedProof", []string{redeemProof}, "invalid_dpop_proof"},
			{"WrongHTM", []string{tokenProof(t, e, k, "GET", "/oauth/token")}, "invalid_dpop_proof"},
			{"WrongHTU", []string{tokenProof(t, e, k, "POST", "/oauth/par")}, "invalid_dpop_proof"},
		} {
			res, _, raw := a.tokenCall(t, true, refresh, tc.proofs...)
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(raw, `"error":"`+tc.code+`"`) {
				t.Errorf("%s: %d %s, want 400 %s", tc.name, res.StatusCode, raw, tc.code)
			}
		}
		res, body, raw = a.tokenCall(t, true, refresh, tokenProof(t, e, k, "POST", "/oauth/token"))
		if res.StatusCode != http.StatusOK || body["token_type"] != "DPoP" || body["refresh_token"] == rt {
			t.Fatalf("refresh with the bound key after the refused ones: %d %s, want a DPoP token and a new refresh token", res.StatusCode, raw)
		}
		if jkt := tokenCnf(t, body["access_token"].(string)); jkt != k.jkt {
			t.Errorf("refreshed access token bound to %q, want %s", jkt, k.jkt)
		}
	})
	t.Run("ConfidentialClient", func(t *testing.T) {
		public := false
		if err := e.store.UpdateProject(context.Background(), a.dev.actor, a.project.ID, models.ProjectSettings{Name: a.project.Name,
			TokenTTLMinutes: 15, GrantTypes: []string{models.GrantAuthorizationCode}, PublicClient: &public}); err != nil {
			t.Fatal(err)
		}
		v := oauth2.GenerateVerifier()
		res, body, raw := a.tokenCall(t, false, redeemForm(a.codeFrom(t, alice, a.authURL(cfg, "c", v), "c"), v), tokenProof(t, e, k, "POST", "/oauth/token"))
		rt, _ := body["refresh_token"].(string)
		if res.StatusCode != http.StatusOK || rt == "" || tokenCnf(t, body["access_token"].(string)) != k.jkt {
			t.Fatalf("redeem with a proof: %d %s", res.StatusCode, raw)
		}
		res, body, raw = a.tokenCall(t, false, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		if res.StatusCode != http.StatusOK || body["token_type"] != "Bearer" {
			t.Fatalf("confidential refresh without a proof: %d %s, want a bearer token (the refresh token is unbound)", res.StatusCode, raw)
		}
		rt, _ = body["refresh_token"].(string)
		res, body, raw = a.tokenCall(t, false, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, tokenProof(t, e, other, "POST", "/oauth/token"))
		if res.StatusCode != http.StatusOK || body["token_type"] != "DPoP" || tokenCnf(t, body["access_token"].(string)) != other.jkt {
			t.Errorf("confidential refresh with another key's proof: %d %s, want a token bound to that key", res.StatusCode, raw)
		}
	})
}

// RFC 9449 §10 over HTTP: dpop_jkt on the authorization request, or a DPoP proof on
// the pushed authorization request (§10.1), binds the code to the key: redeeming it
// without a proof or with another key's is invalid_grant; with the key, the access
// token is bound to it. A malformed dpop_jkt is invalid_request; a pushed request whose
// dpop_jkt and proof disagree, or whose proof is not for /oauth/par, is refused.
func TestDPoPJKTAuthorizationOverHTTP(t *testing.T) {
	a := newACApp(t)
	e := a.e
	alice := e.browser()
	alice.mustSignIn("alice@example.com")
	k, other := newDPoPKey(t, jose.ES256), newDPoPKey(t, jose.ES256)
	cfg := a.config(acRedirect, "orders:read")
	for _, how := range []string{"Authorize", "PushedWithProof", "PushedWithParameter"} {
		t.Run(how, func(t *testing.T) {
			code := func(state, verifier string) string {
				if how == "Authorize" {
					return a.codeFrom(t, alice, a.authURL(cfg, state, verifier, oauth2.SetAuthURLParam("dpop_jkt", k.jkt)), state)
				}
				form := a.pushForm(acRedirect, "orders:read", state, verifier)
				var proofs []string
				if how == "PushedWithProof" {
					proofs = []string{tokenProof(t, e, k, "POST", "/oauth/par")}
				} else {
					form.Set("dpop_jkt", k.jkt)
				}
				res, body, raw := oauthPostFrom(t, e, "", "/oauth/par", form, a.project.ID, a.secret, proofs...)
				if res.StatusCode != http.StatusCreated {
					t.Fatalf("PAR: %d %s", res.StatusCode, raw)
				}
				return a.codeFrom(t, alice, a.pushedURL(body["request_uri"].(string), nil), state)
			}
			for name, proofs := range map[string][]string{"NoProof": nil, "OtherKey": {tokenProof(t, e, other, "POST", "/oauth/token")}} {
				v := oauth2.GenerateVerifier()
				res, _, raw := a.tokenCall(t, false, redeemForm(code("s-"+name, v), v), proofs...)
				wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_grant")
				if !strings.Contains(raw, "dpop_jkt") {
					t.Errorf("%s: %s, want the reason (the code is bound by dpop_jkt)", name, raw)
				}
			}
			v := oauth2.GenerateVerifier()
			res, body, raw := a.tokenCall(t, false, redeemForm(code("s-ok", v), v), tokenProof(t, e, k, "POST", "/oauth/token"))
			if res.StatusCode != http.StatusOK || tokenCnf(t, body["access_token"].(string)) != k.jkt {
				t.Errorf("redeemed with the bound key: %d %s, want a token bound to it", res.StatusCode, raw)
			}
		})
	}
	t.Run("Malformed", func(t *testing.T) {
		for _, bad := range []string{"short", strings.Repeat("+", 43), k.jkt + "A"} {
			res := alice.get(a.authURL(cfg, "m", oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("dpop_jkt", bad)))
			if q := a.callback(t, res, acRedirect, "m"); q.Get("error") != "invalid_request" || q.Get("code") != "" {
				t.Errorf("dpop_jkt %q: %v, want invalid_request and no code", bad, q)
			}
			form := a.pushForm(acRedirect, "orders:read", "m", oauth2.GenerateVerifier())
			form.Set("dpop_jkt", bad)
			res, _, raw := oauthPost(t, e, "/oauth/par", form, a.project.ID, a.secret)
			wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_request")
		}
		before := pushedRows(t, e)
		form := a.pushForm(acRedirect, "orders:read", "m", oauth2.GenerateVerifier())
		form.Set("dpop_jkt", other.jkt)
		res, _, raw := oauthPostFrom(t, e, "", "/oauth/par", form, a.project.ID, a.secret, tokenProof(t, e, k, "POST", "/oauth/par"))
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_dpop_proof")
		res, _, raw = oauthPostFrom(t, e, "", "/oauth/par", a.pushForm(acRedirect, "orders:read", "m", oauth2.GenerateVerifier()),
			a.project.ID, a.secret, tokenProof(t, e, k, "POST", "/oauth/token"))
		wantOAuthError(t, res, raw, http.StatusBadRequest, "invalid_dpop_proof")
		if n := pushedRows(t, e); n != before {
			t.Errorf("refused pushed requests stored %d rows", n-before)
		}
	})
}
