package vectors

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// DPoP (RFC 9449) cases: an access token bound to the client key (cnf.jkt) is accepted
// only with a proof of that key for the request; the hostile cases of RFC 9449 §11.

// apiURL is the API the DPoP cases call.
const apiURL = "https://api.conformance.test/orders"

// dpopClient is a client's DPoP key: its public JWK and RFC 7638 thumbprint.
type dpopClient struct {
	key *ecdsa.PrivateKey
	jwk map[string]any
	jkt string
}

func newDPoPClient(label string) dpopClient {
	k := fixedKey(label)
	pub := jose.JSONWebKey{Key: k.Public()}
	tp := must(pub.Thumbprint(crypto.SHA256))
	var jwk map[string]any
	if err := json.Unmarshal(must(pub.MarshalJSON()), &jwk); err != nil {
		panic(err)
	}
	return dpopClient{key: k, jwk: jwk, jkt: base64.RawURLEncoding.EncodeToString(tp)}
}

// proof signs a DPoP proof; edits change the claims, hdrEdits the header.
func (c dpopClient) proof(jti, htm, htu string, iat int64, token string, edits []claimsEdit, hdrEdits ...claimsEdit) string {
	claims := map[string]any{"jti": jti, "htm": htm, "htu": htu, "iat": iat}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	for _, e := range edits {
		e(claims)
	}
	h := map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": c.jwk}
	for _, e := range hdrEdits {
		e(h)
	}
	return sign(c.key, h, claims)
}

func (b *builder) dpopCase(name, token string, require bool, reqs ...DPoPRequest) {
	b.dpop = append(b.dpop, DPoPCase{Name: name, Token: token, Options: defaults(), RequireDPoP: require, Requests: reqs})
}

func dpopReq(method, url, scheme string, proofs []string, e DPoPExpect) DPoPRequest {
	return DPoPRequest{Method: method, URL: url, Scheme: scheme, DPoP: proofs, Expect: e}
}

func (b *builder) dpopCases() {
	c, other := newDPoPClient("dpop client key"), newDPoPClient("dpop other key")
	bound := b.accessToken(set("cnf", map[string]any{"jkt": c.jkt}))
	bearer := b.accessToken()
	ok := DPoPExpect{Valid: true, DPoPThumbprint: c.jkt}
	bad := DPoPExpect{Error: CodeDPoPProof}
	good := func(jti string) []string { return []string{c.proof(jti, "GET", apiURL, Now, bound, nil)} }
	b.dpopCase("DPoP/valid proof", bound, false, dpopReq("GET", apiURL, "DPoP", good("p1"), ok))
	b.dpopCase("DPoP/htu normalized: case, default port, query", bound, false,
		dpopReq("GET", "https://api.conformance.test:443/orders?page=2", "DPoP",
			[]string{c.proof("p2", "GET", "HTTPS://API.conformance.test/orders", Now, bound, nil)}, ok))
	b.dpopCase("DPoP/wrong htm", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p3", "POST", apiURL, Now, bound, nil)}, bad))
	b.dpopCase("DPoP/wrong htu", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p4", "GET", "https://api.conformance.test/admin", Now, bound, nil)}, bad))
	b.dpopCase("DPoP/stale iat", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p5", "GET", apiURL, at(-5*time.Minute), bound, nil)}, bad))
	b.dpopCase("DPoP/iat in the future", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p6", "GET", apiURL, at(5*time.Minute), bound, nil)}, bad))
	b.dpopCase("DPoP/ath mismatch", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p7", "GET", apiURL, Now, bearer, nil)}, bad))
	b.dpopCase("DPoP/ath missing", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p8", "GET", apiURL, Now, "", nil)}, bad))
	b.dpopCase("DPoP/thumbprint mismatch: a proof of another key", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{other.proof("p9", "GET", apiURL, Now, bound, nil)}, bad))
	b.dpopCase("DPoP/jwk of the bound key, signed by another", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{sign(other.key, map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": c.jwk},
			map[string]any{"jti": "p10", "htm": "GET", "htu": apiURL, "iat": Now, "ath": athOf(bound)})}, bad))
	b.dpopCase("DPoP/typ not dpop+jwt", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p11", "GET", apiURL, Now, bound, nil, set("typ", "JWT"))}, bad))
	b.dpopCase("DPoP/private key in jwk", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p12", "GET", apiURL, Now, bound, nil,
			set("jwk", withPrivate(c.jwk, c.key)))}, bad))
	b.dpopCase("DPoP/alg none", bound, false, dpopReq("GET", apiURL, "DPoP", []string{unsigned(
		map[string]any{"typ": "dpop+jwt", "alg": "none", "jwk": c.jwk},
		map[string]any{"jti": "p13", "htm": "GET", "htu": apiURL, "iat": Now, "ath": athOf(bound)}, nil)}, bad))
	b.dpopCase("DPoP/no jti", bound, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p14", "GET", apiURL, Now, bound, []claimsEdit{del("jti")})}, bad))
	b.dpopCase("DPoP/no proof", bound, false, dpopReq("GET", apiURL, "DPoP", nil, bad))
	b.dpopCase("DPoP/two proofs", bound, false, dpopReq("GET", apiURL, "DPoP", append(good("p15"), good("p16")...), bad))
	b.dpopCase("DPoP/replayed jti", bound, false,
		dpopReq("GET", apiURL, "DPoP", good("p17"), ok), dpopReq("GET", apiURL, "DPoP", good("p17"), bad))
	b.dpopCase("DPoP/bound token sent as Bearer", bound, false,
		dpopReq("GET", apiURL, "Bearer", nil, DPoPExpect{Error: CodeDPoPBound}))
	b.dpopCase("DPoP/bound token sent as Bearer with a proof", bound, false,
		dpopReq("GET", apiURL, "Bearer", good("p18"), DPoPExpect{Error: CodeDPoPBound}))
	b.dpopCase("DPoP/unbound token as Bearer", bearer, false, dpopReq("GET", apiURL, "Bearer", nil, DPoPExpect{Valid: true}))
	b.dpopCase("DPoP/unbound token where DPoP is required", bearer, true,
		dpopReq("GET", apiURL, "Bearer", nil, DPoPExpect{Error: CodeDPoPBound}))
	b.dpopCase("DPoP/unbound token under the DPoP scheme", bearer, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("p19", "GET", apiURL, Now, bearer, nil)}, DPoPExpect{Error: CodeDPoPBound}))
	b.dpopCase("DPoP/cnf without jkt", b.accessToken(set("cnf", map[string]any{})), false,
		dpopReq("GET", apiURL, "DPoP", good("p20"), DPoPExpect{Error: CodeClaims}))
	b.boundAPIKeyCases(c, other)
}

// boundAPIKeyCases: an API key bound to a public key (cnf.jkt, a proof-of-possession
// key) is held to the same rules as a bound access token — the path a verifier takes
// for API keys must enforce it too — including a proof by a P-384 key (ES384).
func (b *builder) boundAPIKeyCases(c, other dpopClient) {
	key := b.apiKey(set("cnf", map[string]any{"jkt": c.jkt}))
	ok := DPoPExpect{Valid: true, DPoPThumbprint: c.jkt}
	bad := DPoPExpect{Error: CodeDPoPProof}
	good := func(jti string) []string { return []string{c.proof(jti, "GET", apiURL, Now, key, nil)} }
	b.dpopCase("DPoP/bound API key with its proof", key, false, dpopReq("GET", apiURL, "DPoP", good("k1"), ok))
	b.dpopCase("DPoP/bound API key sent as Bearer", key, false, dpopReq("GET", apiURL, "Bearer", nil, DPoPExpect{Error: CodeDPoPBound}))
	b.dpopCase("DPoP/bound API key sent as Bearer with a proof", key, false,
		dpopReq("GET", apiURL, "Bearer", good("k2"), DPoPExpect{Error: CodeDPoPBound}))
	b.dpopCase("DPoP/bound API key, a proof of another key", key, false,
		dpopReq("GET", apiURL, "DPoP", []string{other.proof("k3", "GET", apiURL, Now, key, nil)}, bad))
	b.dpopCase("DPoP/bound API key, replayed proof", key, false,
		dpopReq("GET", apiURL, "DPoP", good("k4"), ok), dpopReq("GET", apiURL, "DPoP", good("k4"), bad))
	b.dpopCase("DPoP/bound API key, wrong htm", key, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("k5", "POST", apiURL, Now, key, nil)}, bad))
	b.dpopCase("DPoP/bound API key, wrong htu", key, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("k6", "GET", "https://api.conformance.test/admin", Now, key, nil)}, bad))
	b.dpopCase("DPoP/bound API key, ath of another token", key, false,
		dpopReq("GET", apiURL, "DPoP", []string{c.proof("k7", "GET", apiURL, Now, b.apiKey(), nil)}, bad))

	p384 := fixedKey384("dpop P-384 key")
	pub := jose.JSONWebKey{Key: p384.Public()}
	var jwk map[string]any
	if err := json.Unmarshal(must(pub.MarshalJSON()), &jwk); err != nil {
		panic(err)
	}
	jkt := base64.RawURLEncoding.EncodeToString(must(pub.Thumbprint(crypto.SHA256)))
	key384 := b.apiKey(set("cnf", map[string]any{"jkt": jkt}))
	claims := map[string]any{"jti": "k8", "htm": "GET", "htu": apiURL, "iat": Now, "ath": athOf(key384)}
	b.dpopCase("DPoP/bound API key, ES384 proof by its P-384 key", key384, false,
		dpopReq("GET", apiURL, "DPoP", []string{sign384(p384, map[string]any{"typ": "dpop+jwt", "alg": "ES384", "jwk": jwk}, claims)},
			DPoPExpect{Valid: true, DPoPThumbprint: jkt}))
	claims["jti"] = "k9"
	b.dpopCase("DPoP/ES256 header with a P-384 jwk", key384, false,
		dpopReq("GET", apiURL, "DPoP", []string{sign384(p384, map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}, claims)}, bad))
}

func athOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// withPrivate is jwk with the private key's d.
func withPrivate(jwk map[string]any, k *ecdsa.PrivateKey) map[string]any {
	out := map[string]any{"d": base64.RawURLEncoding.EncodeToString(k.D.FillBytes(make([]byte, 32)))}
	for n, v := range jwk {
		out[n] = v
	}
	return out
}
