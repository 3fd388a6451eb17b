package handlers_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

// BenchmarkReferenceIntrospection is POST /oauth/introspect of a reference access token
// (a phantom token) by a project of its team, set up and loaded as
// BenchmarkTokenEndpoint is (the real Echo instance, 32 concurrent clients): client
// authentication, one indexed lookup of the reference token's SHA-256 joined with its
// project, and the JWT's claims decoded from the row. Run it beside the token endpoint:
//
//	go test ./handlers -run '^$' -bench 'TokenEndpoint|ReferenceIntrospection' -count 3
func BenchmarkReferenceIntrospection(b *testing.B) {
	for _, db := range benchDBs {
		b.Run(db.name, func(b *testing.B) {
			e := newEnv(b, func(o *envOptions) { o.store = db.open(b) })
			cl := benchClient(b, e)
			err := e.store.UpdateProject(b.Context(), cl.owner.actor, cl.project.ID, models.ProjectSettings{Name: cl.project.Name,
				TokenTTLMinutes: 60, GrantTypes: []string{models.GrantClientCredentials}, AccessTokenFormat: models.AccessTokenFormatReference})
			if err != nil {
				b.Fatal(err)
			}
			ref := benchPost(b, e.portal.URL+"/oauth/token", cl.project.ID, cl.secret, url.Values{"grant_type": {"client_credentials"}})["access_token"]
			if s, _ := ref.(string); !models.WellFormedReferenceToken(s) {
				b.Fatalf("the token endpoint gave %v, want a reference token", ref)
			}
			form := url.Values{"token": {ref.(string)}}
			if got := benchPost(b, e.portal.URL+"/oauth/introspect", cl.project.ID, cl.secret, form); got["active"] != true ||
				got["credential_type"] != "reference_token" {
				b.Fatalf("introspection before the run: %v, want an active reference token", got)
			}
			hammerPOST(b, e.portal.URL+"/oauth/introspect", cl.project.ID, cl.secret, form)
		})
	}
}

// benchPost posts a form with Basic credentials and decodes the JSON answer (200 only).
func benchPost(b *testing.B, target, id, secret string, form url.Values) map[string]any {
	b.Helper()
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(id+":"+secret)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.Fatal(err)
	}
	var out map[string]any
	if res.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		b.Fatalf("POST %s: %d %s", target, res.StatusCode, raw)
	}
	return out
}
