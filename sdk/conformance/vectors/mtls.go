package vectors

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"time"
)

// Certificate-bound access tokens (RFC 8705 §3): a token whose cnf carries x5t#S256 is
// accepted only from a request presenting that client certificate, on the TLS
// connection or forwarded by a trusted proxy (RFC 9440 Client-Cert).

// The networks the mTLS cases trust as TLS-terminating proxies, and addresses in and out
// of them.
const (
	trustedProxy    = "10.1.2.3"
	trustedProxyV6  = "2001:db8::7"
	untrustedClient = "192.0.2.50"
)

var trustedNets = []string{"10.0.0.0/8", "2001:db8::/32"}

// clientCert is a fixed self-signed Ed25519 certificate (Ed25519 signatures are
// deterministic, so the DER is the same on every run): its DER and x5t#S256.
type clientCert struct {
	der []byte
	x5t string
}

func newClientCert(label string) clientCert {
	seed := sha256.Sum256([]byte("gatehouse conformance vectors: " + label))
	key := ed25519.NewKeyFromSeed(seed[:])
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(seed[:8]),
		Subject:      pkix.Name{CommonName: label},
		NotBefore:    time.Unix(Now, 0).Add(-24 * time.Hour).UTC(),
		NotAfter:     time.Unix(Now, 0).Add(365 * 24 * time.Hour).UTC(),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der := must(x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key))
	sum := sha256.Sum256(der)
	return clientCert{der: der, x5t: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// header is the certificate as a Client-Cert value: an RFC 8941 Byte Sequence.
func (c clientCert) header() string { return ":" + base64.StdEncoding.EncodeToString(c.der) + ":" }

// tls is the certificate as a request's tls_client_cert.
func (c clientCert) tls() string { return base64.StdEncoding.EncodeToString(c.der) }

// mtlsCase adds a case with the default trusted proxies and header.
func (b *builder) mtlsCase(name, token string, reqs ...MTLSRequest) {
	b.mtlsCaseWith(name, token, trustedNets, "", reqs...)
}

func (b *builder) mtlsCaseWith(name, token string, proxies []string, header string, reqs ...MTLSRequest) {
	b.mtls = append(b.mtls, MTLSCase{Name: name, Token: token, Options: defaults(), TrustedProxies: proxies,
		ClientCertHeader: header, Requests: reqs})
}

// mtlsReq is a request from remote with the Authorization scheme; edits add a TLS
// certificate, headers and DPoP proofs.
func mtlsReq(remote, scheme string, e MTLSExpect, edits ...func(*MTLSRequest)) MTLSRequest {
	r := MTLSRequest{Method: "GET", URL: apiURL, Scheme: scheme, RemoteAddr: remote, Headers: map[string]string{}, Expect: e}
	for _, ed := range edits {
		ed(&r)
	}
	return r
}

func onTLS(c clientCert) func(*MTLSRequest) {
	return func(r *MTLSRequest) { r.TLSClientCert = c.tls() }
}
func withHeader(name, value string) func(*MTLSRequest) {
	return func(r *MTLSRequest) { r.Headers[name] = value }
}
func withProof(p string) func(*MTLSRequest) {
	return func(r *MTLSRequest) { r.DPoP = append(r.DPoP, p) }
}

func (b *builder) mtlsCases() {
	a, other := newClientCert("mtls client certificate"), newClientCert("mtls other certificate")
	bound := b.accessToken(set("cnf", map[string]any{"x5t#S256": a.x5t}))
	bearer := b.accessToken()
	ok := MTLSExpect{Valid: true, CertThumbprint: a.x5t}
	refused := MTLSExpect{Error: CodeCertBound, ChallengeScheme: "Bearer"}
	claims := MTLSExpect{Error: CodeClaims, ChallengeScheme: "Bearer"}

	b.mtlsCase("mTLS/matching certificate on the TLS connection", bound, mtlsReq(untrustedClient, "Bearer", ok, onTLS(a)))
	b.mtlsCase("mTLS/another certificate on the TLS connection", bound, mtlsReq(untrustedClient, "Bearer", refused, onTLS(other)))
	b.mtlsCase("mTLS/no client certificate", bound, mtlsReq(untrustedClient, "Bearer", refused))
	b.mtlsCase("mTLS/Client-Cert from a trusted proxy", bound,
		mtlsReq(trustedProxy, "Bearer", ok, withHeader("Client-Cert", a.header())))
	b.mtlsCase("mTLS/Client-Cert from a trusted IPv6 proxy", bound,
		mtlsReq(trustedProxyV6, "Bearer", ok, withHeader("Client-Cert", a.header())))
	b.mtlsCase("mTLS/Client-Cert from a trusted proxy as an IPv4-mapped address", bound,
		mtlsReq("::ffff:"+trustedProxy, "Bearer", ok, withHeader("Client-Cert", a.header())))
	b.mtlsCase("mTLS/Client-Cert without padding from a trusted proxy", bound,
		mtlsReq(trustedProxy, "Bearer", ok, withHeader("Client-Cert", strings.TrimRight(a.header(), ":=")+":")))
	b.mtlsCase("mTLS/another certificate in Client-Cert from a trusted proxy", bound,
		mtlsReq(trustedProxy, "Bearer", refused, withHeader("Client-Cert", other.header())))
	b.mtlsCase("mTLS/trusted proxy without Client-Cert", bound, mtlsReq(trustedProxy, "Bearer", refused))
	b.mtlsCase("mTLS/trusted proxy: its own TLS certificate is not the client's", bound,
		mtlsReq(trustedProxy, "Bearer", refused, onTLS(a)))
	b.mtlsCase("mTLS/Client-Cert not a byte sequence from a trusted proxy", bound,
		mtlsReq(trustedProxy, "Bearer", refused, withHeader("Client-Cert", a.tls())))
	b.mtlsCase("mTLS/Client-Cert of bad base64 from a trusted proxy", bound,
		mtlsReq(trustedProxy, "Bearer", refused, withHeader("Client-Cert", ":"+strings.ReplaceAll(a.tls(), "A", "-")+":")))
	b.mtlsCase("mTLS/forged Client-Cert from an untrusted address", bound,
		mtlsReq(untrustedClient, "Bearer", refused, withHeader("Client-Cert", a.header())))
	b.mtlsCase("mTLS/forged Client-Cert from an untrusted address, another certificate on TLS", bound,
		mtlsReq(untrustedClient, "Bearer", refused, withHeader("Client-Cert", a.header()), onTLS(other)))
	b.mtlsCaseWith("mTLS/Client-Cert with no trusted proxies", bound, nil, "",
		mtlsReq(trustedProxy, "Bearer", refused, withHeader("Client-Cert", a.header())))
	b.mtlsCaseWith("mTLS/custom header from a trusted proxy", bound, trustedNets, "X-Client-Cert",
		mtlsReq(trustedProxy, "Bearer", ok, withHeader("X-Client-Cert", a.header())))
	b.mtlsCaseWith("mTLS/Client-Cert where another header is configured", bound, trustedNets, "X-Client-Cert",
		mtlsReq(trustedProxy, "Bearer", refused, withHeader("Client-Cert", a.header())))

	b.mtlsCase("mTLS/unbound token without a certificate", bearer, mtlsReq(untrustedClient, "Bearer", MTLSExpect{Valid: true}))
	b.mtlsCase("mTLS/unbound token with a certificate", bearer,
		mtlsReq(untrustedClient, "Bearer", MTLSExpect{Valid: true}, onTLS(other)))

	for _, c := range []struct{ name, x5t string }{
		{"not base64url", "not a thumbprint!"},
		{"padded", a.x5t + "="},
		{"base64 with + and /", strings.NewReplacer("-", "+", "_", "/").Replace(newX5tWith(a, "-_"))},
		{"SHA-1 length", a.x5t[:27]},
		{"empty", ""},
	} {
		b.mtlsCase("mTLS/malformed x5t#S256: "+c.name, b.accessToken(set("cnf", map[string]any{"x5t#S256": c.x5t})),
			mtlsReq(untrustedClient, "Bearer", claims, onTLS(a)))
	}
	b.mtlsCase("mTLS/x5t#S256 not a string", b.accessToken(set("cnf", map[string]any{"x5t#S256": []string{a.x5t}})),
		mtlsReq(untrustedClient, "Bearer", claims, onTLS(a)))
	b.mtlsCase("mTLS/unknown cnf member beside x5t#S256",
		b.accessToken(set("cnf", map[string]any{"x5t#S256": a.x5t, "kid": "k"})), mtlsReq(untrustedClient, "Bearer", claims, onTLS(a)))
	b.mtlsCase("mTLS/cnf with x5t (SHA-1) only", b.accessToken(set("cnf", map[string]any{"x5t": a.x5t[:27]})),
		mtlsReq(untrustedClient, "Bearer", claims, onTLS(a)))

	// Bound both ways: the DPoP proof and the certificate are both needed, and the
	// answers are DPoP challenges.
	k := newDPoPClient("dpop client key")
	both := b.accessToken(set("cnf", map[string]any{"jkt": k.jkt, "x5t#S256": a.x5t}))
	proof := func(jti string) func(*MTLSRequest) { return withProof(k.proof(jti, "GET", apiURL, Now, both, nil)) }
	b.mtlsCase("mTLS/jkt and x5t#S256: proof and certificate", both,
		mtlsReq(untrustedClient, "DPoP", MTLSExpect{Valid: true, CertThumbprint: a.x5t, DPoPThumbprint: k.jkt}, onTLS(a), proof("m1")))
	b.mtlsCase("mTLS/jkt and x5t#S256: proof, no certificate", both,
		mtlsReq(untrustedClient, "DPoP", MTLSExpect{Error: CodeCertBound, ChallengeScheme: "DPoP"}, proof("m2")))
	b.mtlsCase("mTLS/jkt and x5t#S256: proof, another certificate", both,
		mtlsReq(untrustedClient, "DPoP", MTLSExpect{Error: CodeCertBound, ChallengeScheme: "DPoP"}, onTLS(other), proof("m3")))
	b.mtlsCase("mTLS/jkt and x5t#S256: certificate, no proof", both,
		mtlsReq(untrustedClient, "DPoP", MTLSExpect{Error: CodeDPoPProof, ChallengeScheme: "DPoP"}, onTLS(a)))
	b.mtlsCase("mTLS/jkt and x5t#S256: certificate, sent as Bearer", both,
		mtlsReq(untrustedClient, "Bearer", MTLSExpect{Error: CodeDPoPBound, ChallengeScheme: "DPoP"}, onTLS(a)))
	b.mtlsCase("mTLS/certificate-bound token under the DPoP scheme", bound,
		mtlsReq(untrustedClient, "DPoP", MTLSExpect{Error: CodeDPoPBound, ChallengeScheme: "DPoP"}, onTLS(a),
			withProof(k.proof("m4", "GET", apiURL, Now, bound, nil))))
}

// newX5tWith is c's thumbprint when it holds one of chars, else a thumbprint of a
// certificate variant that does (so "+ and /" is tested on a value that has them).
func newX5tWith(c clientCert, chars string) string {
	for i := 0; !strings.ContainsAny(c.x5t, chars); i++ {
		sum := sha256.Sum256(append(c.der, byte(i)))
		c.x5t = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return c.x5t
}
