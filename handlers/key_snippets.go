package handlers

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/views"
)

// keySnippets are ready-to-paste examples for a new key: calling an API with it, and
// verifying it in Go (verify), Node.js (jose) and Python (PyJWT).
func (h *Handler) keySnippets(key, audience string) []views.Snippet {
	base := h.cfg.BaseURL.String()
	r := strings.NewReplacer("{{KEY}}", key, "{{BASE}}", base, "{{AUD}}", audience)
	return []views.Snippet{
		{ID: "snippet-curl", Title: "curl", Code: r.Replace(`export GATEHOUSE_API_KEY='{{KEY}}'
curl -H "Authorization: Bearer $GATEHOUSE_API_KEY" https://{{AUD}}.example.com/`)},
		{ID: "snippet-go", Title: "Go (verify)", Code: r.Replace(`// go get github.com/gatehouse-dev/gatehouse/verify
v, err := verify.New(ctx, "{{BASE}}", verify.Audience("{{AUD}}"))
if err != nil {
	log.Fatal(err)
}
e.Use(v.EchoMiddleware()) // or http.Handle("/", v.Middleware(handler))
// in a handler:
p := verify.FromContext(r.Context()) // p.Project, p.Team, p.Scopes, p.KeyID
if !p.HasScope("orders:write") { /* 403 */ }`)},
		{ID: "snippet-node", Title: "Node.js (jose)", Code: r.Replace(`import { createRemoteJWKSet, jwtVerify } from 'jose'

const jwks = createRemoteJWKSet(new URL('{{BASE}}/.well-known/jwks.json'))
const { payload } = await jwtVerify(apiKey, jwks, {
  issuer: '{{BASE}}',
  audience: '{{AUD}}',
  typ: 'apikey+jwt',
  algorithms: ['ES256', 'EdDSA', 'RS256'],
})
// payload.sub is the project's client_id, payload.scope its scopes.
// Revocation: check bit payload.status.status_list.idx of the list at
// payload.status.status_list.uri (refresh it every "ttl" seconds).`)},
		{ID: "snippet-python", Title: "Python (PyJWT)", Code: r.Replace(`import jwt  # pip install "pyjwt[crypto]"

jwks = jwt.PyJWKClient("{{BASE}}/.well-known/jwks.json")
signing_key = jwks.get_signing_key_from_jwt(api_key)
if jwt.get_unverified_header(api_key).get("typ") != "apikey+jwt":
    raise PermissionError("not an API key")
claims = jwt.decode(
    api_key, signing_key.key,
    algorithms=["ES256", "EdDSA", "RS256"],
    audience="{{AUD}}", issuer="{{BASE}}",
)
# claims["sub"] is the project's client_id, claims["scope"] its scopes.`)},
	}
}

// fields splits a space-separated list.
func fields(s string) []string { return strings.Fields(s) }
