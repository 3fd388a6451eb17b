package vectors

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The fake issuer's keys: k1 is the only key of its JWKS; the attacker's key is
// published nowhere.
const (
	kid         = "k1"
	attackerURL = "https://attacker.conformance.test"
	attackerKid = "attacker"
)

// builder accumulates the documents and cases.
type builder struct {
	key, attacker *ecdsa.PrivateKey
	docs          map[string]Document
	cases         []Case
	dpop          []DPoPCase
	feed          []FeedCase
	mtls          []MTLSCase
	// rnd is a seeded source for bytes that only need to look random (JWE parts).
	rnd *mrand.ChaCha8
}

// Build makes the vectors: the same cases, options and expectations on every run, and
// (signatures being deterministic, keys fixed) the same tokens too.
func Build() (f *File, err error) {
	defer func() {
		if r := recover(); r != nil {
			be, ok := r.(buildError)
			if !ok {
				panic(r)
			}
			f, err = nil, be.error
		}
	}()
	b := &builder{key: fixedKey("issuer signing key k1"), attacker: fixedKey("attacker key"), docs: map[string]Document{},
		rnd: mrand.NewChaCha8([32]byte([]byte("gatehouse conformance vectors 01")))}
	b.issuerDocuments()
	b.controls()
	b.a1()
	b.a2()
	b.a3()
	b.a4()
	b.a5()
	b.a6()
	b.a7()
	b.a8()
	b.a9()
	b.a10()
	b.f53()
	b.a12()
	b.allowLists()
	b.subjectTypes()
	b.stepUp()
	b.resourceMetadataCases()
	b.actors()
	b.dpopCases()
	b.feedCases()
	b.mtlsCases()
	f = &File{Version: Version, Issuer: Issuer, Now: Now, Documents: b.docs, Cases: b.cases, DPoPCases: b.dpop, FeedCases: b.feed, MTLSCases: b.mtls}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return f, nil
}

// at is Now moved by d, in seconds.
func at(d time.Duration) int64 { return Now + int64(d/time.Second) }

// ---- Options and expectations.

// opt edits a case's options.
type opt func(*Options)

// defaults are the options of most cases, every member spelled out.
func defaults() Options {
	leeway := 30
	return Options{Audience: Audience, Accept: []string{KindAPIKey, KindAccessToken},
		Algorithms: []string{"ES256", "EdDSA", "RS256"}, LeewaySeconds: &leeway}
}

func acceptOnly(kinds ...string) opt { return func(o *Options) { o.Accept = kinds } }
func algorithms(algs ...string) opt  { return func(o *Options) { o.Algorithms = algs } }
func leeway(seconds int) opt         { return func(o *Options) { o.LeewaySeconds = &seconds } }
func projects(ids ...string) opt     { return func(o *Options) { o.Projects = ids } }
func teams(ids ...string) opt        { return func(o *Options) { o.Teams = ids } }
func failOpen(o *Options)            { o.FailOpen = true }

// reject adds a case the verifier must refuse with code.
func (b *builder) reject(name, code, token string, opts ...opt) {
	b.add(name, token, Expect{Error: code}, opts)
}

// accept adds a case the verifier must accept, with the principal p.
func (b *builder) accept(name, token string, p Principal, opts ...opt) {
	b.add(name, token, Expect{Valid: true, Principal: &p}, opts)
}

func (b *builder) add(name, token string, e Expect, opts []opt) {
	o := defaults()
	for _, edit := range opts {
		edit(&o)
	}
	b.cases = append(b.cases, Case{Name: name, Token: token, Options: o, Expect: e})
}

// stepUpCase adds a case the verifier must accept with principal p, then apply r to:
// challenge is the WWW-Authenticate auth-params when r is not met (nil when it is).
func (b *builder) stepUpCase(name, token string, p Principal, r Require, challenge map[string]string) {
	b.add(name, token, Expect{Valid: true, Principal: &p, Challenge: challenge}, nil)
	b.cases[len(b.cases)-1].Require = &r
}

// keyPrincipal is the principal of the good API key, edited.
func keyPrincipal(edits ...func(*Principal)) Principal {
	p := Principal{Kind: KindAPIKey, API: Audience, SubjectType: SubjectProject, Subject: "prj_orders", Project: "prj_orders",
		Team: "team_1", Scopes: []string{"orders:read", "orders:write"}, KeyID: "key_1"}
	for _, e := range edits {
		e(&p)
	}
	return p
}

// tokenPrincipal is the principal of the good access token (no team claim), edited.
func tokenPrincipal(edits ...func(*Principal)) Principal {
	p := keyPrincipal()
	p.Kind, p.Team, p.KeyID = KindAccessToken, "", "at_1"
	for _, e := range edits {
		e(&p)
	}
	return p
}

// ---- Claims and credentials.

// claimsEdit edits claims before they are signed.
type claimsEdit func(map[string]any)

func set(k string, x any) claimsEdit { return func(c map[string]any) { c[k] = x } }
func del(k string) claimsEdit        { return func(c map[string]any) { delete(c, k) } }

// statusRef is the status claim naming idx in the list at uri.
func statusRef(uri string, idx any) map[string]any {
	return map[string]any{"status_list": map[string]any{"idx": idx, "uri": uri}}
}

// keyClaims are good API key claims for the default audience, edited.
func keyClaims(edits ...claimsEdit) map[string]any {
	c := map[string]any{"iss": Issuer, "sub": "prj_orders", "aud": []string{Audience}, "iat": Now, "nbf": Now,
		"exp": at(time.Hour), "jti": "key_1", "scope": "orders:read orders:write", "team": "team_1",
		"status": statusRef(StatusListPrefix+"sl_1", 3)}
	for _, e := range edits {
		e(c)
	}
	return c
}

// accessClaims are good access token claims (no status, no team, client_id = sub), edited.
func accessClaims(edits ...claimsEdit) map[string]any {
	c := keyClaims(del("status"), del("team"), set("client_id", "prj_orders"), set("jti", "at_1"))
	for _, e := range edits {
		e(c)
	}
	return c
}

// sign signs claims with the issuer's key as typ.
func (b *builder) sign(typ string, claims any) string { return signTyp(kid, b.key, typ, claims) }

// apiKey mints an API key with edited good claims.
func (b *builder) apiKey(edits ...claimsEdit) string {
	return b.sign("apikey+jwt", keyClaims(edits...))
}

// accessToken mints an access token with edited good claims.
func (b *builder) accessToken(edits ...claimsEdit) string {
	return b.sign("at+jwt", accessClaims(edits...))
}

// keyOn mints a good API key whose status entry is idx in the list at uri.
func (b *builder) keyOn(uri string, idx any) string {
	return b.apiKey(set("status", statusRef(uri, idx)))
}

// ---- Documents.

// serve publishes a document at url.
func (b *builder) serve(url, contentType, body string) {
	if _, dup := b.docs[url]; dup {
		failf("document %s published twice", url)
	}
	b.docs[url] = Document{Status: 200, ContentType: contentType, Body: body}
}

// listClaims are good status list claims for list id (its sub is its URL), with bits
// compressed into lst, edited.
func listClaims(id string, bits []byte, nbits int, edits ...claimsEdit) map[string]any {
	c := map[string]any{"iss": Issuer, "sub": StatusListPrefix + id, "iat": Now, "exp": at(time.Hour), "ttl": 60,
		"status_list": map[string]any{"bits": nbits, "lst": b64.EncodeToString(zlibBytes(bits))}}
	for _, e := range edits {
		e(c)
	}
	return c
}

// serveList publishes tok as list id.
func (b *builder) serveList(id, tok string) {
	b.serve(StatusListPrefix+id, "application/statuslist+jwt", tok)
}

// list publishes tok as list id and returns a good API key on its index 3.
func (b *builder) list(id, tok string) string {
	b.serveList(id, tok)
	return b.keyOn(StatusListPrefix+id, 3)
}

// issuerDocuments publishes the metadata, the JWKS and the good lists: sl_1 (16 bytes,
// nothing revoked), sl_rev (16 bytes, index 5 revoked).
func (b *builder) issuerDocuments() {
	meta := struct {
		Issuer              string   `json:"issuer"`
		JWKSURI             string   `json:"jwks_uri"`
		SigningAlgs         []string `json:"signing_alg_values_supported"`
		StatusListURIPrefix string   `json:"status_list_uri_prefix"`
	}{Issuer, JWKSURL, []string{"ES256", "EdDSA", "RS256"}, StatusListPrefix}
	b.serve(MetadataURL, "application/json", string(must(json.Marshal(meta))))
	jwks := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &b.key.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}}}
	b.serve(JWKSURL, "application/json", string(must(json.Marshal(jwks))))
	b.serveList("sl_1", b.sign("statuslist+jwt", listClaims("sl_1", make([]byte, 16), 1)))
	rev := make([]byte, 16)
	rev[0] |= 1 << 5 // index 0 is the least significant bit of byte 0
	b.serveList("sl_rev", b.sign("statuslist+jwt", listClaims("sl_rev", rev, 1)))
}

// ---- The cases, by section of the hostile-token list (verify/hostile_test.go had
// them as a table; the Go-only ones are still there).

// controls: good credentials are accepted, so the rejections below mean something; no
// credential at all is no_token.
func (b *builder) controls() {
	b.accept("control/good API key accepted", b.apiKey(), keyPrincipal())
	b.accept("control/good access token accepted", b.accessToken(), tokenPrincipal())
	b.reject("control/empty token", CodeNoToken, "")
}

// hdr is an API key header with alg.
func hdr(alg string) map[string]any {
	return map[string]any{"alg": alg, "typ": "apikey+jwt", "kid": kid}
}

// withHdr is the ES256 API key header with members added or replaced.
func withHdr(h map[string]any) map[string]any {
	out := hdr("ES256")
	for k, x := range h {
		out[k] = x
	}
	return out
}

// a1: alg none and algorithms not from the key.
func (b *builder) a1() {
	good := b.apiKey()
	claims := keyClaims()
	for _, alg := range []string{"none", "None", "NONE"} {
		b.reject("A1/alg "+alg+" with empty signature", CodeMalformed, unsigned(hdr(alg), claims, nil))
		b.reject("A1/alg "+alg+" with a copied real signature", CodeHeader,
			b64.EncodeToString(must(json.Marshal(hdr(alg))))+"."+parts(good)[1]+"."+parts(good)[2])
	}
	b.reject("A1/alg none with a non-empty junk signature", CodeHeader, unsigned(hdr("none"), claims, []byte{0}))
	b.reject("A1/alg RS256 naming the ES256 key", CodeHeader, sign(b.key, hdr("RS256"), claims))
	b.reject("A1/alg EdDSA naming the ES256 key", CodeHeader, sign(b.key, hdr("EdDSA"), claims))
	b.reject("A1/alg es256 lowercase", CodeHeader, sign(b.key, hdr("es256"), claims))
	b.reject("A1/alg ES384", CodeHeader, sign(b.key, hdr("ES384"), claims))
	// Any duplicate member is malformed (F53), whichever copy a parser would keep.
	b.reject("A1/duplicate alg member, the last one none", CodeMalformed,
		signRaw(b.key, `{"alg":"ES256","typ":"apikey+jwt","kid":"`+kid+`","alg":"none"}`, claims))
	b.reject("A1/alg missing", CodeHeader, sign(b.key, map[string]any{"typ": "apikey+jwt", "kid": kid}, claims))
	// The algorithm allow-list: the issuer's ES256 key is not usable by a verifier
	// narrowed to EdDSA.
	b.reject("A1/ES256 where the verifier allows only EdDSA", CodeHeader, good, algorithms("EdDSA"))
}

// a2: HS256 keyed with our public key's bytes, in every encoding a confused verifier
// might use as an HMAC secret.
func (b *builder) a2() {
	pub := &b.key.PublicKey
	der := must(x509.MarshalPKIXPublicKey(pub))
	for _, s := range []struct {
		name   string
		secret []byte
	}{
		{"PEM", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})},
		{"DER", der},
		{"JWK JSON", must(json.Marshal(jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: "ES256", Use: "sig"}))},
		{"uncompressed point", must(pub.ECDH()).Bytes()},
	} {
		b.reject("A2/HS256 keyed with the public key as "+s.name, CodeHeader, hs256(s.secret, hdr("HS256"), keyClaims()))
	}
}

// a3: embedded keys and key URLs are rejected, and nothing is fetched (the harness
// fails a case that requests a URL outside the issuer).
func (b *builder) a3() {
	claims := keyClaims()
	atk := b.attacker
	attackerJWK := jose.JSONWebKey{Key: &atk.PublicKey, KeyID: attackerKid, Algorithm: "ES256", Use: "sig"}
	now := time.Unix(Now, 0)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	certDER := must(x509.CreateCertificate(rand.Reader, tmpl, tmpl, &atk.PublicKey, detSigner{atk}))
	b.reject("A3/embedded jwk (attacker's key, signed with it)", CodeHeader,
		sign(atk, map[string]any{"alg": "ES256", "typ": "apikey+jwt", "kid": attackerKid, "jwk": attackerJWK}, claims))
	b.reject("A3/embedded jwk with our kid", CodeHeader, sign(atk, withHdr(map[string]any{"jwk": attackerJWK}), claims))
	b.reject("A3/embedded JWK member spelled Jwk", CodeMalformed, // F53: a case variant of jwk
		sign(atk, withHdr(map[string]any{"Jwk": attackerJWK}), claims))
	b.reject("A3/jku pointing at the attacker's server", CodeHeader,
		sign(atk, withHdr(map[string]any{"kid": attackerKid, "jku": attackerURL + "/jwks"}), claims))
	b.reject("A3/jku with our kid", CodeHeader, sign(atk, withHdr(map[string]any{"jku": attackerURL + "/jwks"}), claims))
	b.reject("A3/x5u pointing at the attacker's server", CodeHeader,
		sign(atk, withHdr(map[string]any{"kid": attackerKid, "x5u": attackerURL + "/cert.pem"}), claims))
	b.reject("A3/x5c with the attacker's certificate", CodeHeader,
		sign(atk, withHdr(map[string]any{"x5c": []string{base64.StdEncoding.EncodeToString(certDER)}}), claims))
}

// a4: kid is only a map key.
func (b *builder) a4() {
	claims := keyClaims()
	for _, k := range []struct{ name, kid string }{
		{"unknown kid", "k999"}, {"path-like kid", "../../../etc/passwd"}, {"SQL-like kid", "' OR '1'='1"},
		{"kid with a NUL after a real kid", kid + "\x00"}, {"kid of a real key with a space", kid + " "},
		{"kid as a URL", attackerURL + "/jwks"},
	} {
		b.reject("A4/"+k.name, CodeUnknownKey, sign(b.key, withHdr(map[string]any{"kid": k.kid}), claims))
	}
	long := sign(b.key, withHdr(map[string]any{"kid": strings.Repeat("k", 10<<10)}), claims)
	if len(long) <= MaxTokenLen {
		failf("10 KB kid: token length %d, want > MaxTokenLen", len(long))
	}
	b.reject("A4/10 KB kid (token longer than MaxTokenLen)", CodeMalformed, long)
	b.reject("A4/200-byte kid", CodeHeader, sign(b.key, withHdr(map[string]any{"kid": strings.Repeat("k", 200)}), claims))
	b.reject("A4/empty kid", CodeHeader, sign(b.key, withHdr(map[string]any{"kid": ""}), claims))
	b.reject("A4/kid missing", CodeHeader, sign(b.key, map[string]any{"alg": "ES256", "typ": "apikey+jwt"}, claims))
	b.reject("A4/kid a number", CodeMalformed, sign(b.key, withHdr(map[string]any{"kid": 1}), claims))
}

// a5: crit and b64 (and zip).
func (b *builder) a5() {
	claims := keyClaims()
	for _, c := range []struct {
		name string
		h    map[string]any
	}{
		{`crit ["exp"]`, map[string]any{"crit": []string{"exp"}, "exp": 1}},
		{"crit empty array", map[string]any{"crit": []string{}}},
		{"b64 false (unencoded payload)", map[string]any{"b64": false, "crit": []string{"b64"}}},
		{"b64 false without crit", map[string]any{"b64": false}},
		{"zip DEF", map[string]any{"zip": "DEF"}},
	} {
		b.reject("A5/"+c.name, CodeHeader, sign(b.key, withHdr(c.h), claims))
	}
}

// a6: ES256 signature edge cases (CVE-2022-21449 and friends), and signature twins.
func (b *builder) a6() {
	good := b.apiKey()
	goodSig := sigOf(good)
	goodR, goodS := new(big.Int).SetBytes(goodSig[:32]), new(big.Int).SetBytes(goodSig[32:])
	n := p256N
	max256 := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	derSig := must(asn1.Marshal(struct{ R, S *big.Int }{goodR, goodS}))
	otherKeySig := sigOf(signRaw(b.attacker, string(must(b64.DecodeString(parts(good)[0]))), keyClaims()))
	for _, s := range []struct {
		name string
		sig  []byte
	}{
		{"r=s=0 (64 zero bytes)", make([]byte, 64)},
		{"r=s=n", rs(n, n)},
		{"r=n with a valid s", rs(n, goodS)},
		{"r=2^256-1 with a valid s", rs(max256, goodS)},
		{"valid r with s=n", rs(goodR, n)},
		{"valid r with s=0", rs(goodR, new(big.Int))},
		{"DER (ecdsa.SignASN1) of a valid signature", derSig},
		{"63 bytes (a valid signature truncated)", goodSig[:63]},
		{"65 bytes (a valid signature plus a zero byte)", append(append([]byte{}, goodSig...), 0)},
		{"65 bytes (a zero byte plus a valid signature)", append([]byte{0}, goodSig...)},
		{"64 bytes of 0xff", bytes.Repeat([]byte{0xff}, 64)},
		{"signed by another key under our kid", otherKeySig},
	} {
		b.reject("A6/"+s.name, CodeSignature, withSig(good, s.sig))
	}
	p := parts(good)
	b.reject("A6/empty payload segment (detached payload)", CodeSignature, p[0]+".."+p[2])
	b.reject("A6/valid signature moved onto another payload", CodeSignature,
		withSig(b.apiKey(set("scope", "orders:admin")), goodSig))

	// ECDSA signatures are malleable: (r, n−s) verifies wherever (r, s) does. Every
	// signature here is low-S, so the twins are high-S. Go's verify takes both (the
	// credential, not its text, is what is checked and revoked): a verifier that
	// refused high-S would answer signature instead; these vectors say what Go says.
	revoked := b.keyOn(StatusListPrefix+"sl_rev", 5)
	b.reject("A6/signature twin (r, n−s) of a revoked key's signature", CodeRevoked, twin(revoked))
	b.accept("A6/signature twin (r, n−s) of a live key's signature accepted", twin(good), keyPrincipal())
}

// b64Alphabet is the base64url alphabet, in order.
const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// a7: malformed compact serialization. (1 MB of dots stays a Go test: it alone would
// be three times the size of the file.)
func (b *builder) a7() {
	good := b.apiKey()
	hp := parts(good)
	// A signature whose unused trailing bits are set: 64 bytes leave 4 unused bits in
	// the last character, all zero in canonical base64.
	last := []byte(hp[2])
	i := strings.IndexByte(b64Alphabet, last[len(last)-1])
	if i&1 != 0 {
		failf("the signature's last character %q already has a trailing bit set", last[len(last)-1])
	}
	last[len(last)-1] = b64Alphabet[i|1]
	for _, m := range []struct{ name, tok string }{
		{"100 dots", strings.Repeat(".", 100)},
		{"two segments", hp[0] + "." + hp[1]},
		{"two segments with a trailing dot", hp[0] + "." + hp[1] + "."},
		{"four segments", good + "." + hp[2]},
		{"empty header segment", "." + hp[1] + "." + hp[2]},
		{"JSON serialization (flattened)", `{"payload":"` + hp[1] + `","protected":"` + hp[0] + `","signature":"` + hp[2] + `"}`},
		{"JSON serialization (general)", `{"payload":"` + hp[1] + `","signatures":[{"protected":"` + hp[0] + `","signature":"` + hp[2] + `"}]}`},
		{"padding in the header", hp[0] + "=." + hp[1] + "." + hp[2]},
		{"padding in the payload", hp[0] + "." + hp[1] + "==." + hp[2]},
		{"padding in the signature", good + "=="},
		{"standard base64 '+' in the payload", hp[0] + "." + "+" + hp[1][1:] + "." + hp[2]},
		{"standard base64 '/' in the signature", hp[0] + "." + hp[1] + "." + "/" + hp[2][1:]},
		{"non-base64 '*' in the signature", hp[0] + "." + hp[1] + "." + hp[2][:10] + "*" + hp[2][11:]},
		{"leading space", " " + good},
		{"newline inside the header", hp[0][:5] + "\n" + hp[0][5:] + "." + hp[1] + "." + hp[2]},
		{"newline inside the payload", hp[0] + "." + hp[1][:5] + "\n" + hp[1][5:] + "." + hp[2]},
		{"newline inside the signature", hp[0] + "." + hp[1] + "." + hp[2][:5] + "\n" + hp[2][5:]},
		{"CR LF at the end of the signature", good + "\r\n"},
		{"non-canonical trailing bits in the signature", hp[0] + "." + hp[1] + "." + string(last)},
		{"header not a JSON object", b64.EncodeToString([]byte(`["ES256"]`)) + "." + hp[1] + "." + hp[2]},
		{"header not JSON", b64.EncodeToString([]byte(`alg=ES256`)) + "." + hp[1] + "." + hp[2]},
	} {
		b.reject("A7/"+m.name, CodeMalformed, m.tok)
	}
}

// rndB64 is n bytes from the seeded source, base64url.
func (b *builder) rndB64(n int) string {
	p := make([]byte, n)
	_, _ = b.rnd.Read(p)
	return b64.EncodeToString(p)
}

// jwe is a JWE-shaped string (5 parts, RSA-OAEP/A256GCM) naming our kid.
func (b *builder) jwe() string {
	return b64.EncodeToString([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM","kid":"`+kid+`"}`)) + "." +
		b.rndB64(256) + "." + b.rndB64(12) + "." + b.rndB64(64) + "." + b.rndB64(16)
}

// a8: JWE.
func (b *builder) a8() {
	b.reject("A8/JWE (5 parts, RSA-OAEP/A256GCM)", CodeMalformed, b.jwe())
	b.reject("A8/JWE with alg dir (empty encrypted key)", CodeMalformed,
		b64.EncodeToString([]byte(`{"alg":"dir","enc":"A256GCM","kid":"`+kid+`"}`))+".."+b.rndB64(12)+"."+b.rndB64(64)+"."+b.rndB64(16))
	b.reject("A8/3-part token whose header has enc", CodeMalformed,
		sign(b.key, withHdr(map[string]any{"enc": "A256GCM"}), keyClaims()))
}

// a9: claims and typ.
func (b *builder) a9() {
	key := b.apiKey
	idToken := map[string]any{"iss": Issuer, "sub": "prj_orders", "aud": "orders-api", "exp": at(time.Hour),
		"iat": Now, "auth_time": Now, "nonce": "n-0S6_WzA2Mj", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "jti": "id_1"}
	prefix := StatusListPrefix

	b.reject("A9/exp missing", CodeExpired, key(del("exp")))
	b.reject("A9/exp null", CodeExpired, key(set("exp", nil)))
	b.reject("A9/exp an hour ago", CodeExpired, key(set("exp", at(-time.Hour))))
	b.reject("A9/exp 31 s ago (beyond the 30 s leeway)", CodeExpired, key(set("exp", at(-31*time.Second))))
	b.accept("A9/exp 10 s ago (within leeway) accepted", key(set("exp", at(-10*time.Second))), keyPrincipal())
	b.reject(`A9/exp as a string "9999999999"`, CodeClaims, key(set("exp", "9999999999")))
	b.reject("A9/exp as an object", CodeClaims, key(set("exp", map[string]any{"$numberLong": "9999999999"})))
	b.reject("A9/exp as a bool", CodeClaims, key(set("exp", true)))
	b.reject("A9/nbf in 5 min", CodeNotYetValid, key(set("nbf", at(5*time.Minute))))
	b.reject("A9/nbf 1e19 (beyond int64 seconds: out of range)", CodeClaims, key(set("nbf", 1e19)))
	b.reject("A9/iat 1e19 (out of range)", CodeClaims, key(set("iat", 1e19)))
	b.reject("A9/exp 1e19 (out of range)", CodeClaims, key(set("exp", 1e19)))
	b.reject("A9/exp negative", CodeClaims, key(set("exp", -1)))
	b.reject("A9/iat in 5 min", CodeNotYetValid, key(set("iat", at(5*time.Minute))))
	b.reject("A9/nbf as a string", CodeClaims, key(set("nbf", "0")))
	// The leeway option: 0 makes 10 s ago expired, 60 s makes 31 s ago acceptable.
	b.reject("A9/exp 10 s ago with a leeway of 0", CodeExpired, key(set("exp", at(-10*time.Second))), leeway(0))
	b.accept("A9/exp 31 s ago with a leeway of 60 s accepted", key(set("exp", at(-31*time.Second))), keyPrincipal(), leeway(60))

	b.reject("A9/wrong iss", CodeIssuer, key(set("iss", "https://evil.example")))
	b.reject("A9/iss with a trailing slash", CodeIssuer, key(set("iss", Issuer+"/")))
	b.reject("A9/iss differing in case", CodeIssuer, key(set("iss", "https://ISSUER.conformance.test")))
	b.reject("A9/iss with http for https", CodeIssuer, key(set("iss", "http://issuer.conformance.test")))
	b.reject("A9/iss missing", CodeIssuer, key(del("iss")))

	b.reject("A9/aud string without orders-api", CodeAudience, key(set("aud", "billing-api")))
	b.reject("A9/aud array without orders-api", CodeAudience, key(set("aud", []string{"billing-api", "orders-api-v2"})))
	b.reject("A9/aud differing in case", CodeAudience, key(set("aud", []string{"Orders-API"})))
	b.reject("A9/aud missing", CodeAudience, key(del("aud")))
	b.reject("A9/aud empty array", CodeAudience, key(set("aud", []string{})))
	b.reject("A9/aud a number", CodeClaims, key(set("aud", 42)))
	b.accept("A9/aud string orders-api accepted", key(set("aud", "orders-api")), keyPrincipal())
	b.accept("A9/aud array with orders-api among others accepted",
		key(set("aud", []string{"billing-api", "orders-api", "inventory-api"})), keyPrincipal())

	b.reject("A9/sub missing", CodeClaims, key(del("sub")))
	b.reject("A9/jti missing", CodeClaims, key(del("jti")))
	b.reject("A9/API key without status", CodeClaims, key(del("status")))
	b.reject("A9/API key with status but no status_list", CodeClaims, key(set("status", map[string]any{})))
	b.reject("A9/API key status without idx", CodeClaims,
		key(set("status", map[string]any{"status_list": map[string]any{"uri": prefix + "sl_1"}})))
	b.reject("A9/API key status without uri", CodeClaims,
		key(set("status", map[string]any{"status_list": map[string]any{"idx": 3}})))

	b.reject("A9/typ JWT", CodeType, b.sign("JWT", keyClaims()))
	b.reject("A9/no typ", CodeType, b.sign("", keyClaims()))
	b.reject("A9/typ statuslist+jwt", CodeType, b.sign("statuslist+jwt", keyClaims()))
	b.reject("A9/the issuer's own status list token as a credential", CodeType,
		b.sign("statuslist+jwt", listClaims("sl_1", make([]byte, 16), 1)))
	b.reject("A9/typ application/jwt", CodeType, b.sign("application/jwt", keyClaims()))
	b.reject("A9/typ apikey+jwt with a suffix", CodeType, b.sign("apikey+jwt2", keyClaims()))
	b.reject("A9/OIDC ID token shape (typ JWT, nonce, at_hash)", CodeType, b.sign("JWT", idToken))
	b.reject("A9/OIDC ID token shape without typ", CodeType, b.sign("", idToken))
	// typ is matched case-insensitively, with or without "application/" (RFC 7515 §4.1.9).
	b.accept("A9/typ application/apikey+jwt accepted as an API key", b.sign("application/apikey+jwt", keyClaims()), keyPrincipal())

	b.reject("A9/access token where only API keys are accepted", CodeType, b.accessToken(), acceptOnly(KindAPIKey))
	b.reject("A9/API key where only access tokens are accepted", CodeType, b.apiKey(), acceptOnly(KindAccessToken))
	b.reject("A9/access token with client_id != sub", CodeClaims, b.accessToken(set("client_id", "prj_other")))
	b.reject("A9/access token without client_id", CodeClaims, b.accessToken(del("client_id")))
	b.accept("A9/typ application/at+jwt accepted as an access token", b.sign("application/at+jwt", accessClaims()), tokenPrincipal())
	b.accept("A9/typ AT+JWT accepted as an access token", b.sign("AT+JWT", accessClaims()), tokenPrincipal())
	b.accept("A9/typ at+JWT accepted as an access token", b.sign("at+JWT", accessClaims()), tokenPrincipal())
	b.reject("A9/typ application/at+jwt where only API keys are accepted", CodeType,
		b.sign("application/at+jwt", accessClaims()), acceptOnly(KindAPIKey))
}

// a10: a bad signature wins over every claim problem.
func (b *builder) a10() {
	b.reject("A10/expired and a flipped signature bit", CodeSignature, flip(b.apiKey(set("exp", at(-time.Hour)))))
	b.reject("A10/expired and signed by another key under our kid", CodeSignature,
		signTyp(kid, b.attacker, "apikey+jwt", keyClaims(set("exp", at(-time.Hour)))))
	b.reject("A10/wrong iss and aud and a flipped signature bit", CodeSignature,
		flip(b.apiKey(set("iss", "https://evil.example"), set("aud", "x"))))
	b.reject("A10/good claims and a flipped signature bit", CodeSignature, flip(b.apiKey(set("jti", "key_flip"))))
}

// rawClaims are good API key claims, edited, with extra JSON text appended as the last
// members (duplicates and odd spellings that a map cannot hold).
func rawClaims(extra string, edits ...claimsEdit) string {
	p := payload(keyClaims(edits...))
	return string(p[:len(p)-1]) + "," + extra + "}"
}

// f53: strict member names. Each token is validly signed by the issuer's key, so only
// the JSON rule rejects it: a duplicate member anywhere, or a spelling of a member name
// a verifier reads that a case-insensitive or Unicode-folding decoder would take for it.
func (b *builder) f53() {
	strict := func(header, claims string) string { return signRaw(b.key, header, claims) }
	goodHeader := `{"alg":"ES256","typ":"apikey+jwt","kid":"` + kid + `"}`
	expired, valid := fmt.Sprint(at(-time.Hour)), fmt.Sprint(at(time.Hour))
	statusOf := func(body string) claimsEdit { return set("status", json.RawMessage(body)) }
	prefix := StatusListPrefix

	b.accept("F53/control: raw-signed good token accepted", strict(goodHeader, rawClaims(`"x":1`)), keyPrincipal())
	b.accept("F53/control: the portal's header order (typ first) accepted",
		strict(`{"typ":"apikey+jwt","alg":"ES256","kid":"`+kid+`"}`, rawClaims(`"x":1`)), keyPrincipal())
	b.accept("F53/control: other spellings of unknown claims accepted",
		strict(goodHeader, rawClaims(`"Foo":1,"foo":2,"FOO":{"sub":"x","aud":"y"}`)), keyPrincipal())
	b.accept("F53/control: a known name written with escapes accepted",
		strict(goodHeader, rawClaims(`"\u0073cope":"orders:read"`, del("scope"))),
		keyPrincipal(func(p *Principal) { p.Scopes = []string{"orders:read"} }))
	b.reject("F53/AUD naming this API alongside aud naming another", CodeMalformed,
		strict(goodHeader, rawClaims(`"AUD":"orders-api"`, set("aud", "billing-api"))))
	b.reject("F53/AUD alone", CodeMalformed, strict(goodHeader, rawClaims(`"AUD":"orders-api"`, del("aud"))))
	b.reject("F53/Aud naming this API alongside aud naming another", CodeMalformed,
		strict(goodHeader, rawClaims(`"Aud":"orders-api"`, set("aud", "billing-api"))))
	b.reject("F53/Aud alone", CodeMalformed, strict(goodHeader, rawClaims(`"Aud":"orders-api"`, del("aud"))))
	b.reject("F53/duplicate aud, the last one naming this API", CodeMalformed,
		strict(goodHeader, rawClaims(`"aud":"orders-api"`, set("aud", "billing-api"))))
	b.reject("F53/duplicate aud, the first one naming this API", CodeMalformed,
		strict(goodHeader, rawClaims(`"aud":"billing-api"`)))
	b.reject("F53/duplicate aud written \\u0061ud", CodeMalformed,
		strict(goodHeader, rawClaims(`"\u0061ud":"orders-api"`, set("aud", "billing-api"))))
	b.reject("F53/duplicate sub, the last one another project", CodeMalformed,
		strict(goodHeader, rawClaims(`"sub":"prj_other"`)))
	b.reject("F53/duplicate sub, the first one another project", CodeMalformed,
		strict(goodHeader, rawClaims(`"sub":"prj_orders"`, set("sub", "prj_other"))))
	b.reject("F53/duplicate exp, a later expired one", CodeMalformed, strict(goodHeader, rawClaims(`"exp":`+expired)))
	b.reject("F53/duplicate exp, a later valid one", CodeMalformed,
		strict(goodHeader, rawClaims(`"exp":`+valid, set("exp", at(-time.Hour)))))
	b.reject("F53/EXP, a valid one, alongside an expired exp", CodeMalformed,
		strict(goodHeader, rawClaims(`"EXP":`+valid, set("exp", at(-time.Hour)))))
	b.reject("F53/duplicate idx inside status.status_list", CodeMalformed,
		strict(goodHeader, rawClaims(`"x":1`, statusOf(`{"status_list":{"idx":5,"uri":"`+prefix+`sl_1","idx":3}}`))))
	b.reject("F53/URI inside status.status_list", CodeMalformed,
		strict(goodHeader, rawClaims(`"x":1`, statusOf(`{"status_list":{"idx":3,"URI":"`+prefix+`sl_1"}}`))))
	b.reject("F53/duplicate status_list", CodeMalformed,
		strict(goodHeader, rawClaims(`"x":1`, statusOf(`{"status_list":{"idx":5},"status_list":{"idx":3,"uri":"`+prefix+`sl_1"}}`))))
	b.reject("F53/duplicate unknown claim", CodeMalformed, strict(goodHeader, rawClaims(`"foo":1,"foo":2`)))
	b.reject("F53/duplicate member deep inside an unknown claim", CodeMalformed,
		strict(goodHeader, rawClaims(`"ext":[{"a":{"b":1,"b":2}}]`)))
	b.reject("F53/ſub (long s) for sub", CodeMalformed, strict(goodHeader, rawClaims(`"ſub":"prj_orders"`, del("sub"))))
	b.reject("F53/\\u017fub (escaped long s) for sub", CodeMalformed,
		strict(goodHeader, rawClaims(`"\u017fub":"prj_orders"`, del("sub"))))
	b.reject("F53/ıss (dotless i) for iss", CodeMalformed, strict(goodHeader, rawClaims(`"ıss":"`+Issuer+`"`, del("iss"))))
	b.reject("F53/SCOPE alongside scope", CodeMalformed, strict(goodHeader, rawClaims(`"SCOPE":"orders:admin"`)))
	ac := payload(accessClaims(set("client_id", "prj_other")))
	b.reject("F53/access token with a duplicate client_id", CodeMalformed,
		signRaw(b.key, `{"alg":"ES256","typ":"at+jwt","kid":"`+kid+`"}`, string(ac[:len(ac)-1])+`,"client_id":"prj_orders"}`))
	b.reject("F53/header with a duplicate alg, the last one ES256", CodeMalformed,
		strict(`{"alg":"none","typ":"apikey+jwt","kid":"`+kid+`","alg":"ES256"}`, rawClaims(`"x":1`)))
	b.reject("F53/header with a duplicate kid, the last one ours", CodeMalformed,
		strict(`{"alg":"ES256","typ":"apikey+jwt","kid":"k404","kid":"`+kid+`"}`, rawClaims(`"x":1`)))
	b.reject("F53/header with a duplicate typ, the last one apikey+jwt", CodeMalformed,
		strict(`{"alg":"ES256","typ":"JWT","kid":"`+kid+`","typ":"apikey+jwt"}`, rawClaims(`"x":1`)))
	b.reject("F53/header with TYP", CodeMalformed,
		strict(`{"alg":"ES256","TYP":"apikey+jwt","kid":"`+kid+`"}`, rawClaims(`"x":1`)))
	b.reject("F53/header with typ and TYP", CodeMalformed,
		strict(`{"alg":"ES256","typ":"apikey+jwt","TYP":"JWT","kid":"`+kid+`"}`, rawClaims(`"x":1`)))
	b.reject("F53/header with Kid", CodeMalformed,
		strict(`{"alg":"ES256","typ":"apikey+jwt","Kid":"`+kid+`"}`, rawClaims(`"x":1`)))
	b.reject("F53/header with kid spelled with the Kelvin sign", CodeMalformed,
		strict("{\"alg\":\"ES256\",\"typ\":\"apikey+jwt\",\"\u212aid\":\""+kid+"\"}", rawClaims(`"x":1`)))
	b.reject("F53/header with a duplicate unknown member", CodeMalformed,
		strict(`{"alg":"ES256","typ":"apikey+jwt","kid":"`+kid+`","cty":"a","cty":"b"}`, rawClaims(`"x":1`)))
	b.reject("F53/claims nested deeper than jsonstrict.MaxDepth", CodeMalformed,
		strict(goodHeader, rawClaims(`"x":`+strings.Repeat("[", 65)+strings.Repeat("]", 65))))
	b.reject("F53/claims with a member name that is not UTF-8", CodeMalformed,
		strict(goodHeader, rawClaims("\"\xff\":1")))
}

// a12: status lists fail closed. Each hostile list is published under its own id, and
// the key on it names index 3.
func (b *builder) a12() {
	prefix := StatusListPrefix
	zero16 := func() []byte { return make([]byte, 16) }
	// goodList is the claims of a good 16-byte list id, edited.
	goodList := func(id string, edits ...claimsEdit) map[string]any { return listClaims(id, zero16(), 1, edits...) }
	lstOf := func(lst string) claimsEdit { return set("status_list", map[string]any{"bits": 1, "lst": lst}) }
	listHeader := `{"alg":"ES256","typ":"statuslist+jwt","kid":"` + kid + `"}`

	// Status URIs that are not the issuer's: rejected without a fetch (the harness fails
	// the case on any request outside the issuer, or for anything but a list name
	// directly under the prefix).
	for _, u := range []struct{ name, uri string }{
		{"on another host", attackerURL + "/statuslists/sl_1"},
		{"the issuer's host as userinfo of another host", Issuer + "@attacker.conformance.test/statuslists/sl_1"},
		{"another scheme and host", "http://attacker.conformance.test/statuslists/sl_1"},
		{"prefix + ../x", prefix + "../x"},
		{"prefix + ..\\x", prefix + "..\\x"},
		{"prefix + sl_1?x=1", prefix + "sl_1?x=1"},
		{"prefix + sl_1/x", prefix + "sl_1/x"},
		{"prefix + sl_1#x", prefix + "sl_1#x"},
		{"the prefix without its slash", strings.TrimSuffix(prefix, "/")},
		{"the issuer's list over http", "http://issuer.conformance.test/statuslists/sl_1"},
	} {
		b.reject("A12/status uri "+u.name, CodeStatusUnavailable, b.keyOn(u.uri, 3))
	}
	b.reject("A12/index 100000 in a 16-byte list", CodeStatusUnavailable, b.keyOn(prefix+"sl_1", 100000))
	b.reject("A12/index -1", CodeStatusUnavailable, b.keyOn(prefix+"sl_1", -1))
	b.reject("A12/index 128 (one past a 16-byte list)", CodeStatusUnavailable, b.keyOn(prefix+"sl_1", 128))
	b.accept("A12/index 127 (last of a 16-byte list) accepted", b.keyOn(prefix+"sl_1", 127), keyPrincipal())
	b.reject("A12/index a string", CodeClaims, b.keyOn(prefix+"sl_1", "3"))

	b.reject("A12/list with bits 2", CodeStatusUnavailable,
		b.list("sl_bits2", b.sign("statuslist+jwt", listClaims("sl_bits2", zero16(), 2))))
	b.reject("A12/list with bits 0", CodeStatusUnavailable,
		b.list("sl_bits0", b.sign("statuslist+jwt", listClaims("sl_bits0", zero16(), 0))))
	b.reject("A12/list without status_list", CodeStatusUnavailable,
		b.list("sl_nolist", b.sign("statuslist+jwt", goodList("sl_nolist", del("status_list")))))
	b.reject("A12/list with typ JWT", CodeStatusUnavailable, b.list("sl_typjwt", b.sign("JWT", goodList("sl_typjwt"))))
	b.reject("A12/list without typ", CodeStatusUnavailable, b.list("sl_notyp", b.sign("", goodList("sl_notyp"))))
	b.reject("A12/list with typ apikey+jwt", CodeStatusUnavailable,
		b.list("sl_typkey", b.sign("apikey+jwt", goodList("sl_typkey"))))
	b.reject("A12/list whose sub is another list's uri", CodeStatusUnavailable,
		b.list("sl_sub", b.sign("statuslist+jwt", goodList("sl_sub", set("sub", prefix+"sl_1")))))
	b.reject("A12/list without sub", CodeStatusUnavailable,
		b.list("sl_nosub", b.sign("statuslist+jwt", goodList("sl_nosub", del("sub")))))
	b.reject("A12/list with another iss", CodeStatusUnavailable,
		b.list("sl_iss", b.sign("statuslist+jwt", goodList("sl_iss", set("iss", "https://evil.example")))))
	b.reject("A12/list signed by an unknown key", CodeStatusUnavailable,
		b.list("sl_unknownkey", signTyp("k404", b.attacker, "statuslist+jwt", goodList("sl_unknownkey"))))
	b.reject("A12/list signed by another key under our kid", CodeStatusUnavailable,
		b.list("sl_forged", signTyp(kid, b.attacker, "statuslist+jwt", goodList("sl_forged"))))
	b.reject("A12/list with a flipped signature bit", CodeStatusUnavailable,
		b.list("sl_flipped", flip(b.sign("statuslist+jwt", goodList("sl_flipped")))))
	b.reject("A12/list with alg none", CodeStatusUnavailable,
		b.list("sl_none", unsigned(map[string]any{"alg": "none", "typ": "statuslist+jwt", "kid": kid}, goodList("sl_none"), []byte{0})))
	b.reject("A12/list with a jku header", CodeStatusUnavailable,
		b.list("sl_jku", sign(b.attacker, map[string]any{"alg": "ES256", "typ": "statuslist+jwt", "kid": attackerKid, "jku": attackerURL},
			goodList("sl_jku"))))
	b.reject("A12/expired list", CodeStatusUnavailable,
		b.list("sl_expired", b.sign("statuslist+jwt", goodList("sl_expired", set("exp", at(-time.Minute))))))
	// A list is valid before its exp, not at it (no leeway on lists).
	b.reject("A12/list whose exp is now", CodeStatusUnavailable,
		b.list("sl_expnow", b.sign("statuslist+jwt", goodList("sl_expnow", set("exp", Now)))))
	b.reject("A12/list with exp 1e19 (out of range)", CodeStatusUnavailable,
		b.list("sl_exp1e19", b.sign("statuslist+jwt", goodList("sl_exp1e19", set("exp", 1e19)))))
	b.reject("A12/list without exp", CodeStatusUnavailable,
		b.list("sl_noexp", b.sign("statuslist+jwt", goodList("sl_noexp", del("exp")))))
	b.reject("A12/list with exp as a string", CodeStatusUnavailable,
		b.list("sl_expstr", b.sign("statuslist+jwt", goodList("sl_expstr", set("exp", "9999999999")))))
	b.reject("A12/lst not base64", CodeStatusUnavailable,
		b.list("sl_notb64", b.sign("statuslist+jwt", goodList("sl_notb64", lstOf("!!not base64!!")))))
	// zlib of 4 zero bytes is 16 bytes long, so its padded base64 ends in "==".
	padded := base64.URLEncoding.EncodeToString(zlibBytes(make([]byte, 4)))
	if !strings.HasSuffix(padded, "=") {
		failf("lst %q has no padding", padded)
	}
	b.reject("A12/lst padded base64", CodeStatusUnavailable,
		b.list("sl_padded", b.sign("statuslist+jwt", goodList("sl_padded", lstOf(padded)))))
	b.reject("A12/lst not zlib", CodeStatusUnavailable,
		b.list("sl_notzlib", b.sign("statuslist+jwt", goodList("sl_notzlib", lstOf(b64.EncodeToString(make([]byte, 16)))))))
	truncated := zlibBytes(bytes.Repeat([]byte{0x5a, 0xa5, 0x3c}, 100))
	b.reject("A12/lst truncated zlib", CodeStatusUnavailable,
		b.list("sl_truncated", b.sign("statuslist+jwt", goodList("sl_truncated", lstOf(b64.EncodeToString(truncated[:len(truncated)-6]))))))
	adler := zlibBytes(make([]byte, 16))
	adler[len(adler)-1] ^= 0xff
	b.reject("A12/lst zlib with a bad checksum", CodeStatusUnavailable,
		b.list("sl_adler", b.sign("statuslist+jwt", goodList("sl_adler", lstOf(b64.EncodeToString(adler))))))

	// Decompression bombs: the inflate limit (1 MiB of bits), not the token's size, is
	// what rejects them.
	smallBomb := b.sign("statuslist+jwt", goodList("sl_smallbomb", lstOf(b64.EncodeToString(zlibZeros(4<<20)))))
	if len(smallBomb) > MaxTokenLen {
		failf("4 MiB bomb token length %d, want ≤ MaxTokenLen", len(smallBomb))
	}
	b.reject("A12/decompression bomb that fits in MaxTokenLen (zlib of 4 MiB of zeros)", CodeStatusUnavailable,
		b.list("sl_smallbomb", smallBomb))
	bomb := b.sign("statuslist+jwt", goodList("sl_bomb8", lstOf(b64.EncodeToString(zlibZeros(8<<20)))))
	if len(bomb) > MaxDocument {
		failf("8 MiB bomb token length %d, want ≤ MaxDocument", len(bomb))
	}
	b.reject("A12/decompression bomb of 8 MiB (zlib of 8 MiB of zeros)", CodeStatusUnavailable, b.list("sl_bomb8", bomb))

	// Strict member names in lists too (F53).
	dupBits := goodList("sl_dupbits")
	lst := dupBits["status_list"].(map[string]any)["lst"].(string)
	dupBits["status_list"] = json.RawMessage(`{"bits":2,"lst":"` + lst + `","bits":1}`)
	b.reject("F53/list with a duplicate bits, the last one 1", CodeStatusUnavailable,
		b.list("sl_dupbits", signRaw(b.key, listHeader, dupBits)))
	upperLst := goodList("sl_lst")
	upperLst["status_list"] = json.RawMessage(`{"bits":1,"LST":"` + lst + `"}`)
	b.reject("F53/list with LST for lst", CodeStatusUnavailable, b.list("sl_lst", signRaw(b.key, listHeader, upperLst)))
	sub2 := payload(goodList("sl_sub2", set("sub", prefix+"sl_1")))
	b.reject("F53/list with SUB naming it alongside sub naming another", CodeStatusUnavailable,
		b.list("sl_sub2", signRaw(b.key, listHeader, string(sub2[:len(sub2)-1])+`,"SUB":"`+prefix+`sl_sub2"}`)))
	b.reject("F53/list header with a duplicate typ, the last one statuslist+jwt", CodeStatusUnavailable,
		b.list("sl_duptyp", signRaw(b.key, `{"alg":"ES256","typ":"JWT","kid":"`+kid+`","typ":"statuslist+jwt"}`, goodList("sl_duptyp"))))

	// Lists that are not there, or not tokens.
	b.reject("A12/list answered 404", CodeStatusUnavailable, b.keyOn(prefix+"sl_missing", 3))
	b.reject("A12/list answered with garbage", CodeStatusUnavailable, b.list("sl_garbage", "hello"))
	b.reject("A12/list answered with a JWE", CodeStatusUnavailable, b.list("sl_jwe", b.jwe()))

	// The bit itself (sl_rev has index 5 revoked).
	b.reject("A12/revoked bit", CodeRevoked, b.keyOn(prefix+"sl_rev", 5))
	b.accept("A12/the revoked bit's neighbour accepted", b.keyOn(prefix+"sl_rev", 4), keyPrincipal())
	// models.StatusListSize is 1<<17 entries; revocations accumulate (indexes are never
	// reused), so a real list's token can exceed MaxTokenLen.
	portal := make([]byte, 1<<17/8)
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := 0; i < 1<<17; i++ {
		if i != 7 && rng.IntN(10) == 0 {
			portal[i/8] |= 1 << (i % 8)
		}
	}
	bigTok := b.sign("statuslist+jwt", listClaims("sl_big", portal, 1))
	if len(bigTok) <= MaxTokenLen {
		failf("portal-sized list token length %d, want > MaxTokenLen", len(bigTok))
	}
	b.serveList("sl_big", bigTok)
	b.accept("A12/portal-sized list (16 KiB, 10% revoked) longer than MaxTokenLen accepted",
		b.keyOn(prefix+"sl_big", 7), keyPrincipal())

	// FailOpen accepts an API key whose list cannot be had, and nothing else: a list
	// that was had still says revoked or out of range, and a list that is not the
	// issuer's is never asked for.
	b.accept("A12/FailOpen: list answered 404 accepted", b.keyOn(prefix+"sl_missing", 3), keyPrincipal(), failOpen)
	b.accept("A12/FailOpen: expired list accepted", b.keyOn(prefix+"sl_expired", 3), keyPrincipal(), failOpen)
	b.reject("A12/FailOpen: revoked bit still revoked", CodeRevoked, b.keyOn(prefix+"sl_rev", 5), failOpen)
	b.reject("A12/FailOpen: index 128 of a 16-byte list still rejected", CodeStatusUnavailable,
		b.keyOn(prefix+"sl_1", 128), failOpen)
	b.reject("A12/FailOpen: status uri on another host still rejected", CodeStatusUnavailable,
		b.keyOn(attackerURL+"/statuslists/sl_1", 3), failOpen)
}

// allowLists: Projects and Teams narrow an API to some projects or teams. They apply
// after the signature and the claims (a forged or expired credential is reported as
// such) and before the status list.
func (b *builder) allowLists() {
	withTeam := func(p *Principal) { p.Team = "team_1" }
	b.accept("allowlist/project listed accepted", b.apiKey(), keyPrincipal(), projects("prj_orders"))
	b.accept("allowlist/project listed among others accepted", b.accessToken(), tokenPrincipal(), projects("prj_billing", "prj_orders"))
	b.reject("allowlist/project not listed", CodeNotAllowed, b.apiKey(), projects("prj_billing"))
	b.reject("allowlist/project not listed, access token", CodeNotAllowed, b.accessToken(), projects("prj_billing"))
	b.reject("allowlist/project differing in case", CodeNotAllowed, b.apiKey(), projects("PRJ_ORDERS"))
	b.accept("allowlist/team listed accepted", b.apiKey(), keyPrincipal(), teams("team_2", "team_1"))
	b.reject("allowlist/team not listed", CodeNotAllowed, b.apiKey(), teams("team_2"))
	b.accept("allowlist/team listed, access token with a team accepted", b.accessToken(set("team", "team_1")),
		tokenPrincipal(withTeam), teams("team_1"))
	b.reject("allowlist/teams set, access token without a team", CodeNotAllowed, b.accessToken(), teams("team_1"))
	b.reject("allowlist/teams set, access token with an empty team", CodeNotAllowed, b.accessToken(set("team", "")), teams("team_1"))
	b.accept("allowlist/project and team listed accepted", b.apiKey(), keyPrincipal(), projects("prj_orders"), teams("team_1"))
	b.reject("allowlist/project listed, team not", CodeNotAllowed, b.apiKey(), projects("prj_orders"), teams("team_2"))
	b.reject("allowlist/not listed and a flipped signature bit", CodeSignature, flip(b.apiKey()), projects("prj_billing"))
	b.reject("allowlist/not listed and expired", CodeExpired,
		b.accessToken(set("team", "team_1"), set("exp", at(-time.Hour))), teams("team_2"))
	b.reject("allowlist/not listed and another audience", CodeAudience,
		b.apiKey(set("aud", []string{"billing-api"})), projects("prj_billing"))
	b.reject("allowlist/not listed and revoked", CodeNotAllowed, b.keyOn(StatusListPrefix+"sl_rev", 5), projects("prj_billing"))
	b.reject("allowlist/not listed and the status list missing", CodeNotAllowed,
		b.keyOn(StatusListPrefix+"sl_missing", 3), projects("prj_billing"))
}

// subjectTypes: sub_type says what sub is. No sub_type is a project (tokens issued
// before the claim); Project is set for projects only, ServiceAccount for service
// accounts only; an unknown sub_type, and an API key for anything but a project, are
// refused. A user's token names the app acting for the user in client_id.
func (b *builder) subjectTypes() {
	sa := func(p *Principal) {
		p.SubjectType, p.Subject, p.Project, p.ServiceAccount, p.KeyID = SubjectServiceAccount, "sa_build", "", "sa_build", "at_1"
	}
	user := func(p *Principal) { p.SubjectType, p.Subject, p.Project = SubjectUser, "usr_1", "" }
	b.accept("subject/access token without sub_type is a project's", b.accessToken(), tokenPrincipal())
	b.accept("subject/access token with sub_type project", b.accessToken(set("sub_type", "project")), tokenPrincipal())
	b.accept("subject/access token with sub_type service_account", b.accessToken(set("sub_type", "service_account"),
		set("sub", "sa_build"), set("client_id", "sa_build")), tokenPrincipal(sa))
	b.accept("subject/access token with sub_type user", b.accessToken(set("sub_type", "user"), set("sub", "usr_1")), tokenPrincipal(user))
	b.reject("subject/access token with an unknown sub_type", CodeClaims, b.accessToken(set("sub_type", "robot")))
	b.reject("subject/access token with sub_type Project (case differs)", CodeClaims, b.accessToken(set("sub_type", "Project")))
	b.reject("subject/access token with sub_type a number", CodeClaims, b.accessToken(set("sub_type", 1)))
	b.reject("subject/service account's token whose client_id is not sub", CodeClaims,
		b.accessToken(set("sub_type", "service_account"), set("sub", "sa_build")))
	b.reject("subject/user's token without client_id", CodeClaims, b.accessToken(set("sub_type", "user"), set("sub", "usr_1"), del("client_id")))
	b.accept("subject/API key with sub_type project", b.apiKey(set("sub_type", "project")), keyPrincipal())
	b.reject("subject/API key with sub_type service_account", CodeClaims, b.apiKey(set("sub_type", "service_account")))
	b.reject("subject/API key with sub_type user", CodeClaims, b.apiKey(set("sub_type", "user")))
	b.reject("F53/SUB_TYPE for sub_type", CodeMalformed, b.accessToken(set("SUB_TYPE", "project")))
	ac := payload(accessClaims(set("sub_type", "user")))
	b.reject("F53/access token with a duplicate sub_type, the last one project", CodeMalformed,
		signRaw(b.key, `{"alg":"ES256","typ":"at+jwt","kid":"`+kid+`"}`, string(ac[:len(ac)-1])+`,"sub_type":"project"}`))
}

// stepUp: a user's authentication (auth_time, acr, amr) reaches the principal, and a
// route's step-up requirement (RFC 9470) is met or answered with a challenge.
func (b *builder) stepUp() {
	const mfa, hwk, pwd = "urn:gatehouse:acr:mfa", "urn:gatehouse:acr:hwk", "urn:gatehouse:acr:pwd"
	userTok := func(edits ...claimsEdit) string {
		return b.accessToken(append([]claimsEdit{set("sub_type", "user"), set("sub", "usr_1")}, edits...)...)
	}
	userP := func(authAgo *time.Duration, acr string, amr ...string) Principal {
		return tokenPrincipal(func(p *Principal) {
			p.SubjectType, p.Subject, p.Project, p.ACR, p.AMR = SubjectUser, "usr_1", "", acr, amr
			if authAgo != nil {
				t := at(-*authAgo)
				p.AuthTime = &t
			}
		})
	}
	ago := func(d time.Duration) *time.Duration { return &d }
	maxAge := func(s int64) Require { return Require{MaxAgeSeconds: &s} }
	acrs := func(v ...string) Require { return Require{ACRValues: v} }
	stale := func(maxAge string) map[string]string {
		return map[string]string{"error": ChallengeInsufficientUserAuthentication, "max_age": maxAge}
	}
	weak := func(values string) map[string]string {
		return map[string]string{"error": ChallengeInsufficientUserAuthentication, "acr_values": values}
	}

	b.accept("stepup/auth_time, acr and amr in the principal",
		userTok(set("auth_time", at(-2*time.Minute)), set("acr", mfa), set("amr", []string{"pwd", "otp"})),
		userP(ago(2*time.Minute), mfa, "pwd", "otp"))
	b.accept("stepup/empty amr", userTok(set("amr", []string{})), userP(nil, ""))
	b.accept("stepup/null auth_time, acr and amr are absent", userTok(set("auth_time", nil), set("acr", nil), set("amr", nil)), userP(nil, ""))

	fresh := userTok(set("auth_time", at(-time.Minute)), set("acr", pwd))
	b.stepUpCase("stepup/auth_time 60 s ago, max age 300 s: met", fresh, userP(ago(time.Minute), pwd), maxAge(300), nil)
	b.stepUpCase("stepup/auth_time 60 s ago, max age 30 s: challenged", fresh, userP(ago(time.Minute), pwd), maxAge(30), stale("30"))
	b.stepUpCase("stepup/auth_time exactly 300 s ago, max age 300 s: met", userTok(set("auth_time", at(-5*time.Minute))),
		userP(ago(5*time.Minute), ""), maxAge(300), nil)
	b.stepUpCase("stepup/auth_time 301 s ago, max age 300 s: challenged", userTok(set("auth_time", at(-301*time.Second))),
		userP(ago(301*time.Second), ""), maxAge(300), stale("300"))
	b.stepUpCase("stepup/no auth_time, max age 300 s: challenged", userTok(set("acr", mfa)), userP(nil, mfa), maxAge(300), stale("300"))
	b.stepUpCase("stepup/project's token, max age 300 s: challenged", b.accessToken(), tokenPrincipal(), maxAge(300), stale("300"))
	b.stepUpCase("stepup/auth_time now, max age 0: met", userTok(set("auth_time", Now)), userP(ago(0), ""), maxAge(0), nil)

	b.stepUpCase("stepup/acr among the values: met", fresh, userP(ago(time.Minute), pwd), acrs(mfa, pwd), nil)
	b.stepUpCase("stepup/acr not among the values: challenged", fresh, userP(ago(time.Minute), pwd), acrs(mfa, hwk), weak(mfa+" "+hwk))
	b.stepUpCase("stepup/acr differing in case: challenged", userTok(set("acr", "URN:gatehouse:acr:mfa")),
		userP(nil, "URN:gatehouse:acr:mfa"), acrs(mfa), weak(mfa))
	b.stepUpCase("stepup/no acr: challenged", userTok(set("auth_time", at(-time.Minute))), userP(ago(time.Minute), ""), acrs(mfa), weak(mfa))

	for _, m := range []struct {
		name string
		edit claimsEdit
	}{
		{`auth_time as a string`, set("auth_time", fmt.Sprint(Now))},
		{"auth_time 1e19 (out of range)", set("auth_time", 1e19)},
		{"auth_time negative", set("auth_time", -1)},
		{"auth_time a bool", set("auth_time", true)},
		{"acr a number", set("acr", 2)},
		{"acr an array", set("acr", []string{mfa})},
		{"acr an object", set("acr", map[string]any{"value": mfa})},
		{"amr a string", set("amr", "pwd")},
		{"amr with a number", set("amr", []any{"pwd", 1})},
		{"amr with a null element", set("amr", []any{"pwd", nil})},
		{"amr with an array element", set("amr", []any{[]string{"pwd"}})},
		{"amr an object", set("amr", map[string]any{"pwd": true})},
	} {
		b.reject("stepup/"+m.name, CodeClaims, userTok(m.edit))
	}
	ac := payload(accessClaims(set("sub_type", "user"), set("sub", "usr_1"), set("auth_time", at(-time.Hour))))
	b.reject("F53/duplicate auth_time, the last one fresh", CodeMalformed,
		signRaw(b.key, `{"alg":"ES256","typ":"at+jwt","kid":"`+kid+`"}`, string(ac[:len(ac)-1])+fmt.Sprintf(`,"auth_time":%d}`, Now)))
	b.reject("F53/AUTH_TIME for auth_time", CodeMalformed, userTok(set("AUTH_TIME", Now)))
	b.reject("F53/Acr alongside acr", CodeMalformed, userTok(set("acr", pwd), set("Acr", mfa)))
	b.reject("F53/AMR for amr", CodeMalformed, userTok(set("AMR", []string{"hwk"})))
	b.reject("F53/\\u0061cr (escaped) alongside acr", CodeMalformed,
		signRaw(b.key, `{"alg":"ES256","typ":"at+jwt","kid":"`+kid+`"}`,
			string(ac[:len(ac)-1])+`,"acr":"`+pwd+`","\u0061cr":"`+mfa+`"}`))
}

// actors: the act claim of a token issued by token exchange (RFC 8693 §4.1) becomes the
// actor chain, nearest first; an act that is not an object, an actor without a string
// sub, and a chain longer than 10 are refused; may_act is the issuer's business and is
// ignored, whatever it holds.
func (b *builder) actors() {
	userTok := func(edits ...claimsEdit) string {
		return b.accessToken(append([]claimsEdit{set("sub_type", "user"), set("sub", "usr_1"), set("client_id", "prj_a")}, edits...)...)
	}
	userP := func(actors ...Actor) Principal {
		return tokenPrincipal(func(p *Principal) {
			p.SubjectType, p.Subject, p.Project, p.Actors = SubjectUser, "usr_1", "", actors
		})
	}
	act := func(sub string, inner any) map[string]any {
		m := map[string]any{"sub": sub, "sub_type": "project"}
		if inner != nil {
			m["act"] = inner
		}
		return m
	}
	project := func(sub string) Actor { return Actor{Sub: sub, SubType: SubjectProject} }
	b.accept("actors/one hop", userTok(set("act", act("prj_a", nil))), userP(project("prj_a")))
	b.accept("actors/three hops, nearest first", userTok(set("client_id", "prj_c"), set("act", act("prj_c", act("prj_b", act("prj_a", nil))))),
		userP(project("prj_c"), project("prj_b"), project("prj_a")))
	b.accept("actors/null act is none", userTok(set("act", nil)), userP())
	b.accept("actors/actor without sub_type", userTok(set("act", map[string]any{"sub": "prj_a"})), userP(Actor{Sub: "prj_a"}))
	b.accept("actors/other members of an actor ignored", userTok(set("act", map[string]any{"sub": "prj_a", "sub_type": "project", "iss": "https://elsewhere.test"})),
		userP(project("prj_a")))
	b.accept("actors/project's own token acted on", b.accessToken(set("act", act("prj_orders", nil))),
		tokenPrincipal(func(p *Principal) { p.Actors = []Actor{project("prj_orders")} }))
	var chain any
	var ten []Actor
	for i := 10; i >= 1; i-- {
		chain = act(fmt.Sprintf("prj_%d", i), chain)
	}
	for i := 1; i <= 10; i++ {
		ten = append(ten, project(fmt.Sprintf("prj_%d", i)))
	}
	b.accept("actors/ten actors", userTok(set("client_id", "prj_1"), set("act", chain)), userP(ten...))
	b.reject("actors/eleven actors", CodeClaims, userTok(set("act", act("prj_0", chain))))
	for _, m := range []struct {
		name string
		act  any
	}{
		{"act a string", "prj_a"},
		{"act an array", []any{act("prj_a", nil)}},
		{"act a number", 1},
		{"act true", true},
		{"actor without sub", map[string]any{"sub_type": "project"}},
		{"actor with an empty sub", map[string]any{"sub": ""}},
		{"actor with a numeric sub", map[string]any{"sub": 7}},
		{"actor with sub_type a number", map[string]any{"sub": "prj_a", "sub_type": 1}},
		{"nested act a string", act("prj_b", "prj_a")},
		{"nested actor without sub", act("prj_b", map[string]any{})},
	} {
		b.reject("actors/"+m.name, CodeClaims, userTok(set("act", m.act)))
	}
	for _, m := range []struct {
		name   string
		mayAct any
	}{
		{"naming another party", map[string]any{"sub": "prj_other"}},
		{"a string", "prj_other"},
		{"an array", []any{1, 2}},
	} {
		b.accept("actors/may_act "+m.name+" is ignored", userTok(set("act", act("prj_a", nil)), set("may_act", m.mayAct)), userP(project("prj_a")))
	}
	b.reject("F53/ACT for act", CodeMalformed, userTok(set("ACT", act("prj_a", nil))))
	ac := payload(accessClaims(set("sub_type", "user"), set("sub", "usr_1"), set("act", act("prj_a", nil))))
	b.reject("F53/duplicate act, the last naming another actor", CodeMalformed,
		signRaw(b.key, `{"alg":"ES256","typ":"at+jwt","kid":"`+kid+`"}`, string(ac[:len(ac)-1])+`,"act":{"sub":"prj_evil"}}`))
	plain := payload(accessClaims(set("sub_type", "user"), set("sub", "usr_1")))
	b.reject("F53/duplicate sub inside act", CodeMalformed,
		signRaw(b.key, `{"alg":"ES256","typ":"at+jwt","kid":"`+kid+`"}`, string(plain[:len(plain)-1])+`,"act":{"sub":"prj_a","sub":"prj_evil"}}`))
}
