package signing_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/signing"
)

// memRing is a Ring in memory: the signer needs nothing else of a database.
type memRing struct {
	mu      sync.Mutex
	keys    []models.SigningKey
	revoked []int
	version int64
	down    bool
	audited []string // actors of the ring's changes
}

var errDown = errors.New("database unreachable")

func (r *memRing) RingKeys(context.Context) ([]models.SigningKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return nil, errDown
	}
	return append([]models.SigningKey(nil), r.keys...), nil
}

func (r *memRing) MaintainSigningKeysAs(_ context.Context, actor models.Actor, mk *models.MasterKeys, p models.RotationPolicy, _ bool) (models.RotationResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.keys) > 0 {
		return models.RotationResult{}, nil
	}
	now := time.Now()
	k, err := signing.NewKey(mk, p.Alg, models.KeyActive, now, now)
	if err != nil {
		return models.RotationResult{}, err
	}
	r.keys = append(r.keys, *k)
	r.audited = append(r.audited, actor.Label())
	return models.RotationResult{Created: []string{k.KID}}, nil
}

func (r *memRing) RewrapSigningKeys(context.Context, *models.MasterKeys) (int, error) { return 0, nil }

func (r *memRing) StatusListVersions(context.Context) (map[string]int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return nil, errDown
	}
	return map[string]int64{"sl_1": r.version}, nil
}

func (r *memRing) StatusListState(_ context.Context, id string) (int, int64, []int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.down {
		return 0, 0, nil, errDown
	}
	if id != "sl_1" {
		return 0, 0, nil, models.ErrNotFound
	}
	return 64, r.version, append([]int(nil), r.revoked...), nil
}

func newSigner(t *testing.T, ring *memRing, now func() time.Time) *signing.Signer {
	t.Helper()
	return newSignerAlg(t, ring, now, "ES256")
}

// newSignerAlg is a signer whose first key is of algorithm alg.
func newSignerAlg(t *testing.T, ring *memRing, now func() time.Time, alg string) *signing.Signer {
	t.Helper()
	mk, err := models.NewMasterKeys([][]byte{make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := signing.New(context.Background(), ring, now, models.SignerConfig{Issuer: "https://portal.example", MasterKeys: mk,
		Rotation: models.RotationPolicy{Alg: alg, Period: 90 * 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

// The signer creates its first key through the ring, on the schedule's behalf, and
// signs and verifies its own tokens with it.
func TestSignerOverARing(t *testing.T) {
	ring := &memRing{}
	sg := newSigner(t, ring, time.Now)
	if len(ring.keys) != 1 || sg.ActiveKID() != ring.keys[0].KID {
		t.Fatalf("active key %q, ring %v", sg.ActiveKID(), ring.keys)
	}
	if len(ring.audited) != 1 || ring.audited[0] != "system" {
		t.Errorf("first key created on behalf of %v, want the portal itself", ring.audited)
	}
	tok, kid, err := sg.Sign(models.TypAccessToken, jwt.Claims{Issuer: "https://portal.example", Subject: "prj_1"})
	if err != nil || kid != sg.ActiveKID() {
		t.Fatalf("Sign: %q, %v", kid, err)
	}
	var got jwt.Claims
	if err := sg.VerifyOwn(tok, models.TypAccessToken, &got); err != nil || got.Subject != "prj_1" {
		t.Errorf("VerifyOwn: %+v, %v", got, err)
	}
	if err := sg.VerifyOwn(tok, models.TypAPIKey, &got); err == nil {
		t.Error("an access token verified as an API key")
	}
	if body, etag := sg.JWKS(); len(body) == 0 || etag == "" {
		t.Error("no JWKS")
	}
}

// Status lists: a revocation the ring reports is in the signed list; while the ring
// cannot be read, the list is served from memory, with the bits this instance marked.
func TestStatusListsFromMemoryWhenTheRingIsDown(t *testing.T) {
	ring := &memRing{revoked: []int{3}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sg := newSigner(t, ring, clock)
	ctx := context.Background()
	for idx, want := range map[int]bool{3: true, 4: false} {
		if got, err := sg.Revoked(ctx, "sl_1", idx); err != nil || got != want {
			t.Errorf("Revoked(sl_1, %d) = %v, %v; want %v", idx, got, err, want)
		}
	}
	if _, _, err := sg.StatusListToken(ctx, "sl_2"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("unknown list: %v, want ErrNotFound", err)
	}
	ring.mu.Lock()
	ring.down = true
	ring.mu.Unlock()
	sg.MarkRevoked("sl_1", 4) // a revocation committed here just before the outage
	now = now.Add(time.Hour)  // past every freshness bound: the list must be re-signed
	tok, _, err := sg.StatusListToken(ctx, "sl_1")
	if err != nil || len(tok) == 0 {
		t.Fatalf("status list during the outage: %v", err)
	}
	if got, err := sg.Revoked(ctx, "sl_1", 4); err != nil || !got {
		t.Errorf("the bit marked before the outage: %v, %v; want revoked", got, err)
	}
	if sg.StatusListOutages() == 0 {
		t.Error("the outage was not counted")
	}
	var claims struct {
		IssuedAt int64 `json:"iat"`
	}
	if err := sg.VerifyOwn(string(tok), models.TypStatusList, &claims); err != nil || claims.IssuedAt != now.Unix() {
		t.Errorf("the list served in the outage was not re-signed now: iat %d, %v", claims.IssuedAt, err)
	}
}
