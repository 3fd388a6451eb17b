package verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testClientCert is a client's self-signed TLS certificate and its x5t#S256.
type testClientCert struct {
	tls tls.Certificate
	der []byte
	x5t string
}

func newTestClientCert(tb testing.TB, name string) *testClientCert {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	return &testClientCert{tls: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der: der, x5t: CertThumbprint(der)}
}

// certBoundToken mints an access token bound to c (and to nothing else).
func certBoundToken(f *fakeIssuer, c *testClientCert, jti string) string {
	return f.accessTokenWith(func(cl map[string]any) { cl["cnf"] = map[string]any{"x5t#S256": c.x5t}; cl["jti"] = jti })
}

// principalEcho answers the principal's certificate binding as JSON.
var principalEcho = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p := FromContext(r.Context())
	_ = json.NewEncoder(w).Encode(map[string]any{"cert_bound": p.CertBound, "cert_thumbprint": p.CertThumbprint, "subject": p.Subject})
})

// tlsClient is a client of srv presenting cert (none when nil).
func tlsClient(srv *httptest.Server, cert *testClientCert) *http.Client {
	tr := srv.Client().Transport.(*http.Transport).Clone() // srv.Client() is shared: never change it
	if cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{cert.tls}
	}
	return &http.Client{Transport: tr}
}

// call sends GET url with the token as a bearer token and extra headers, and returns
// the status, the challenge and the body.
func call(t *testing.T, c *http.Client, u, token string, hdr map[string]string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(body)
}

// The API terminates TLS itself and asks for (does not require) a client certificate:
// a certificate-bound token is accepted only over a connection presenting that
// certificate; a forged Client-Cert header changes nothing; an unbound token needs none.
func TestMTLSOverTLS(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier(TrustedProxies("10.0.0.0/8"))
	srv := httptest.NewUnstartedServer(v.Middleware(principalEcho))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	defer srv.Close()
	alice, mallory := newTestClientCert(t, "alice"), newTestClientCert(t, "mallory")
	bound := certBoundToken(f, alice, "at_mtls")

	status, _, body := call(t, tlsClient(srv, alice), srv.URL+"/orders", bound, nil)
	if status != 200 || !strings.Contains(body, `"cert_bound":true`) || !strings.Contains(body, `"cert_thumbprint":"`+alice.x5t+`"`) {
		t.Errorf("bound token with its certificate: %d %s", status, body)
	}
	for name, tc := range map[string]struct {
		client *http.Client
		hdr    map[string]string
		desc   string
	}{
		"another certificate":  {tlsClient(srv, mallory), nil, "is not the one the token is bound to"},
		"no certificate":       {tlsClient(srv, nil), nil, "presented none"},
		"forged Client-Cert":   {tlsClient(srv, nil), map[string]string{"Client-Cert": ":" + base64.StdEncoding.EncodeToString(alice.der) + ":"}, "presented none"},
		"forged, another cert": {tlsClient(srv, mallory), map[string]string{"Client-Cert": ":" + base64.StdEncoding.EncodeToString(alice.der) + ":"}, "is not the one"},
	} {
		status, challenge, body := call(t, tc.client, srv.URL+"/orders", bound, tc.hdr)
		if status != 401 || !strings.HasPrefix(challenge, `Bearer realm="orders-api", error="invalid_token", error_description="`) ||
			!strings.Contains(challenge, tc.desc) || !strings.Contains(body, tc.desc) {
			t.Errorf("%s: %d %q %s", name, status, challenge, body)
		}
	}
	if status, _, body := call(t, tlsClient(srv, nil), srv.URL+"/orders", f.accessToken(), nil); status != 200 || !strings.Contains(body, `"cert_bound":false`) {
		t.Errorf("unbound token without a certificate: %d %s", status, body)
	}
	if status, _, body := call(t, tlsClient(srv, mallory), srv.URL+"/orders", f.accessToken(), nil); status != 200 || !strings.Contains(body, `"cert_thumbprint":""`) {
		t.Errorf("unbound token with a certificate: %d %s", status, body)
	}
}

// Behind a TLS-terminating proxy (a real one: httputil.ReverseProxy over TLS that
// forwards the client's certificate as Client-Cert), the API believes the header from
// the proxy's address only.
func TestMTLSBehindTrustedProxy(t *testing.T) {
	f := newIssuer(t)
	api := httptest.NewServer(f.verifier(TrustedProxies("127.0.0.1/32", "::1"), ClientCertHeader("X-Forwarded-Client-Cert")).Middleware(principalEcho))
	defer api.Close()
	target, err := url.Parse(api.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Header.Del("X-Forwarded-Client-Cert")
		if tls := pr.In.TLS; tls != nil && len(tls.PeerCertificates) > 0 {
			pr.Out.Header.Set("X-Forwarded-Client-Cert", ":"+base64.StdEncoding.EncodeToString(tls.PeerCertificates[0].Raw)+":")
		}
	}}
	proxy := httptest.NewUnstartedServer(rp)
	proxy.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	proxy.StartTLS()
	defer proxy.Close()
	alice, mallory := newTestClientCert(t, "alice"), newTestClientCert(t, "mallory")
	bound := certBoundToken(f, alice, "at_proxy")
	forged := map[string]string{"X-Forwarded-Client-Cert": ":" + base64.StdEncoding.EncodeToString(alice.der) + ":"}

	if status, _, body := call(t, tlsClient(proxy, alice), proxy.URL+"/orders", bound, nil); status != 200 || !strings.Contains(body, alice.x5t) {
		t.Errorf("through the proxy with the certificate: %d %s", status, body)
	}
	if status, challenge, _ := call(t, tlsClient(proxy, mallory), proxy.URL+"/orders", bound, forged); status != 401 || !strings.Contains(challenge, "is not the one") {
		t.Errorf("through the proxy with another certificate: %d %q", status, challenge)
	}
	// The same forged header sent to the API directly is believed (loopback is trusted
	// here): which is why TrustedProxies must list the proxies only. From an address
	// that is not listed, it is not.
	direct := httptest.NewServer(f.verifier(TrustedProxies("10.0.0.0/8"), ClientCertHeader("X-Forwarded-Client-Cert")).Middleware(principalEcho))
	defer direct.Close()
	if status, challenge, _ := call(t, direct.Client(), direct.URL+"/orders", bound, forged); status != 401 || !strings.Contains(challenge, "presented none") {
		t.Errorf("forged header from an untrusted address: %d %q", status, challenge)
	}
}

// Verify sees no request: it refuses a certificate-bound token. A trusted proxy's
// header is refused when repeated or not a byte sequence; the options are checked.
func TestMTLSRefusals(t *testing.T) {
	f := newIssuer(t)
	alice := newTestClientCert(t, "alice")
	bound := certBoundToken(f, alice, "at_refusals")
	v := f.verifier(TrustedProxies("192.0.2.0/24"))
	if _, err := v.Verify(t.Context(), bound); !errors.Is(err, ErrCertBound) || errors.Is(err, ErrDPoPBound) {
		t.Errorf("Verify of a certificate-bound token: %v", err)
	}
	hv := ":" + base64.StdEncoding.EncodeToString(alice.der) + ":"
	for name, vals := range map[string][]string{
		"two headers": {hv, hv}, "empty sequence": {"::"}, "no colons": {base64.StdEncoding.EncodeToString(alice.der)},
		"too long": {":" + strings.Repeat("A", MaxClientCertHeaderLen) + ":"},
	} {
		r := httptest.NewRequest("GET", "https://api.example.com/orders", nil)
		r.RemoteAddr = "192.0.2.9:5000"
		r.Header.Set("Authorization", "Bearer "+bound)
		r.Header["Client-Cert"] = vals
		if _, err := v.VerifyRequest(r); !errors.Is(err, ErrCertBound) {
			t.Errorf("%s: %v, want ErrCertBound", name, err)
		}
	}
	r := httptest.NewRequest("GET", "https://api.example.com/orders", nil)
	r.RemoteAddr = "192.0.2.9:5000"
	r.Header.Set("Authorization", "Bearer "+bound)
	r.Header.Set("Client-Cert", " "+hv+" ")
	if p, err := v.VerifyRequest(r); err != nil || !p.CertBound || p.CertThumbprint != alice.x5t {
		t.Errorf("header with spaces around: %v %+v", err, p)
	}
	for name, opts := range map[string][]Option{
		"bad CIDR":             {TrustedProxies("10.0.0.0/33")},
		"not an address":       {TrustedProxies("proxy.internal")},
		"header Authorization": {ClientCertHeader("authorization")},
		"empty header":         {ClientCertHeader("")},
	} {
		if _, err := New(t.Context(), f.url, append([]Option{Audience("orders-api")}, opts...)...); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// DocIssuer is a fake portal for the documentation's tests (package verify_test) on the
// real clock: its URL, and a function minting an access token bound to a certificate's
// x5t#S256.
func DocIssuer(tb testing.TB) (url string, certBound func(x5t string) string) {
	f := newIssuer(tb)
	f.clock.mu.Lock()
	f.clock.t = time.Now()
	f.clock.mu.Unlock()
	n := 0
	return f.url, func(x5t string) string {
		n++
		return f.accessTokenWith(func(c map[string]any) {
			c["cnf"] = map[string]any{"x5t#S256": x5t}
			c["jti"] = "at_doc_" + strconv.Itoa(n)
		})
	}
}

// DocClientCert is a fresh self-signed certificate and its x5t#S256, for the
// documentation's tests.
func DocClientCert(tb testing.TB, name string) (tls.Certificate, string) {
	c := newTestClientCert(tb, name)
	return c.tls, c.x5t
}
