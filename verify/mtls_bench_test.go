package verify

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkRequestCertBoundVsBearer interleaves, in one loop, VerifyRequest of a cached
// bearer access token (the yardstick), of the same kind of token bound to a client
// certificate presented on the TLS connection (one SHA-256 of the DER and a compare on
// top), and bound to one forwarded by a trusted proxy (the header's base64 decoded
// too), and reports each and their ratios, so that drift in the machine's speed
// affects all three alike.
func BenchmarkRequestCertBoundVsBearer(b *testing.B) {
	f := newIssuer(b)
	v := f.verifier(TrustedProxies("10.0.0.0/8"))
	c := newTestClientCert(b, "bench")
	cert, err := x509.ParseCertificate(c.der)
	if err != nil {
		b.Fatal(err)
	}
	bearer := benchRequest("Bearer "+f.accessToken(), "")
	bound := f.accessTokenWith(func(cl map[string]any) { cl["cnf"] = map[string]any{"x5t#S256": c.x5t}; cl["jti"] = "at_bench" })
	onTLS := benchRequest("Bearer "+bound, "")
	onTLS.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	viaProxy := httptest.NewRequest("GET", "https://api.example.com/orders", nil)
	viaProxy.Header.Set("Authorization", "Bearer "+bound)
	viaProxy.Header.Set("Client-Cert", ":"+base64.StdEncoding.EncodeToString(c.der)+":")
	viaProxy.RemoteAddr = "10.1.2.3:40000"
	if _, err := v.VerifyRequest(bearer); err != nil {
		b.Fatal(err)
	}
	if p, err := v.VerifyRequest(onTLS); err != nil || !p.CertBound {
		b.Fatal(err)
	}
	if _, err := v.VerifyRequest(viaProxy); err != nil {
		b.Fatal(err)
	}
	var bear, tlsd, proxy time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		_, err1 := v.VerifyRequest(bearer)
		t1 := time.Now()
		_, err2 := v.VerifyRequest(onTLS)
		t2 := time.Now()
		_, err3 := v.VerifyRequest(viaProxy)
		t3 := time.Now()
		if err1 != nil || err2 != nil || err3 != nil {
			b.Fatal(err1, err2, err3)
		}
		bear, tlsd, proxy = bear+t1.Sub(t0), tlsd+t2.Sub(t1), proxy+t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(bear.Nanoseconds())/n, "bearer-ns/op")
	b.ReportMetric(float64(tlsd.Nanoseconds())/n, "cert-tls-ns/op")
	b.ReportMetric(float64(proxy.Nanoseconds())/n, "cert-proxy-ns/op")
	b.ReportMetric(float64(tlsd)/float64(bear), "tls-x-bearer")
	b.ReportMetric(float64(proxy)/float64(bear), "proxy-x-bearer")
}
