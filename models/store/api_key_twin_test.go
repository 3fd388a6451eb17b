package store_test

import (
	"context"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// signatureTwin returns the other valid spelling of an ES256 token: (r, n−s) instead of
// (r, s). Every ECDSA verifier accepts both.
func signatureTwin(t testing.TB, token string) string {
	t.Helper()
	i := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("not an ES256 signature: %v (%d bytes)", err, len(sig))
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(elliptic.P256().Params().N, s)
	twin := make([]byte, 64)
	copy(twin, sig[:32])
	s.FillBytes(twin[32:])
	return token[:i+1] + base64.RawURLEncoding.EncodeToString(twin)
}

func TestSignatureTwinVerifies(t *testing.T) {
	s := storetest.SQLite(t)
	sg := storetest.Signer(t, s)
	w := newWorld(t, s)
	p := keyProject(t, s, w)
	_, token, err := s.CreateAPIKey(context.Background(), w.developer, p.ID, models.APIKeyInput{Name: "k", API: p.api, TTL: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	twin := signatureTwin(t, token)
	if twin == token {
		t.Fatal("the twin is the same token")
	}
	// The premise: the twin is a different string that any API accepts as the same key.
	var claims models.APIKeyClaims
	verifyWithJWKS(t, sg, twin, models.TypAPIKey, &claims)
}

// Both spellings of a key revoke it, by paste and at /oauth/revoke (SECURITY §53).
func TestSignatureTwinRevokesTheKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		newKey := func() (*models.APIKey, string) {
			k, token, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "k", API: p.api, TTL: time.Hour}, "")
			if err != nil {
				t.Fatal(err)
			}
			return k, token
		}
		k, token := newKey()
		got, err := s.RevokeAPIKeyByValue(ctx, w.developer, p.ID, signatureTwin(t, token))
		if err != nil {
			t.Fatalf("revoke by value with the twin: %v", err)
		}
		if got.ID != k.ID || got.RevokedAt == nil {
			t.Errorf("revoked %+v, want %s revoked", got, k.ID)
		}

		k2, token2 := newKey()
		pv, err := s.ProjectFor(ctx, w.owner, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		revoked, err := s.RevokeAsClient(ctx, &pv.Project, signatureTwin(t, token2))
		if err != nil || !revoked {
			t.Fatalf("RevokeAsClient(twin) = %v, %v; want the key revoked", revoked, err)
		}
		keys, err := s.APIKeys(ctx, w.owner, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, kk := range keys {
			if kk.ID == k2.ID && kk.RevokedAt == nil {
				t.Error("the twin sent to /oauth/revoke did not revoke the key")
			}
		}
	})
}

// Pasting another project's real key answers exactly like pasting a forgery, so the
// form cannot confirm that a key is real; the audit log says which it was.
func TestRevokeByValueIsNoOracle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		storetest.Signer(t, s)
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		other, err := s.CreateProject(ctx, w.owner, w.team.ID, "Other", "", "")
		if err != nil {
			t.Fatal(err)
		}
		_, token, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "k", API: p.api, TTL: time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		_, errReal := s.RevokeAPIKeyByValue(ctx, w.developer, other.ID, token)
		_, errForged := s.RevokeAPIKeyByValue(ctx, w.developer, other.ID, token[:len(token)-4]+"AAAA")
		if !errors.Is(errReal, models.ErrNotThisProjectsKey) || errReal != errForged {
			t.Errorf("another project's key: %v; a forgery: %v; want the same ErrNotThisProjectsKey", errReal, errForged)
		}
		events, _, err := s.AuditEvents(ctx, w.owner, w.team.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		var reasons []string
		for _, ev := range events {
			if ev.Action == "key.revoke_by_value_refused" && ev.ProjectID == other.ID {
				reasons = append(reasons, ev.Details)
			}
		}
		if len(reasons) != 2 || !strings.Contains(reasons[0]+reasons[1], "another project") || !strings.Contains(reasons[0]+reasons[1], "not a key signed by this portal") {
			t.Errorf("audit reasons = %q, want one for the other project's key and one for the forgery", reasons)
		}
		// A viewer learns nothing and nothing is written.
		before, _, err := s.AuditEvents(ctx, w.owner, w.team.ID, 1)
		if err != nil {
			t.Fatalf("AuditEvents: %v", err)
		}
		if _, err := s.RevokeAPIKeyByValue(ctx, w.viewer, other.ID, token); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("viewer pastes a key: %v, want ErrForbidden", err)
		}
		if after, _, err := s.AuditEvents(ctx, w.owner, w.team.ID, 1); err != nil {
			t.Fatalf("AuditEvents: %v", err)
		} else if len(after) != len(before) || after[0].ID != before[0].ID {
			t.Error("a viewer's refused paste wrote an audit event")
		}
	})
}
