package handlers

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// verificationKit is what an API's owners need to accept Gatehouse credentials: the
// URLs, and snippets that run as shown against this portal (tests run each of them).
// The Node.js, Python and curl snippets ask the portal (RFC 7662 introspection), so a
// revoked key is refused at once; they authenticate as the first of the team's projects
// (introspection answers for credentials of the caller's team or for its APIs), with a
// client secret taken from the environment.
func (h *Handler) verificationKit(identifier string, teamProjects []models.Project) views.VerificationKit {
	base := h.cfg.BaseURL.String()
	kit := views.VerificationKit{
		Issuer: base, JWKSURL: base + "/.well-known/jwks.json", JWKSPEMURL: base + "/.well-known/jwks.pem",
		MetadataURL: base + "/.well-known/oauth-authorization-server", IntrospectionURL: base + "/oauth/introspect",
	}
	kit.Snippets = []views.Snippet{{ID: "kit-go", Title: "Go (verify): offline, revocations within the status list's ttl",
		Code: strings.NewReplacer("{{BASE}}", base, "{{AUD}}", identifier).Replace(kitGo)}}
	if len(teamProjects) == 0 {
		return kit
	}
	p := teamProjects[0]
	r := strings.NewReplacer("{{BASE}}", base, "{{AUD}}", identifier, "{{CLIENT}}", p.ID, "{{PROJECT}}", p.Name)
	kit.Snippets = append(kit.Snippets,
		views.Snippet{ID: "kit-node", Title: "Node.js (introspection)", Code: r.Replace(kitNode)},
		views.Snippet{ID: "kit-python", Title: "Python (introspection)", Code: r.Replace(kitPython)},
		views.Snippet{ID: "kit-curl", Title: "curl (introspection)", Code: r.Replace(kitCurl)})
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

// kitNode checks a credential by introspection, with no dependency.
const kitNode = `// Node.js 18+, no dependencies: node verify.mjs "<API key or access token>"
// Asks Gatehouse whether the credential is valid for {{AUD}} now (revoked keys are
// refused at once). It signs in as the project "{{PROJECT}}" of this API's team:
// export GATEHOUSE_CLIENT_SECRET=<one of that project's client secrets>
const issuer = '{{BASE}}'
const audience = '{{AUD}}'
const clientId = '{{CLIENT}}'
const token = process.argv[2]

const basic = Buffer.from(clientId + ':' + process.env.GATEHOUSE_CLIENT_SECRET).toString('base64')
const res = await fetch(issuer + '/oauth/introspect', {
  method: 'POST',
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Basic ' + basic },
  body: new URLSearchParams({ token }),
})
if (!res.ok) throw new Error('introspection failed: HTTP ' + res.status)
const info = await res.json()
if (!info.active || ![].concat(info.aud ?? []).includes(audience)) {
  console.error('rejected: not a valid credential for ' + audience)
  process.exit(1)
}
console.log('accepted: project ' + info.sub + ', scopes "' + (info.scope ?? '') + '", ' + info.credential_type)
`

// kitPython checks a credential by introspection with the standard library only.
const kitPython = `# Python 3, standard library only: python3 verify.py "<API key or access token>"
# Asks Gatehouse whether the credential is valid for {{AUD}} now (revoked keys are
# refused at once). It signs in as the project "{{PROJECT}}" of this API's team:
# export GATEHOUSE_CLIENT_SECRET=<one of that project's client secrets>
import base64, json, os, sys, urllib.parse, urllib.request

ISSUER = "{{BASE}}"
AUDIENCE = "{{AUD}}"
CLIENT_ID = "{{CLIENT}}"

basic = base64.b64encode((CLIENT_ID + ":" + os.environ["GATEHOUSE_CLIENT_SECRET"]).encode()).decode()
request = urllib.request.Request(
    ISSUER + "/oauth/introspect",
    data=urllib.parse.urlencode({"token": sys.argv[1]}).encode(),
    headers={"Authorization": "Basic " + basic, "Content-Type": "application/x-www-form-urlencoded"},
)
with urllib.request.urlopen(request, timeout=10) as response:
    info = json.load(response)
aud = info.get("aud") or []
if not info.get("active") or AUDIENCE not in ([aud] if isinstance(aud, str) else aud):
    sys.exit("rejected: not a valid credential for " + AUDIENCE)
print("accepted: project %s, scopes %r, %s" % (info["sub"], info.get("scope", ""), info["credential_type"]))
`

// kitCurl asks the introspection endpoint.
const kitCurl = `# Is $GATEHOUSE_TOKEN (an API key or access token) valid now? Check "active" and that
# "aud" holds {{AUD}}. Signs in as the project "{{PROJECT}}" of this API's team:
# export GATEHOUSE_CLIENT_SECRET=<one of its client secrets> GATEHOUSE_TOKEN=<the credential>
curl -s -u "{{CLIENT}}:$GATEHOUSE_CLIENT_SECRET" \
  --data-urlencode "token=$GATEHOUSE_TOKEN" \
  {{BASE}}/oauth/introspect
`
