package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/sdk/conformance/vectors"
)

// vectorsPath is the conformance vectors file every Gatehouse verifier runs
// (sdk/conformance/README.md).
const vectorsPath = "../sdk/conformance/vectors.json"

// vectorErrs maps the vectors' typed reasons to the package's errors.
var vectorErrs = map[string]error{
	vectors.CodeNoToken: ErrNoToken, vectors.CodeMalformed: ErrMalformed, vectors.CodeHeader: ErrHeader,
	vectors.CodeUnknownKey: ErrUnknownKey, vectors.CodeSignature: ErrSignature, vectors.CodeType: ErrType,
	vectors.CodeIssuer: ErrIssuer, vectors.CodeAudience: ErrAudience, vectors.CodeExpired: ErrExpired,
	vectors.CodeNotYetValid: ErrNotYetValid, vectors.CodeClaims: ErrClaims, vectors.CodeRevoked: ErrRevoked,
	vectors.CodeStatusUnavailable: ErrStatusUnavailable, vectors.CodeNotAllowed: ErrNotAllowed,
	vectors.CodeInsufficientScope: ErrInsufficientScope,
}

// loadVectors reads and strictly decodes the committed vectors file.
func loadVectors(t *testing.T) (*vectors.File, []byte) {
	t.Helper()
	raw, err := os.ReadFile(vectorsPath)
	if err != nil {
		t.Fatalf("%v (generate it with make vectors)", err)
	}
	f, err := vectors.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return f, raw
}

// vectorWeb is the whole web for one case: it answers from the file's documents (404
// for anything else) and records every URL asked for.
type vectorWeb struct {
	docs map[string]vectors.Document
	mu   sync.Mutex
	urls []string
}

func (w *vectorWeb) RoundTrip(r *http.Request) (*http.Response, error) {
	url := r.URL.String()
	w.mu.Lock()
	w.urls = append(w.urls, url)
	w.mu.Unlock()
	res := &http.Response{StatusCode: http.StatusNotFound, Status: "404 Not Found", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/plain"}}, Body: io.NopCloser(strings.NewReader("not found")), Request: r}
	if d, ok := w.docs[url]; ok {
		res.StatusCode, res.Status = d.Status, http.StatusText(d.Status)
		res.Header = http.Header{"Content-Type": {d.ContentType}, "Cache-Control": {"max-age=300"}}
		res.Body = io.NopCloser(strings.NewReader(d.Body))
		res.ContentLength = int64(len(d.Body))
	}
	return res, nil
}

// requested returns the URLs asked for so far.
func (w *vectorWeb) requested() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.urls)
}

// allowedURL is the harness rule of the README: a verifier asks for the metadata, the
// jwks_uri, and status lists named directly under the prefix, nothing else — in
// particular nothing outside the issuer (jku, x5u, a status uri on another host) and no
// path a hostile status uri smuggled in ("../x", "sl_1/x", "sl_1?x=1").
func allowedURL(f *vectors.File, url string) bool {
	if !strings.HasPrefix(url, f.Issuer+"/") {
		return false
	}
	if url == vectors.MetadataURL || url == vectors.JWKSURL {
		return true
	}
	name, ok := strings.CutPrefix(url, vectors.StatusListPrefix)
	return ok && name != "" && !strings.ContainsAny(name, `/?#\`)
}

// vectorOptions are the verifier options of a case, on a fixed clock and the case's web.
func vectorOptions(t *testing.T, f *vectors.File, o vectors.Options, web http.RoundTripper) []Option {
	t.Helper()
	now := time.Unix(f.Now, 0)
	opts := []Option{Audience(o.Audience), Clock(func() time.Time { return now }),
		HTTPClient(&http.Client{Transport: web, Timeout: 10 * time.Second}),
		Logger(slog.New(slog.NewTextHandler(io.Discard, nil)))}
	if o.Accept != nil {
		kinds := make([]Kind, len(o.Accept))
		for i, k := range o.Accept {
			kinds[i] = Kind(k)
		}
		opts = append(opts, Accept(kinds...))
	}
	if o.Algorithms != nil {
		opts = append(opts, Algorithms(o.Algorithms...))
	}
	if o.LeewaySeconds != nil {
		opts = append(opts, Leeway(time.Duration(*o.LeewaySeconds)*time.Second))
	}
	if o.Projects != nil {
		opts = append(opts, Projects(o.Projects...))
	}
	if o.Teams != nil {
		opts = append(opts, Teams(o.Teams...))
	}
	if o.FailOpen {
		opts = append(opts, FailOpen())
	}
	if o.ResourceMetadata != nil {
		opts = append(opts, ResourceMetadata(*o.ResourceMetadata))
	}
	return opts
}

// checkVectorOutcome compares one Verify answer with a case's expectation: the
// principal member by member, or exactly the expected reason and no other.
func checkVectorOutcome(t *testing.T, try string, want vectors.Expect, p *Principal, err error) {
	t.Helper()
	if want.Valid {
		if err != nil {
			t.Errorf("%s: got %s, want accepted", try, hxErrName(err))
			return
		}
		if p == nil {
			t.Errorf("%s: got nil principal, want one", try)
			return
		}
		w := want.Principal
		got := vectors.Principal{Kind: string(p.Kind), API: p.API, SubjectType: string(p.SubjectType), Subject: p.Subject,
			Project: p.Project, ServiceAccount: p.ServiceAccount, Team: p.Team, Scopes: p.Scopes, KeyID: p.KeyID,
			ACR: p.ACR, AMR: p.AMR}
		if !p.AuthTime.IsZero() {
			t := p.AuthTime.Unix()
			got.AuthTime = &t
		}
		if len(got.Scopes) == 0 && len(w.Scopes) == 0 {
			got.Scopes = w.Scopes // nil and [] are the same list
		}
		if len(got.AMR) == 0 && len(w.AMR) == 0 {
			got.AMR = w.AMR
		}
		for _, a := range p.Actors {
			got.Actors = append(got.Actors, vectors.Actor{Sub: a.Subject, SubType: string(a.SubjectType)})
		}
		if !reflect.DeepEqual(got, *w) {
			t.Errorf("%s: principal\n got %+v\nwant %+v", try, got, *w)
		}
		return
	}
	wantErr := vectorErrs[want.Error]
	if !errors.Is(err, wantErr) {
		t.Errorf("%s: got %s, want %s", try, hxErrName(err), want.Error)
	}
	for code, other := range vectorErrs {
		if code != want.Error && errors.Is(err, other) {
			t.Errorf("%s: got %v, which is also %s; want only %s", try, err, code, want.Error)
		}
	}
	if p != nil {
		t.Errorf("%s: got principal %+v with the error, want nil", try, p)
	}
}

// TestConformanceVectors runs sdk/conformance/vectors.json, the cases every Gatehouse
// verifier must answer alike (the hostile tokens of SECURITY.md §A and more): each case
// on a new verifier built with its options, on the file's clock, whose only web is the
// file's documents. A case fails on a wrong answer and on any request for a URL the
// README does not allow (outside the issuer, or not a document a verifier reads).
func TestConformanceVectors(t *testing.T) {
	f, _ := loadVectors(t)
	ctx := context.Background()
	for _, c := range f.Cases {
		t.Run(c.Name, func(t *testing.T) {
			v, web := vectorVerifier(t, f, c.Options)
			p, err := v.Verify(ctx, c.Token)
			checkVectorOutcome(t, "Verify", c.Expect, p, err)
			// The same answer again: a rejected credential is never remembered, and an
			// accepted one comes back from the cache after its re-checks.
			p, err = v.Verify(ctx, c.Token)
			checkVectorOutcome(t, "second Verify", c.Expect, p, err)
			if c.Require != nil && p != nil {
				checkStepUp(t, f, c, v, p)
			}
			if !c.Expect.Valid && c.Expect.Challenge != nil {
				checkChallenge(t, v, err, http.StatusUnauthorized, c.Expect.Challenge)
			}
			checkRequested(t, f, web)
		})
	}
}

// checkStepUp applies a case's step-up requirement to p on the file's clock, answers
// the error as the case's verifier does (WriteError), and compares the challenge's
// auth-params (all but error_description) with the case's.
func checkStepUp(t *testing.T, f *vectors.File, c vectors.Case, v *Verifier, p *Principal) {
	t.Helper()
	var err error
	if c.Require.MaxAgeSeconds != nil {
		err = p.CheckAuthTime(time.Unix(f.Now, 0), time.Duration(*c.Require.MaxAgeSeconds)*time.Second)
	} else {
		err = p.CheckACR(c.Require.ACRValues...)
	}
	if c.Expect.Challenge == nil {
		if err != nil {
			t.Errorf("require %s: %v, want met", asJSON(c.Require), err)
		}
		return
	}
	if !errors.Is(err, ErrInsufficientUserAuthentication) {
		t.Fatalf("require %s: %v, want ErrInsufficientUserAuthentication", asJSON(c.Require), err)
	}
	checkChallenge(t, v, err, http.StatusUnauthorized, c.Expect.Challenge)
}

// checkChallenge answers err as v does (WriteError) and compares the status and the
// challenge's auth-params (all but error_description) with want.
func checkChallenge(t *testing.T, v *Verifier, err error, status int, want map[string]string) {
	t.Helper()
	w := httptest.NewRecorder()
	v.WriteError(w, err)
	params := authParams(t, w.Header().Get("WWW-Authenticate"))
	delete(params, "error_description")
	if w.Code != status || !reflect.DeepEqual(params, want) {
		t.Errorf("answer to %v: %d %v, want %d %v", err, w.Code, params, status, want)
	}
}

// authParams parses `Bearer k="v", k="v"` (quoted values without escapes, as verify
// writes them).
func authParams(t *testing.T, h string) map[string]string {
	t.Helper()
	rest, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		t.Fatalf("challenge %q is not Bearer", h)
	}
	out := map[string]string{}
	for rest != "" {
		k, after, ok := strings.Cut(rest, `="`)
		v, tail, ok2 := strings.Cut(after, `"`)
		if !ok || !ok2 {
			t.Fatalf("challenge %q: cannot parse %q", h, rest)
		}
		out[k] = v
		rest = strings.TrimPrefix(tail, ", ")
	}
	return out
}

// asJSON is x as the vectors file spells it, for messages.
func asJSON(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// TestConformanceVectorsAreCurrent fails when the committed vectors are not what the
// generator builds today (run make vectors): same cases, in the same order, with the
// same options and expectations, and the same documents. Tokens and document bodies may
// differ (they are compared only for the log: signatures are deterministic today, but
// need not stay so).
func TestConformanceVectorsAreCurrent(t *testing.T) {
	// The generator's length checks use its own copies of the limits.
	if vectors.MaxTokenLen != MaxTokenLen || vectors.MaxDocument != maxDocument || vectors.MaxStatusBytes != maxStatusBytes {
		t.Fatalf("vectors limits (%d, %d, %d) differ from verify's (%d, %d, %d)", vectors.MaxTokenLen, vectors.MaxDocument,
			vectors.MaxStatusBytes, MaxTokenLen, maxDocument, maxStatusBytes)
	}
	committed, raw := loadVectors(t)
	fresh, err := vectors.Build()
	if err != nil {
		t.Fatal(err)
	}
	const stale = " (run make vectors and commit sdk/conformance/vectors.json)"
	if committed.Version != fresh.Version || committed.Issuer != fresh.Issuer || committed.Now != fresh.Now {
		t.Errorf("version, issuer, now: got %d %s %d, want %d %s %d"+stale, committed.Version, committed.Issuer, committed.Now,
			fresh.Version, fresh.Issuer, fresh.Now)
	}
	for url, d := range fresh.Documents {
		got, ok := committed.Documents[url]
		if !ok || got.Status != d.Status || got.ContentType != d.ContentType {
			t.Errorf("document %s: got %+v (present %v), want status %d %s"+stale, url, got, ok, d.Status, d.ContentType)
		}
	}
	for url := range committed.Documents {
		if _, ok := fresh.Documents[url]; !ok {
			t.Errorf("document %s is no longer built"+stale, url)
		}
	}
	for i := 0; i < max(len(committed.Cases), len(fresh.Cases)); i++ {
		switch {
		case i >= len(committed.Cases):
			t.Errorf("case %d %q is missing from the file"+stale, i, fresh.Cases[i].Name)
		case i >= len(fresh.Cases):
			t.Errorf("case %d %q is no longer built"+stale, i, committed.Cases[i].Name)
		default:
			got, want := committed.Cases[i], fresh.Cases[i]
			if got.Name != want.Name || !reflect.DeepEqual(got.Options, want.Options) || !reflect.DeepEqual(got.Expect, want.Expect) ||
				!reflect.DeepEqual(got.Require, want.Require) {
				t.Errorf("case %d:\n got %q %s %s\nwant %q %s %s"+stale, i, got.Name, asJSON(got.Options), asJSON(got.Expect),
					want.Name, asJSON(want.Options), asJSON(want.Expect))
			}
		}
	}
	// The feed cases: the same names, options and expectations, in the same order.
	type feedShape struct {
		Name        string
		Options     vectors.Options
		Events      int
		Checks      []vectors.Expect
		Rejected    int
		LastEventID *string
	}
	shape := func(cs []vectors.FeedCase) []feedShape {
		var out []feedShape
		for _, c := range cs {
			fs := feedShape{Name: c.Name, Options: c.Options, Events: len(c.Events), Rejected: c.Rejected, LastEventID: c.LastEventID}
			for _, k := range c.Checks {
				fs.Checks = append(fs.Checks, k.Expect)
			}
			out = append(out, fs)
		}
		return out
	}
	if got, want := shape(committed.FeedCases), shape(fresh.FeedCases); !reflect.DeepEqual(got, want) {
		t.Errorf("feed cases:\n got %s\nwant %s"+stale, asJSON(got), asJSON(want))
	}
	if enc, err := fresh.Encode(); err != nil {
		t.Error(err)
	} else if !bytes.Equal(enc, raw) {
		t.Logf("the committed file's tokens or bodies differ from a fresh build's (allowed; make vectors makes them equal)")
	}
}

// TestConformanceFeedVectors runs the file's feed_cases: a verifier (no subscription:
// the file's metadata offers no feed) that holds the primed lists receives the events
// as its feed connection would hand them over, then answers the checks. A rejected
// event must change nothing, a genuine one set its bit, and none may clear one.
func TestConformanceFeedVectors(t *testing.T) {
	f, _ := loadVectors(t)
	ctx := context.Background()
	if len(f.FeedCases) == 0 {
		t.Fatal("the vectors have no feed cases")
	}
	for _, c := range f.FeedCases {
		t.Run(c.Name, func(t *testing.T) {
			v, web := vectorVerifier(t, f, c.Options)
			for _, tok := range c.Prime {
				if _, err := v.Verify(ctx, tok); err != nil {
					t.Fatalf("prime: %v", err)
				}
			}
			for _, e := range c.Events {
				if !v.dispatch(ctx, e.ID, e.Event, e.Data) {
					t.Fatalf("event %s of type %q was not taken for an event", e.ID, e.Event)
				}
			}
			for i, k := range c.Checks {
				p, err := v.Verify(ctx, k.Token)
				checkVectorOutcome(t, fmt.Sprintf("check %d", i), k.Expect, p, err)
			}
			st := v.Stats().Feed
			if st.Rejected != int64(c.Rejected) {
				t.Errorf("rejected %d events, want %d", st.Rejected, c.Rejected)
			}
			if c.LastEventID != nil {
				got := ""
				if st.LastEventID > 0 {
					got = strconv.FormatInt(st.LastEventID, 10)
				}
				if got != *c.LastEventID {
					t.Errorf("Last-Event-ID %q, want %q", got, *c.LastEventID)
				}
			}
			checkRequested(t, f, web)
		})
	}
}

// vectorVerifier is a new verifier for one case, on the file's clock, whose only web is
// the file's documents; it is closed at the end of the test.
func vectorVerifier(t *testing.T, f *vectors.File, o vectors.Options) (*Verifier, *vectorWeb) {
	t.Helper()
	web := &vectorWeb{docs: f.Documents}
	v, err := New(context.Background(), f.Issuer, vectorOptions(t, f, o, web)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(v.Close)
	return v, web
}

// checkRequested fails the test for every URL the verifier asked for that the README
// does not allow.
func checkRequested(t *testing.T, f *vectors.File, web *vectorWeb) {
	t.Helper()
	for _, u := range web.requested() {
		if !allowedURL(f, u) {
			t.Errorf("requested %q: a verifier must never ask for it", u)
		}
	}
}
