package web

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// verificationKit is what an API's owners need to accept Gatehouse credentials: the
// URLs, and snippets that run as shown against this portal (tests run each of them).
// The Go, Node.js and Python snippets are complete APIs built on the verifier SDKs
// (offline: revocations arrive within the status list's ttl). The curl snippet asks the
// portal (RFC 7662 introspection), so a revoked key is refused at once; it authenticates
// as the first of the team's projects (introspection answers for credentials of the
// caller's team or for its APIs), with a client secret taken from the environment.
func (h *Handler) verificationKit(identifier string, teamProjects []models.Project) views.VerificationKit {
	base := h.Cfg.BaseURL.String()
	kit := views.VerificationKit{
		Issuer: base, JWKSURL: base + "/.well-known/jwks.json", JWKSPEMURL: base + "/.well-known/jwks.pem",
		MetadataURL: base + "/.well-known/oauth-authorization-server", IntrospectionURL: base + "/oauth/introspect",
	}
	r := strings.NewReplacer("{{BASE}}", base, "{{AUD}}", identifier)
	kit.Snippets = []views.Snippet{
		{ID: "kit-go", Title: "Go (verify): offline, revocations within the status list's ttl", Code: r.Replace(kitGo)},
		{ID: "kit-node", Title: "Node.js (@gatehouse/verify, Express)", Code: r.Replace(sdkNode)},
		{ID: "kit-python", Title: "Python (gatehouse_verify, WSGI)", Code: r.Replace(sdkPython)},
	}
	if len(teamProjects) == 0 {
		return kit
	}
	p := teamProjects[0]
	r = strings.NewReplacer("{{BASE}}", base, "{{AUD}}", identifier, "{{CLIENT}}", p.ID, "{{PROJECT}}", p.Name)
	kit.Snippets = append(kit.Snippets, views.Snippet{ID: "kit-curl", Title: "curl (introspection)", Code: r.Replace(kitCurl)})
	return kit
}

// kitGo is a complete program: an API that accepts only this API's credentials.
const kitGo = `// An API that accepts Gatehouse credentials for {{AUD}}.
// go mod init example.com/api && go get github.com/gatehouse-dev/gatehouse/verify && go run .
package main

import (
	"cmp"
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/gatehouse-dev/gatehouse/verify"
)

func main() {
	v, err := verify.New(context.Background(), "{{BASE}}", verify.Audience("{{AUD}}"))
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := verify.FromContext(r.Context()) // p.Project, p.Team, p.Scopes, p.Kind
		fmt.Fprintf(w, "hello %s, scopes %v\n", p.Project, p.Scopes)
	})
	addr := "127.0.0.1:" + cmp.Or(os.Getenv("PORT"), "9090")
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, v.Middleware(api)))
}
`

// sdkNode is a complete Node.js API on the Node.js SDK (sdk/node) with Express: the
// API page's kit and the new-key box show it.
const sdkNode = `// An API that accepts Gatehouse credentials for {{AUD}}.
// npm install @gatehouse/verify express && node api.mjs
import express from 'express'
import { createVerifier } from '@gatehouse/verify'
import { gatehouse } from '@gatehouse/verify/express' // and requireScope('…') for routes that need a scope

const verifier = await createVerifier('{{BASE}}', { audience: '{{AUD}}' })
const app = express()
app.use(gatehouse(verifier)) // 401 for a missing, invalid, expired or revoked credential
app.get('/', (req, res) => {
  const p = req.gatehouse // p.project, p.team, p.scopes, p.kind, p.keyId
  res.json({ project: p.project, scopes: p.scopes })
})
const port = process.env.PORT ?? 9090
app.listen(port, '127.0.0.1', () => console.log('listening on port ' + port))
`

// sdkPython is a complete Python API on the Python SDK (sdk/python), standard-library
// WSGI server: the API page's kit and the new-key box show it.
const sdkPython = `# An API that accepts Gatehouse credentials for {{AUD}}.
# pip install gatehouse-verify && python3 api.py
import json, os
from wsgiref.simple_server import make_server

from gatehouse_verify import Verifier
from gatehouse_verify.wsgi import VerifyMiddleware, principal

verifier = Verifier("{{BASE}}", audience="{{AUD}}")


def api(environ, start_response):
    p = principal(environ)  # p.project, p.team, p.scopes, p.kind, p.key_id
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"project": p.project, "scopes": list(p.scopes)}).encode()]


port = int(os.environ.get("PORT", "9090"))
print("listening on port", port, flush=True)
make_server("127.0.0.1", port, VerifyMiddleware(api, verifier)).serve_forever()
`

// kitCurl asks the introspection endpoint.
const kitCurl = `# Is $GATEHOUSE_TOKEN (an API key or access token) valid now? Check "active" and that
# "aud" holds {{AUD}}. Signs in as the project "{{PROJECT}}" of this API's team:
# export GATEHOUSE_CLIENT_SECRET=<one of its client secrets> GATEHOUSE_TOKEN=<the credential>
curl -s -u "{{CLIENT}}:$GATEHOUSE_CLIENT_SECRET" \
  --data-urlencode "token=$GATEHOUSE_TOKEN" \
  {{BASE}}/oauth/introspect
`
