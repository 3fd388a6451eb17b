package web

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/views"
)

// keySnippets are ready-to-paste examples for a new key: calling an API with it, and
// verifying it in Go (verify), Node.js (@gatehouse/verify) and Python (gatehouse_verify):
// the Node.js and Python snippets are the API page's kit programs.
func (h *Handler) keySnippets(key, audience string) []views.Snippet {
	base := h.Cfg.BaseURL.String()
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
		{ID: "snippet-node", Title: "Node.js (@gatehouse/verify)", Code: r.Replace(sdkNode)},
		{ID: "snippet-python", Title: "Python (gatehouse_verify)", Code: r.Replace(sdkPython)},
	}
}

// fields splits a space-separated list.
func fields(s string) []string { return strings.Fields(s) }
