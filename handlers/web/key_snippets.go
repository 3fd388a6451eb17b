package web

import (
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// keySnippets are ready-to-run examples for a new key, each run by the tests as shown:
// an API that accepts it, in Go (verify), Node.js (@gatehouse/verify) and Python
// (gatehouse_verify), the same programs as the API page's kit, and the curl call that
// sends the key to that API on 127.0.0.1.
//
// A key bound to a public key (publicKey, as registered) cannot be sent alone: its
// snippets start with the calls that sign a DPoP proof with the private key, in Node.js
// (jose) and Python (PyJWT), instead of the curl call.
func (h *Handler) keySnippets(key, audience, publicKey string) []views.Snippet {
	r := strings.NewReplacer("{{BASE}}", h.Cfg.BaseURL.String(), "{{AUD}}", audience)
	first := []views.Snippet{{ID: "snippet-curl", Title: "curl: call your API with it", Code: keyCurl(key)}}
	if strings.TrimSpace(publicKey) != "" {
		first = popKeySnippets(key, publicKey)
	}
	return append(first, []views.Snippet{
		{ID: "snippet-go", Title: "Go (verify): an API that accepts it", Code: r.Replace(kitGo)},
		{ID: "snippet-node", Title: "Node.js (@gatehouse/verify): an API that accepts it", Code: r.Replace(sdkNode)},
		{ID: "snippet-python", Title: "Python (gatehouse_verify): an API that accepts it", Code: r.Replace(sdkPython)},
	}...)
}

// keyCurl keeps the key in the environment and sends it to an API on this machine
// (one of the snippets' programs listens on $PORT, 9090 by default).
func keyCurl(key string) string {
	return "# Keep the key out of your code and shell history files:\n" +
		"export GATEHOUSE_API_KEY=" + views.ShellQuote(key) + "\n" +
		"# Call your API with it (the programs below listen on 127.0.0.1:${PORT:-9090}):\n" +
		"curl -s -H \"Authorization: Bearer $GATEHOUSE_API_KEY\" \"http://127.0.0.1:${PORT:-9090}/\"\n"
}

// secretSnippets are ready-to-run token requests with a new client secret: one for
// each of the first three APIs granted to the project that accept access tokens, or
// one without a resource when there is none (it fails until an API grants access,
// which the page says).
func (h *Handler) secretSnippets(clientID, secret string, grants []models.GrantInfo) []views.Snippet {
	tokenURL := h.Cfg.BaseURL.JoinPath("/oauth/token").String()
	var out []views.Snippet
	for _, g := range grants {
		if !g.AcceptsAccessTokens || len(out) == 3 {
			continue
		}
		out = append(out, views.Snippet{ID: "snippet-token-" + g.APIID, Title: "curl: an access token for " + g.APIName,
			Code: views.TokenCurl(clientID, secret, tokenURL, g.Identifier)})
	}
	if len(out) == 0 {
		out = append(out, views.Snippet{ID: "snippet-token", Title: "curl: an access token",
			Code: views.TokenCurl(clientID, secret, tokenURL, "")})
	}
	return out
}

// fields splits a space-separated list.
func fields(s string) []string { return strings.Fields(s) }
