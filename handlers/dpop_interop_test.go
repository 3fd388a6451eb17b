package handlers_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/verify"
)

// A real DPoP client, unmodified: npm openid-client (v6) makes its own key pair, gets a
// client-credentials token bound to it — through a use_dpop_nonce round when the portal
// requires nonces — and calls an API protected by verify with a fresh proof each time.
func TestOpenIDClientDPoP(t *testing.T) {
	node, mods := openIDClient(t)
	for _, nonce := range []bool{false, true} {
		t.Run(map[bool]string{false: "NoNonce", true: "ServerNonce"}[nonce], func(t *testing.T) {
			e := newEnv(t, func(o *envOptions) { o.dpopNonce = nonce })
			cl := newOAuthClient(t, e, "dpop-oidc@example.com")
			api := occAPI(t, occVerifier(t, e, cl.api.Identifier, verify.Clock(e.clock)))
			in, _ := json.Marshal(map[string]string{"server": e.portal.URL, "client_id": cl.project.ID, "client_secret": cl.secret,
				"resource": cl.api.Identifier, "api_url": api.URL + "/orders"})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c := exec.CommandContext(ctx, node, filepath.Join("testdata", "openid_client_dpop.mjs"))
			c.Env = append(os.Environ(), "GATEHOUSE_TEST_NODE_MODULES="+mods)
			c.Stdin = strings.NewReader(string(in))
			var stderr strings.Builder
			c.Stderr = &stderr
			out, err := c.Output()
			if err != nil {
				t.Fatalf("openid-client: %v\n%s", err, stderr.String())
			}
			var got struct {
				TokenType   string `json:"token_type"`
				AccessToken string `json:"access_token"`
				API         []struct {
					Status int    `json:"status"`
					Body   string `json:"body"`
				} `json:"api"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("openid-client answered %s: %v", out, err)
			}
			jkt := tokenCnf(t, got.AccessToken)
			if strings.ToLower(got.TokenType) != "dpop" || jkt == "" {
				t.Fatalf("token_type %q, cnf.jkt %q: want a DPoP-bound token", got.TokenType, jkt)
			}
			if len(got.API) != 2 {
				t.Fatalf("%d API calls, want 2", len(got.API))
			}
			for i, r := range got.API {
				var p verify.Principal
				if r.Status != 200 || json.Unmarshal([]byte(r.Body), &p) != nil || !p.DPoPBound || p.DPoPThumbprint != jkt {
					t.Errorf("API call %d: %d %s, want 200 with the principal bound to %s", i, r.Status, r.Body, jkt)
				}
			}
			// The same token as a bearer token is refused.
			res, raw := dpopAPICall(t, "GET", api.URL+"/orders", "Bearer "+got.AccessToken)
			if res.StatusCode != 401 || !strings.Contains(raw, "invalid_token") {
				t.Errorf("as Bearer: %d %s", res.StatusCode, raw)
			}
		})
	}
}
