package verify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-dev/gatehouse/sdk/conformance/vectors"
)

// TestDPoPConformanceVectors runs the vectors' DPoP cases: each on a new verifier (with
// RequireDPoP when the case says so), its requests in order through VerifyRequest.
func TestDPoPConformanceVectors(t *testing.T) {
	f, _ := loadVectors(t)
	if len(f.DPoPCases) == 0 {
		t.Fatal("the vectors have no DPoP cases")
	}
	for _, c := range f.DPoPCases {
		t.Run(c.Name, func(t *testing.T) {
			var extra []Option
			if c.RequireDPoP {
				extra = append(extra, RequireDPoP())
			}
			v, web := newVectorVerifier(t, f, c.Options, extra...)
			for i, rq := range c.Requests {
				p, err := v.VerifyRequest(vectorRequest(rq.Method, rq.URL, rq.Scheme, c.Token, rq.DPoP))
				switch {
				case rq.Expect.Valid && err != nil:
					t.Errorf("request %d: %v, want accepted", i, err)
				case rq.Expect.Valid && (p.DPoPThumbprint != rq.Expect.DPoPThumbprint || p.DPoPBound != (rq.Expect.DPoPThumbprint != "")):
					t.Errorf("request %d: thumbprint %q (bound %v), want %q", i, p.DPoPThumbprint, p.DPoPBound, rq.Expect.DPoPThumbprint)
				case !rq.Expect.Valid:
					checkRequestErr(t, i, p, err, rq.Expect.Error)
				}
			}
			checkFetched(t, f, web)
		})
	}
}

// newVectorVerifier is a new verifier of a request case (closed with the test) on the
// vectors' web, with the case's options and extra.
func newVectorVerifier(t *testing.T, f *vectors.File, o vectors.Options, extra ...Option) (*Verifier, *vectorWeb) {
	t.Helper()
	web := &vectorWeb{docs: f.Documents}
	v, err := New(context.Background(), f.Issuer, append(vectorOptions(t, f, o, web), extra...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(v.Close)
	return v, web
}

// vectorRequest is a request case's request: "Authorization: <scheme> <token>" and one
// DPoP header per proof.
func vectorRequest(method, url, scheme, token string, proofs []string) *http.Request {
	r := httptest.NewRequest(method, url, nil)
	r.Header.Set("Authorization", scheme+" "+token)
	for _, p := range proofs {
		r.Header.Add("DPoP", p)
	}
	return r
}

// requestErrs are the errors of the request cases' codes (dpop_cases, mtls_cases).
var requestErrs = func() map[string]error {
	errs := map[string]error{vectors.CodeDPoPProof: ErrDPoPProof, vectors.CodeDPoPBound: ErrDPoPBound, vectors.CodeCertBound: ErrCertBound}
	for code, err := range vectorErrs {
		errs[code] = err
	}
	return errs
}()

// checkRequestErr: request i was refused with the error of code want, and with no other
// code's error, and without a principal.
func checkRequestErr(t *testing.T, i int, p *Principal, err error, want string) {
	t.Helper()
	if !errors.Is(err, requestErrs[want]) {
		t.Errorf("request %d: %v, want %s", i, err, want)
	}
	if p != nil {
		t.Errorf("request %d: a principal with the error", i)
	}
	for code, other := range requestErrs {
		if code != want && errors.Is(err, other) {
			t.Errorf("request %d: %v is also %s; want only %s", i, err, code, want)
		}
	}
}

// checkFetched: the verifier fetched only what the vectors' README allows.
func checkFetched(t *testing.T, f *vectors.File, web *vectorWeb) {
	t.Helper()
	for _, u := range web.requested() {
		if !allowedURL(f, u) {
			t.Errorf("fetched %s", u)
		}
	}
}
