package store_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

func jwksKIDs(t *testing.T, sg *signing.Signer) []string {
	t.Helper()
	raw, _ := sg.JWKS()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" || k.Algorithm == "" {
			t.Errorf("JWKS key %s: public=%v use=%q alg=%q; want a public signing key with its alg", k.KeyID, k.IsPublic(), k.Use, k.Algorithm)
		}
		kids = append(kids, k.KeyID)
	}
	return kids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRotationLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		policy := models.RotationPolicy{Alg: "ES256", Period: 30 * 24 * time.Hour, Lead: 10 * time.Minute, Linger: 25 * time.Hour}
		sg, err := store.NewSigner(ctx, s, models.SignerConfig{Issuer: storetest.TestIssuer, MasterKeys: storetest.MasterKeys(t),
			Rotation: policy, KeyMaxLifetime: 60 * 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		first := sg.ActiveKID()
		if kids := jwksKIDs(t, sg); len(kids) != 1 || kids[0] != first {
			t.Fatalf("first start: JWKS %v, want only the active key %s", kids, first)
		}
		w := newWorld(t, s)
		p := keyProject(t, s, w)
		_, oldToken, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "old", API: p.api, TTL: 40 * 24 * time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}

		// Not yet due: nothing happens.
		now = now.Add(policy.Period - policy.Lead - time.Minute)
		if res, err := sg.Maintain(ctx, false); err != nil || res.Changed() {
			t.Fatalf("early maintenance: %+v, %v; want no change", res, err)
		}
		// Due within the lead: a next key is published but does not sign.
		now = now.Add(2 * time.Minute)
		res, err := sg.Maintain(ctx, false)
		if err != nil || len(res.Created) != 1 {
			t.Fatalf("maintenance at due-lead: %+v, %v; want a next key", res, err)
		}
		next := res.Created[0]
		if kids := jwksKIDs(t, sg); !contains(kids, next) || !contains(kids, first) {
			t.Errorf("JWKS %v, want the active and the next key", kids)
		}
		var c models.APIKeyClaims
		_, tok, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "mid", API: p.api, TTL: time.Hour}, "")
		if err != nil {
			t.Fatalf("CreateAPIKey: %v", err)
		}
		if kid := verifyWithJWKS(t, sg, tok, models.TypAPIKey, &c); kid != first {
			t.Errorf("a key issued before the next key's activation was signed by %s, want %s (next never signs early)", kid, first)
		}
		// At the due time the next key becomes active; the old one is retired, still published.
		now = now.Add(policy.Lead)
		if res, err := sg.Maintain(ctx, false); err != nil || len(res.Promoted) != 1 || res.Promoted[0] != next {
			t.Fatalf("maintenance at due: %+v, %v; want %s promoted", res, err, next)
		}
		if sg.ActiveKID() != next {
			t.Errorf("active = %s, want %s", sg.ActiveKID(), next)
		}
		if kid := verifyWithJWKS(t, sg, oldToken, models.TypAPIKey, &c); kid != first {
			t.Errorf("old token kid %s", kid)
		}
		keys, err := s.SigningKeys(ctx)
		if err != nil {
			t.Fatalf("SigningKeys: %v", err)
		}
		states := map[string]string{}
		for _, k := range keys {
			states[k.KID] = k.State
		}
		if states[first] != models.KeyRetired || states[next] != models.KeyActive {
			t.Errorf("states = %v, want %s retired and %s active", states, first, next)
		}
		// The retired key stays while a key it signed is live…
		now = now.Add(30 * time.Hour)
		if _, err := sg.Maintain(ctx, false); err != nil {
			t.Fatal(err)
		}
		if !contains(jwksKIDs(t, sg), first) {
			t.Fatal("the retired key left the JWKS while a key it signed is still valid")
		}
		// …and goes once everything it signed has expired.
		now = now.Add(41 * 24 * time.Hour)
		// Keep the current active key from rotating away in the same step for clarity.
		res, err = sg.Maintain(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if !contains(res.Removed, first) || contains(jwksKIDs(t, sg), first) {
			t.Errorf("the retired key was not removed after everything it signed expired: %+v", res)
		}
	})
}

func TestAlgorithmChangeRotates(t *testing.T) {
	s := storetest.SQLite(t)
	ctx := context.Background()
	mk := storetest.MasterKeys(t)
	cfg := models.SignerConfig{Issuer: storetest.TestIssuer, MasterKeys: mk,
		Rotation: models.RotationPolicy{Alg: "ES256", Period: 90 * 24 * time.Hour, Lead: 10 * time.Minute}}
	if _, err := store.NewSigner(ctx, s, cfg); err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"EdDSA", "RS256"} {
		cfg.Rotation.Alg = alg
		sg, err := store.NewSigner(ctx, s, cfg)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC().Add(11 * time.Minute)
		s.SetClock(func() time.Time { return now })
		if _, err := sg.Maintain(ctx, false); err != nil {
			t.Fatal(err)
		}
		tok, kid, err := sg.Sign(models.TypAccessToken, map[string]any{"sub": "x"})
		if err != nil {
			t.Fatal(err)
		}
		header, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		if err != nil {
			t.Fatalf("after switching to %s: the token's header: %v", alg, err)
		}
		var h struct{ Alg, Kid, Typ string }
		if err := json.Unmarshal(header, &h); err != nil {
			t.Fatalf("after switching to %s: the token's header: %v", alg, err)
		}
		if h.Alg != alg || h.Kid != kid || h.Typ != models.TypAccessToken {
			t.Errorf("after switching to %s: header %+v", alg, h)
		}
		s.SetClock(func() time.Time { return time.Now().UTC() })
	}
}

func TestConcurrentRotationsKeepOneActive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a := storetest.Signer(t, s)
		for round := 0; round < 3; round++ {
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = a.Maintain(ctx, true)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil && !errors.Is(err, models.ErrRotationConflict) {
					t.Fatalf("concurrent rotation: %v, want success or ErrRotationConflict", err)
				}
			}
			keys, err := s.SigningKeys(ctx)
			if err != nil {
				t.Fatalf("SigningKeys: %v", err)
			}
			count := map[string]int{}
			for _, k := range keys {
				count[k.State]++
			}
			if count[models.KeyActive] != 1 || count[models.KeyNext] > 1 {
				t.Fatalf("round %d: %v; want exactly 1 active and at most 1 next", round, count)
			}
		}
	})
}

func TestMasterKeyRotation(t *testing.T) {
	s := storetest.SQLite(t)
	ctx := context.Background()
	newKey := func() []byte { k := make([]byte, 32); _, _ = rand.Read(k); return k }
	oldK, newK := newKey(), newKey()
	cfg := func(keys ...[]byte) models.SignerConfig {
		mk, err := models.NewMasterKeys(keys)
		if err != nil {
			t.Fatal(err)
		}
		return models.SignerConfig{Issuer: storetest.TestIssuer, MasterKeys: mk,
			Rotation: models.RotationPolicy{Alg: "ES256", Period: 90 * 24 * time.Hour, Lead: 10 * time.Minute}}
	}
	sg, err := store.NewSigner(ctx, s, cfg(oldK))
	if err != nil {
		t.Fatal(err)
	}
	kid := sg.ActiveKID()
	// Starting with "new,old" re-encrypts under new…
	if _, err := store.NewSigner(ctx, s, cfg(newK, oldK)); err != nil {
		t.Fatal(err)
	}
	// …so that new alone decrypts, and old alone no longer does.
	sg, err = store.NewSigner(ctx, s, cfg(newK))
	if err != nil {
		t.Fatalf("after rotation the new master key alone fails: %v", err)
	}
	if sg.ActiveKID() != kid {
		t.Errorf("the signing key changed during master-key rotation")
	}
	if _, err := store.NewSigner(ctx, s, cfg(oldK)); !errors.Is(err, models.ErrNoMasterKey) {
		t.Errorf("the old master key still decrypts after rotation: %v", err)
	}
	if _, err := store.NewSigner(ctx, s, cfg(newKey())); !errors.Is(err, models.ErrNoMasterKey) {
		t.Errorf("a wrong master key: %v, want ErrNoMasterKey", err)
	}
}

func TestMasterKeysSealOpen(t *testing.T) {
	mk := storetest.MasterKeys(t)
	sealed := mk.Seal([]byte("private"), []byte("kid-1"))
	if got, err := mk.Open(sealed, []byte("kid-1")); err != nil || string(got) != "private" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := mk.Open(sealed, []byte("kid-2")); err == nil {
		t.Error("a ciphertext opened under another row's AAD")
	}
	b := []byte(sealed)
	b[len(b)-2] ^= 1
	if _, err := mk.Open(string(b), []byte("kid-1")); err == nil {
		t.Error("a tampered ciphertext opened")
	}
	for _, bad := range []string{"", "v1.", "v2.abc", "v1.!!!!"} {
		if _, err := mk.Open(bad, nil); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

func TestDatabaseDumpHoldsNoKeyMaterial(t *testing.T) {
	s := storetest.SQLite(t)
	ctx := context.Background()
	sg := storetest.Signer(t, s)
	if _, err := sg.Maintain(ctx, true); err != nil { // a next key too
		t.Fatal(err)
	}
	w := newWorld(t, s)
	p := keyProject(t, s, w)
	_, token, err := s.CreateAPIKey(ctx, w.developer, p.ID, models.APIKeyInput{Name: "k", API: p.api, TTL: time.Hour}, "")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := s.CreateClientSecret(ctx, w.owner, p.ID, "s", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	dump := storetest.Dump(t, s)
	for name, needle := range map[string]string{
		"API key": token, "API key signature": token[strings.LastIndex(token, ".")+1:], "client secret": secret,
		`private JWK member "d"`: `"d":`, "PEM": "PRIVATE KEY",
	} {
		if strings.Contains(dump, needle) {
			t.Errorf("the database dump contains the %s", name)
		}
	}
	if !strings.Contains(dump, `"kty":"EC"`) {
		t.Error("the dump has no public JWK at all: the check above looks at the wrong data")
	}
}
