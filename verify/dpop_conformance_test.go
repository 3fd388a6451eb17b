package verify

import (
	"context"
	"errors"
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
	errs := map[string]error{vectors.CodeDPoPProof: ErrDPoPProof, vectors.CodeDPoPBound: ErrDPoPBound}
	for code, err := range vectorErrs {
		errs[code] = err
	}
	for _, c := range f.DPoPCases {
		t.Run(c.Name, func(t *testing.T) {
			web := &vectorWeb{docs: f.Documents}
			opts := vectorOptions(t, f, c.Options, web)
			if c.RequireDPoP {
				opts = append(opts, RequireDPoP())
			}
			v, err := New(context.Background(), f.Issuer, opts...)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer v.Close()
			for i, rq := range c.Requests {
				r := httptest.NewRequest(rq.Method, rq.URL, nil)
				r.Header.Set("Authorization", rq.Scheme+" "+c.Token)
				for _, p := range rq.DPoP {
					r.Header.Add("DPoP", p)
				}
				p, err := v.VerifyRequest(r)
				switch {
				case rq.Expect.Valid && err != nil:
					t.Errorf("request %d: %v, want accepted", i, err)
				case rq.Expect.Valid && (p.DPoPThumbprint != rq.Expect.DPoPThumbprint || p.DPoPBound != (rq.Expect.DPoPThumbprint != "")):
					t.Errorf("request %d: thumbprint %q (bound %v), want %q", i, p.DPoPThumbprint, p.DPoPBound, rq.Expect.DPoPThumbprint)
				case !rq.Expect.Valid && !errors.Is(err, errs[rq.Expect.Error]):
					t.Errorf("request %d: %v, want %s", i, err, rq.Expect.Error)
				case !rq.Expect.Valid && p != nil:
					t.Errorf("request %d: a principal with the error", i)
				}
				for code, other := range errs {
					if !rq.Expect.Valid && code != rq.Expect.Error && errors.Is(err, other) {
						t.Errorf("request %d: %v is also %s; want only %s", i, err, code, rq.Expect.Error)
					}
				}
			}
			for _, u := range web.requested() {
				if !allowedURL(f, u) {
					t.Errorf("fetched %s", u)
				}
			}
		})
	}
}
