package store_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// verifyWithJWKS checks a token the way any API would: with the published JWKS only.
func verifyWithJWKS(t *testing.T, sg *signing.Signer, token, wantTyp string, out any) string {
	t.Helper()
	raw, _ := sg.JWKS()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	h := tok.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != wantTyp {
		t.Errorf("typ = %q, want %q", typ, wantTyp)
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %s is not in the JWKS (%d matches)", h.KeyID, len(keys))
	}
	if err := tok.Claims(keys[0].Key, out); err != nil {
		t.Fatalf("signature: %v", err)
	}
	return h.KeyID
}

// statusBit reads bit idx of the status list at uri, verifying the list token.
func statusBit(t *testing.T, sg *signing.Signer, uri string, idx int) bool {
	t.Helper()
	id := uri[strings.LastIndex(uri, "/")+1:]
	tok, etag, err := sg.StatusListToken(context.Background(), id)
	if err != nil || etag == "" {
		t.Fatalf("status list %s: %v (etag %q)", id, err, etag)
	}
	var claims struct {
		jwt.Claims
		TTL        int `json:"ttl"`
		StatusList struct {
			Bits int    `json:"bits"`
			Lst  string `json:"lst"`
		} `json:"status_list"`
	}
	verifyWithJWKS(t, sg, string(tok), models.TypStatusList, &claims)
	if claims.Subject != uri || claims.StatusList.Bits != 1 || claims.TTL != 60 || claims.Expiry == nil {
		t.Errorf("status list claims: sub %q bits %d ttl %d exp %v; want sub %q, bits 1, ttl 60, an exp", claims.Subject,
			claims.StatusList.Bits, claims.TTL, claims.Expiry, uri)
	}
	if claims.IssuedAt == nil || claims.Expiry.Time().Sub(claims.IssuedAt.Time()) != sg.Config().StatusListValidity {
		t.Errorf("status list iat %v exp %v: want exp = iat + %s", claims.IssuedAt, claims.Expiry, sg.Config().StatusListValidity)
	}
	z, err := base64.RawURLEncoding.DecodeString(claims.StatusList.Lst)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	bits, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(bits) != models.StatusListSize/8 {
		t.Fatalf("list is %d bytes, want %d", len(bits), models.StatusListSize/8)
	}
	return bits[idx/8]&(1<<(idx%8)) != 0
}

// keyProject makes a team project holding grants on two APIs of the team: orders-api
// (orders:read orders:write) and billing-api (billing:read).
func keyProject(t *testing.T, s *store.Store, w *world) *testProject {
	t.Helper()
	ctx := context.Background()
	p, err := s.CreateProject(ctx, w.owner, w.team.ID, "Orders", "", "")
	if err != nil {
		t.Fatal(err)
	}
	api := grantedAPI(t, s, w.owner, p, "orders-api", "orders:read", "orders:write")
	grantedAPI(t, s, w.owner, p, "billing-api", "billing:read")
	return &testProject{Project: p, api: api.ID}
}

func TestAPIKeyRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sg := storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)

		k, token, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{
			Name: "ci", Scopes: []string{"orders:read"}, API: p.api, TTL: 30 * 24 * time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		var claims models.APIKeyClaims
		kid := verifyWithJWKS(t, sg, token, models.TypAPIKey, &claims)
		if kid != sg.ActiveKID() || kid != k.KID {
			t.Errorf("signed by %s, want the active key %s", kid, sg.ActiveKID())
		}
		want := map[string]any{"iss": storetest.TestIssuer, "sub": p.ID, "jti": k.ID, "scope": "orders:read", "team": w.team.ID}
		got := map[string]any{"iss": claims.Issuer, "sub": claims.Subject, "jti": claims.ID, "scope": claims.Scope, "team": claims.Team}
		for c := range want {
			if got[c] != want[c] {
				t.Errorf("claim %s = %v, want %v", c, got[c], want[c])
			}
		}
		if len(claims.Audience) != 1 || claims.Audience[0] != "orders-api" {
			t.Errorf("aud = %v, want [orders-api]", claims.Audience)
		}
		if d := claims.Expiry.Time().Sub(claims.IssuedAt.Time()); d != 30*24*time.Hour {
			t.Errorf("lifetime = %v, want 720h", d)
		}
		if claims.Status.StatusList.Idx != k.StatusIdx || !strings.HasPrefix(claims.Status.StatusList.URI, storetest.TestIssuer+"/statuslists/sl_") {
			t.Errorf("status = %+v, want idx %d and a list URI", claims.Status, k.StatusIdx)
		}
		var raw map[string]any
		parts := strings.Split(token, ".")
		// The payload must decode: otherwise the check below would pass on nothing.
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatalf("the key's payload: %v", err)
		}
		if err := json.Unmarshal(payload, &raw); err != nil {
			t.Fatalf("the key's payload: %v", err)
		}
		for _, personal := range []string{"email", "name", "created_by"} {
			if _, ok := raw[personal]; ok {
				t.Errorf("the key carries personal data claim %q", personal)
			}
		}
		if k.KeyHash == "" || strings.Contains(k.KeyHash, token) {
			t.Error("the key is stored, or its hash is missing")
		}

		if statusBit(t, sg, claims.Status.StatusList.URI, k.StatusIdx) {
			t.Fatal("a fresh key's status bit is set")
		}
		if err := s.RevokeAPIKey(ctx, w.developer, p.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		if !statusBit(t, sg, claims.Status.StatusList.URI, k.StatusIdx) {
			t.Error("the revoked key's status bit is not set")
		}
		if err := s.RevokeAPIKey(ctx, w.developer, p.ID, k.ID); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
	})
}

func TestAPIKeyBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		other, err := s.CreateProject(ctx, w.owner, w.team.ID, "Other", "", "")
		if err != nil {
			t.Fatalf("CreateProject: %v", err)
		}
		good := models.APIKeyInput{Name: "k", API: p.api, TTL: 24 * time.Hour}
		for name, in := range map[string]models.APIKeyInput{
			"UnknownScope":    {Name: "k", Scopes: []string{"admin"}, API: p.api, TTL: time.Hour},
			"UngrantedAPI":    {Name: "k", API: "api_" + strings.Repeat("a", 26), TTL: time.Hour},
			"NoAPI":           {Name: "k", TTL: time.Hour},
			"BeyondMaxExpiry": {Name: "k", API: p.api, TTL: 366 * 24 * time.Hour},
			"NoExpiry":        {Name: "k", API: p.api},
			"EmptyName":       {Name: " ", API: p.api, TTL: time.Hour},
		} {
			var ve *models.ValidationError
			if _, _, err := s.CreateAPIKey(ctx, w.owner, p.ID, in, ""); !errors.As(err, &ve) {
				t.Errorf("%s: err = %v, want a validation error", name, err)
			}
		}
		if keys, err := s.APIKeys(ctx, w.owner, p.ID); err != nil {
			t.Fatalf("APIKeys: %v", err)
		} else if len(keys) != 0 {
			t.Errorf("refused input created %d keys", len(keys))
		}
		if _, _, err := s.CreateAPIKey(ctx, w.viewer, p.ID, good, ""); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("viewer creates a key: %v, want ErrForbidden", err)
		}
		if _, _, err := s.CreateAPIKey(ctx, w.outsider, p.ID, good, ""); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider creates a key: %v, want ErrNotFound", err)
		}
		k, token, err := s.CreateAPIKey(ctx, w.developer, p.ID, good, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAPIKey(ctx, w.owner, other.ID, k.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("revoke through another project: %v, want ErrNotFound", err)
		}
		if err := s.RevokeAPIKey(ctx, w.outsider, p.ID, k.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider revokes: %v, want ErrNotFound", err)
		}

		// Revoke by value.
		for name, bad := range map[string]string{
			"Garbage": "not a jwt", "Empty": "", "Huge": strings.Repeat("a.", 50000),
			"Tampered": token[:len(token)-3] + "AAA",
			"Unsigned": strings.Join(strings.Split(token, ".")[:2], ".") + ".",
		} {
			if _, err := s.RevokeAPIKeyByValue(ctx, w.developer, p.ID, bad); !errors.Is(err, models.ErrNotThisProjectsKey) {
				t.Errorf("%s: err = %v, want ErrNotThisProjectsKey", name, err)
			}
		}
		if _, err := s.RevokeAPIKeyByValue(ctx, w.developer, other.ID, token); !errors.Is(err, models.ErrNotThisProjectsKey) {
			t.Errorf("pasting into another project: %v, want ErrNotThisProjectsKey", err)
		}
		if keys, err := s.APIKeys(ctx, w.owner, p.ID); err != nil {
			t.Fatalf("APIKeys: %v", err)
		} else if keys[0].RevokedAt != nil {
			t.Fatal("a refused revoke-by-value revoked the key")
		}
		got, err := s.RevokeAPIKeyByValue(ctx, w.developer, p.ID, "  "+token+"\n")
		if err != nil || got.ID != k.ID || got.RevokedAt == nil {
			t.Fatalf("revoke by value = %+v, %v", got, err)
		}
	})
}

func TestForeignJWTIsNotRevocable(t *testing.T) {
	s := storetest.SQLite(t)
	storetest.Signer(t, s)
	other := storetest.SQLite(t)
	otherSigner := storetest.Signer(t, other)
	w := newWorld(t, s)
	p := keyProject(t, s, w)
	foreign, _, err := otherSigner.Sign(models.TypAPIKey, jwt.Claims{Issuer: storetest.TestIssuer, Subject: p.ID, ID: "key_x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeAPIKeyByValue(context.Background(), w.owner, p.ID, foreign); !errors.Is(err, models.ErrNotThisProjectsKey) {
		t.Errorf("a JWT signed by another portal: %v, want ErrNotThisProjectsKey", err)
	}
}

func TestConcurrentIssuanceNeverSharesAnIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "c", API: p.api, TTL: time.Hour}, "")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent issuance: %v", err)
			}
		}
		keys, err := s.APIKeys(ctx, w.owner, p.ID)
		if err != nil {
			t.Fatalf("APIKeys: %v", err)
		}
		seen := map[string]bool{}
		for _, k := range keys {
			at := fmt.Sprintf("%s/%d", k.StatusListID, k.StatusIdx)
			if seen[at] {
				t.Fatalf("index %d of %s handed out twice", k.StatusIdx, k.StatusListID)
			}
			seen[at] = true
		}
		if len(keys) != n {
			t.Errorf("%d keys, want %d", len(keys), n)
		}
	})
}

func TestDeletingAProjectRevokesItsKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sg := storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		var uri string
		var idx []int
		for i := 0; i < 3; i++ {
			k, tok, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "k", API: p.api, TTL: time.Hour}, "")
			if err != nil {
				t.Fatal(err)
			}
			var c models.APIKeyClaims
			verifyWithJWKS(t, sg, tok, models.TypAPIKey, &c)
			uri = c.Status.StatusList.URI
			idx = append(idx, k.StatusIdx)
		}
		for _, i := range idx { // cache the signed list before the delete
			if statusBit(t, sg, uri, i) {
				t.Fatalf("bit %d set before anything was revoked", i)
			}
		}
		if err := s.DeleteProject(ctx, w.admin, p.ID); err != nil {
			t.Fatal(err)
		}
		if err := sg.Refresh(ctx); err != nil { // what the signer.refresh job does every poll
			t.Fatal(err)
		}
		for _, i := range idx {
			if !statusBit(t, sg, uri, i) {
				t.Errorf("bit %d not set after its project was deleted", i)
			}
		}
	})
}

// TestStatusListValidityIsConfigurable: a list's exp is its iat plus the configured
// validity (how long an offline verifier may rely on it), never less than twice the ttl.
func TestStatusListValidityIsConfigurable(t *testing.T) {
	s := storetest.SQLite(t)
	keys := storetest.MasterKeys(t)
	for _, c := range []struct{ ttl, validity, want time.Duration }{
		{time.Minute, 0, time.Hour},
		{10 * time.Second, 90 * time.Second, 90 * time.Second},
		{time.Minute, 30 * time.Second, 2 * time.Minute},
	} {
		sg, err := store.NewSigner(context.Background(), s, models.SignerConfig{
			Issuer: storetest.TestIssuer, MasterKeys: keys,
			Rotation:      models.RotationPolicy{Alg: "ES256", Period: 90 * 24 * time.Hour, Lead: 10 * time.Minute},
			StatusListTTL: c.ttl, StatusListValidity: c.validity,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := sg.Config().StatusListValidity; got != c.want {
			t.Errorf("ttl %s, validity %s: got %s, want %s", c.ttl, c.validity, got, c.want)
		}
	}
}
