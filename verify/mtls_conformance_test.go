package verify

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/sdk/conformance/vectors"
)

// TestMTLSConformanceVectors runs the vectors' mTLS cases: each on a new verifier with
// the case's TrustedProxies and ClientCertHeader, its requests in order through
// VerifyRequest, and each refusal through WriteError for the challenge's scheme.
func TestMTLSConformanceVectors(t *testing.T) {
	f, _ := loadVectors(t)
	if len(f.MTLSCases) == 0 {
		t.Fatal("the vectors have no mTLS cases")
	}
	for _, c := range f.MTLSCases {
		t.Run(c.Name, func(t *testing.T) {
			extra := []Option{TrustedProxies(c.TrustedProxies...)}
			if c.ClientCertHeader != "" {
				extra = append(extra, ClientCertHeader(c.ClientCertHeader))
			}
			v, web := newVectorVerifier(t, f, c.Options, extra...)
			for i, rq := range c.Requests {
				r := vectorRequest(rq.Method, rq.URL, rq.Scheme, c.Token, rq.DPoP)
				r.RemoteAddr = net.JoinHostPort(rq.RemoteAddr, "40000")
				for name, value := range rq.Headers {
					r.Header.Set(name, value)
				}
				r.TLS = nil
				if rq.TLSClientCert != "" {
					der, err := base64.StdEncoding.DecodeString(rq.TLSClientCert)
					if err != nil {
						t.Fatal(err)
					}
					cert, err := x509.ParseCertificate(der)
					if err != nil {
						t.Fatal(err)
					}
					r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
				}
				p, err := v.VerifyRequest(r)
				switch {
				case rq.Expect.Valid && err != nil:
					t.Errorf("request %d: %v, want accepted", i, err)
				case rq.Expect.Valid && (p.CertThumbprint != rq.Expect.CertThumbprint || p.CertBound != (rq.Expect.CertThumbprint != "") ||
					p.DPoPThumbprint != rq.Expect.DPoPThumbprint):
					t.Errorf("request %d: cert %q (bound %v), jkt %q; want %q, %q", i, p.CertThumbprint, p.CertBound, p.DPoPThumbprint,
						rq.Expect.CertThumbprint, rq.Expect.DPoPThumbprint)
				}
				if rq.Expect.Valid {
					continue
				}
				checkRequestErr(t, i, p, err, rq.Expect.Error)
				w := httptest.NewRecorder()
				v.WriteError(w, err)
				challenge := w.Header().Get("WWW-Authenticate")
				if w.Code != http.StatusUnauthorized || !strings.HasPrefix(challenge, rq.Expect.ChallengeScheme+" ") ||
					!strings.Contains(challenge, `error="invalid_`) {
					t.Errorf("request %d: answered %d %q, want 401 with a %s challenge", i, w.Code, challenge, rq.Expect.ChallengeScheme)
				}
			}
			checkFetched(t, f, web)
		})
	}
}

// TestMTLSVectorsAreCurrent: the committed mTLS cases are the ones a fresh build makes
// (names, options and expectations; the tokens may differ in their signatures).
func TestMTLSVectorsAreCurrent(t *testing.T) {
	committed, _ := loadVectors(t)
	fresh, err := vectors.Build()
	if err != nil {
		t.Fatal(err)
	}
	if len(committed.MTLSCases) != len(fresh.MTLSCases) {
		t.Fatalf("%d mTLS cases in the file, %d built (run make vectors and commit sdk/conformance/vectors.json)",
			len(committed.MTLSCases), len(fresh.MTLSCases))
	}
	for i, want := range fresh.MTLSCases {
		got := committed.MTLSCases[i]
		if got.Name != want.Name || !reflect.DeepEqual(got.Options, want.Options) || !reflect.DeepEqual(got.TrustedProxies, want.TrustedProxies) ||
			got.ClientCertHeader != want.ClientCertHeader || len(got.Requests) != len(want.Requests) {
			t.Errorf("mTLS case %d: got %q, want %q (run make vectors)", i, got.Name, want.Name)
			continue
		}
		for j := range want.Requests {
			g, w := got.Requests[j], want.Requests[j]
			g.DPoP, w.DPoP = nil, nil // proofs are signed anew
			if !reflect.DeepEqual(g, w) {
				t.Errorf("mTLS case %q request %d differs from a fresh build (run make vectors)", want.Name, j)
			}
		}
	}
}
