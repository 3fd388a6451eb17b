package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/models/store"
)

// TestAPIServiceAccounts walks the service-account routes of /api/v1 against the served
// document: an owner's token creates an account (once per Idempotency-Key), trusts a
// workload issuer, registers a key and a secret (its value once, no-store; a repeat is
// 409), lists and removes credentials under If-Match; the account's own token lists its
// team's members (itself among them, as a service account) and may not create another;
// deleting the account under If-Match ends its token.
func TestAPIServiceAccounts(t *testing.T) {
	e := newEnv(t)
	d := loadOpenAPI(t, e)
	owner := signedInMember(t, e, "sa-walker@api.example")
	c := &apiClient{t: t, e: e, doc: d, token: createPATViaPage(t, owner, url.Values{"name": {"walk"}, "scope": {"write"}, "expires_in_days": {"30"}})}
	team := c.call("GET", "/teams", nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)[0].(map[string]any)["id"].(string)
	base := "/teams/" + team + "/service-accounts"

	c.call("POST", base, map[string]any{"name": "root", "role": "owner"}, nil).want(t, http.StatusUnprocessableEntity)
	first := c.call("POST", base, map[string]any{"name": "deployer", "role": "developer", "description": "CI"}, map[string]string{"Idempotency-Key": "sa-1"}).
		want(t, http.StatusCreated).json(t)
	again := c.call("POST", base, map[string]any{"name": "deployer", "role": "developer", "description": "CI"}, map[string]string{"Idempotency-Key": "sa-1"}).
		want(t, http.StatusCreated).json(t)
	if first["id"] != again["id"] || !strings.HasPrefix(first["id"].(string), "sa_") {
		t.Fatalf("a repeated create: %v then %v", first["id"], again["id"])
	}
	sa := first["id"].(string)
	if items := c.call("GET", base, nil, nil).want(t, http.StatusOK).json(t)["items"].([]any); len(items) != 1 {
		t.Errorf("service accounts: %v", items)
	}

	// Credentials: a trusted issuer (its key set served here), a key, a secret.
	issuerKey := newP256(t)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &issuerKey.PublicKey, KeyID: "1", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(set) }))
	defer jwks.Close()
	e.store.SetJWKSFetcher(store.NewJWKSFetcher(true))
	c.call("POST", base+"/"+sa+"/workload-identities", map[string]any{"name": "any", "issuer": "https://ci.example", "jwks_uri": jwks.URL,
		"audience": "gatehouse", "subject": "*"}, nil).want(t, http.StatusUnprocessableEntity)
	wl := c.call("POST", base+"/"+sa+"/workload-identities", map[string]any{"name": "main", "issuer": "https://ci.example", "jwks_uri": jwks.URL,
		"audience": "gatehouse", "subject": "repo:acme/*", "claims": map[string]string{"ref": "refs/heads/main"}}, nil).want(t, http.StatusCreated).json(t)
	if wl["kind"] != "workload" || wl["claims"].(map[string]any)["ref"] != "refs/heads/main" {
		t.Errorf("workload credential %v", wl)
	}
	c.call("POST", base+"/"+sa+"/keys", map[string]any{"name": "signer", "key": publicPEM(t, &newP256(t).PublicKey)}, nil).want(t, http.StatusCreated)
	sec := c.call("POST", base+"/"+sa+"/secrets", map[string]any{"name": "fallback"}, map[string]string{"Idempotency-Key": "sec-1"}).want(t, http.StatusCreated)
	if sec.header.Get("Cache-Control") != "no-store" {
		t.Errorf("a secret's answer is cached: %q", sec.header.Get("Cache-Control"))
	}
	secret := sec.json(t)["value"].(string)
	c.call("POST", base+"/"+sa+"/secrets", map[string]any{"name": "fallback"}, map[string]string{"Idempotency-Key": "sec-1"}).want(t, http.StatusConflict)
	creds := c.call("GET", base+"/"+sa+"/credentials", nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)
	if len(creds) != 3 {
		t.Fatalf("credentials: %v", creds)
	}
	for _, cr := range creds {
		if _, ok := cr.(map[string]any)["value"]; ok {
			t.Error("a listed credential shows a value")
		}
	}

	// The account's own token: it sees its team, is listed as a service account, and its
	// role (developer) decides.
	res, body, raw := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, sa, secret)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the account's token: %d %s", res.StatusCode, raw)
	}
	machine := &apiClient{t: t, e: e, doc: d, token: body["access_token"].(string)}
	members := machine.call("GET", "/teams/"+team+"/members", nil, nil).want(t, http.StatusOK).json(t)["items"].([]any)
	var kinds []string
	for _, m := range members {
		if m.(map[string]any)["user_id"] == sa {
			kinds = append(kinds, m.(map[string]any)["kind"].(string))
		}
	}
	if len(kinds) != 1 || kinds[0] != "service_account" {
		t.Errorf("the account among the members: %v", kinds)
	}
	machine.call("POST", base, map[string]any{"name": "child", "role": "viewer"}, nil).want(t, http.StatusForbidden)

	// Removing a credential and the account need the current ETag.
	secID := sec.json(t)["id"].(string)
	cr := c.call("GET", base+"/"+sa+"/credentials/"+secID, nil, nil).want(t, http.StatusOK)
	c.call("DELETE", base+"/"+sa+"/credentials/"+secID, nil, nil).want(t, http.StatusPreconditionRequired)
	c.call("DELETE", base+"/"+sa+"/credentials/"+secID, nil, map[string]string{"If-Match": `"stale"`}).want(t, http.StatusPreconditionFailed)
	c.call("DELETE", base+"/"+sa+"/credentials/"+secID, nil, map[string]string{"If-Match": cr.header.Get("ETag")}).want(t, http.StatusNoContent)
	if res, _, _ := oauthPost(t, e, "/oauth/token", url.Values{"grant_type": {"client_credentials"}}, sa, secret); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a revoked secret: %d", res.StatusCode)
	}
	acct := c.call("GET", base+"/"+sa, nil, nil).want(t, http.StatusOK)
	c.call("DELETE", base+"/"+sa, nil, map[string]string{"If-Match": acct.header.Get("ETag")}).want(t, http.StatusNoContent)
	machine.call("GET", "/teams", nil, nil).want(t, http.StatusUnauthorized)
	c.call("GET", base+"/"+sa, nil, nil).want(t, http.StatusNotFound)
}
