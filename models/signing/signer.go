package signing

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Signer signs the portal's tokens with the active signing key and serves the public
// side — the JWKS and the status lists — from memory. It reloads the ring when it
// changes, here or on another instance (Refresh polls the database).
type Signer struct {
	ring Ring
	now  func() time.Time
	cfg  models.SignerConfig

	// reloadMu makes Reloads take turns: the periodic Refresh and a rotation's reload
	// may run at once, and the one that read the older ring must not be installed last.
	reloadMu  sync.Mutex
	mu        sync.RWMutex
	ringSig   string // what the loaded ring looked like ("kid:state,…")
	activeKID string
	active    map[string]signFunc // by typ
	verifyKey map[string]jose.JSONWebKey
	jwks      []byte
	jwksETag  string
	pem       []byte
	pemETag   string

	lists statusListCache
	// outages counts status lists served from memory while the database was down.
	outages atomic.Int64
	// rebuilds and resigns count status lists read from the database and signed, and
	// re-signed from their bits in memory.
	rebuilds, resigns atomic.Int64
	// changes is where this instance is in the change log.
	changes changeCursor
	// rotations counts ring changes this instance made; published is the JWKS size.
	rotations atomic.Int64
	published atomic.Int64
}

// Rotations counts the changes to the signing-key ring this instance made.
func (s *Signer) Rotations() int64 { return s.rotations.Load() }

// PublishedKeys is how many keys the JWKS publishes (next, active and retired).
func (s *Signer) PublishedKeys() int64 { return s.published.Load() }

// Ring is what the signer reads and changes in the database: the signing keys and the
// status lists. The store implements it.
type Ring interface {
	// RingKeys reads every signing key, oldest first.
	RingKeys(ctx context.Context) ([]models.SigningKey, error)
	// MaintainSigningKeysAs moves the ring along its lifecycle on behalf of actor.
	MaintainSigningKeysAs(ctx context.Context, actor models.Actor, mk *models.MasterKeys, p models.RotationPolicy, force bool) (models.RotationResult, error)
	// RewrapSigningKeys re-encrypts private keys sealed under an older master key.
	RewrapSigningKeys(ctx context.Context, mk *models.MasterKeys) (int, error)
	// StatusListVersions reads every status list's version.
	StatusListVersions(ctx context.Context) (map[string]int64, error)
	// StatusListState reads a list's size, version and revoked indexes
	// (models.ErrNotFound for an unknown list).
	StatusListState(ctx context.Context, id string) (size int, version int64, revoked []int, err error)
}

// New builds the signer over ring and loads (creating on first start) the signing keys.
// now is the clock every time it signs or ages a list by.
func New(ctx context.Context, ring Ring, now func() time.Time, cfg models.SignerConfig) (*Signer, error) {
	if cfg.MasterKeys == nil {
		return nil, errors.New("signer: master keys are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.JWKSMaxAge == 0 {
		cfg.JWKSMaxAge = 5 * time.Minute
	}
	if cfg.Rotation.Lead < cfg.JWKSMaxAge {
		cfg.Rotation.Lead = 2 * cfg.JWKSMaxAge
	}
	if cfg.Rotation.Linger == 0 {
		cfg.Rotation.Linger = 25 * time.Hour // longer than the longest access token (24 h)
	}
	if cfg.StatusListTTL == 0 {
		cfg.StatusListTTL = time.Minute
	}
	if cfg.StatusListValidity == 0 {
		cfg.StatusListValidity = time.Hour
	}
	if cfg.StatusListValidity < 2*cfg.StatusListTTL {
		cfg.StatusListValidity = 2 * cfg.StatusListTTL
	}
	if cfg.KeyMaxLifetime == 0 {
		cfg.KeyMaxLifetime = 365 * 24 * time.Hour
	}
	s := &Signer{ring: ring, now: now, cfg: cfg}
	s.lists.entries = map[string]*statusListEntry{}
	if n, err := ring.RewrapSigningKeys(ctx, cfg.MasterKeys); err != nil {
		return nil, err
	} else if n > 0 {
		cfg.Logger.Info("re-encrypted signing keys under the current master key", "count", n)
	}
	if _, err := s.Maintain(ctx, false); err != nil && !errors.Is(err, models.ErrRotationConflict) {
		return nil, err
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Config returns the signer's configuration.
func (s *Signer) Config() models.SignerConfig { return s.cfg }

// Maintain runs one step of the rotation lifecycle (force starts a rotation now) and
// reloads the ring if it changed.
func (s *Signer) Maintain(ctx context.Context, force bool) (models.RotationResult, error) {
	return s.maintain(ctx, models.Actor{}, force)
}

// RotateNow starts a rotation at once on behalf of an operator (audited as theirs).
func (s *Signer) RotateNow(ctx context.Context, operator models.Actor) (models.RotationResult, error) {
	operator.Operator = true
	return s.maintain(ctx, operator, true)
}

func (s *Signer) maintain(ctx context.Context, actor models.Actor, force bool) (models.RotationResult, error) {
	res, err := s.ring.MaintainSigningKeysAs(ctx, actor, s.cfg.MasterKeys, s.cfg.Rotation, force)
	if err != nil {
		return res, err
	}
	if res.Changed() {
		s.rotations.Add(1)
		s.cfg.Logger.Info("signing keys rotated", "created", res.Created, "promoted", res.Promoted, "removed", res.Removed)
		if s.ringSig != "" { // not during construction
			return res, s.Reload(ctx)
		}
	}
	return res, nil
}

// Reload reads the ring from the database and rebuilds the signers and the JWKS when
// it differs from what is loaded.
func (s *Signer) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	keys, err := s.ring.RingKeys(ctx)
	if err != nil {
		return err
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k.KID + ":" + k.State
	}
	sig := strings.Join(parts, ",")
	s.mu.RLock()
	same := sig == s.ringSig
	s.mu.RUnlock()
	if same {
		return nil
	}

	var activeKey *models.SigningKey
	verify := map[string]jose.JSONWebKey{}
	order := map[string]int{models.KeyActive: 0, models.KeyNext: 1, models.KeyRetired: 2}
	sort.SliceStable(keys, func(i, j int) bool { return order[keys[i].State] < order[keys[j].State] })
	published := make([]jose.JSONWebKey, 0, len(keys))
	for i := range keys {
		jwk, err := keys[i].PublicKey()
		if err != nil {
			return fmt.Errorf("signing key %s: %w", keys[i].KID, err)
		}
		verify[keys[i].KID] = jwk
		published = append(published, jwk)
		if keys[i].State == models.KeyActive {
			activeKey = &keys[i]
		}
	}
	if activeKey == nil {
		return errors.New("no active signing key")
	}
	priv, err := activeKey.PrivateKey(s.cfg.MasterKeys)
	if err != nil {
		return err
	}
	signers, err := typSigners(priv, activeKey.Alg, activeKey.KID)
	if err != nil {
		return err
	}
	body, err := json.Marshal(jose.JSONWebKeySet{Keys: published})
	if err != nil {
		return err
	}
	pemBody, err := publicKeysPEM(keys)
	if err != nil {
		return err
	}

	s.mu.Lock()
	s.ringSig, s.activeKID, s.active, s.verifyKey = sig, activeKey.KID, signers, verify
	s.jwks, s.jwksETag = body, etagOf(body)
	s.pem, s.pemETag = pemBody, etagOf(pemBody)
	s.mu.Unlock()
	s.published.Store(int64(len(published)))
	// Status lists are signed by the active key: re-sign them on the next request.
	s.lists.invalidateAll()
	return nil
}

// JWKS returns the published key set (next, active and retired keys) and its ETag.
func (s *Signer) JWKS() ([]byte, string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.jwks, s.jwksETag
}

// PublicKeysPEM returns the published keys (the same set as JWKS) as PEM "PUBLIC KEY"
// blocks (PKIX), each after the comment lines "# kid: …", "# alg: …" and
// "# state: active|next|retired", and its ETag. The active key comes first, then the
// next key, then retired keys, the most recently retired first: a consumer that can
// hold only a few keys keeps those that signed last.
func (s *Signer) PublicKeysPEM() ([]byte, string) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.pem, s.pemETag
}

// publicKeysPEM renders the ring's public keys for PublicKeysPEM. Tools that read
// PEM (OpenSSL, and so HAProxy and nginx) skip the text before a BEGIN line, so the
// comments do not disturb them; most of them take only the first key of a file.
func publicKeysPEM(keys []models.SigningKey) ([]byte, error) {
	order := map[string]int{models.KeyActive: 0, models.KeyNext: 1, models.KeyRetired: 2}
	keys = slices.Clone(keys)
	retired := func(k *models.SigningKey) time.Time {
		if k.RetiredAt == nil {
			return time.Time{}
		}
		return *k.RetiredAt
	}
	sort.SliceStable(keys, func(i, j int) bool {
		if oi, oj := order[keys[i].State], order[keys[j].State]; oi != oj {
			return oi < oj
		}
		if ri, rj := retired(&keys[i]), retired(&keys[j]); !ri.Equal(rj) {
			return ri.After(rj)
		}
		return keys[i].CreatedAt.After(keys[j].CreatedAt)
	})
	var buf bytes.Buffer
	for i := range keys {
		k := &keys[i]
		jwk, err := k.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", k.KID, err)
		}
		der, err := x509.MarshalPKIXPublicKey(jwk.Key)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", k.KID, err)
		}
		if strings.ContainsAny(k.KID+k.Alg+k.State, "\r\n") {
			return nil, fmt.Errorf("signing key %q: a line break in its kid, alg or state", k.KID)
		}
		fmt.Fprintf(&buf, "# kid: %s\n# alg: %s\n# state: %s\n", k.KID, k.Alg, k.State)
		if err := pem.Encode(&buf, &pem.Block{Type: "PUBLIC KEY", Bytes: der}); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// etagOf is a strong ETag for a document served from memory.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// ActiveKID is the kid of the key that signs now.
func (s *Signer) ActiveKID() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.activeKID
}

// Sign signs claims as a compact JWS of type typ with the active key, returning the
// token and the kid that signed it.
func (s *Signer) Sign(typ string, claims any) (string, string, error) {
	s.mu.RLock()
	sign, kid := s.active[typ], s.activeKID
	s.mu.RUnlock()
	if sign == nil {
		return "", "", fmt.Errorf("no signer for %q", typ)
	}
	// The claims are marshalled with encoding/json and signed as the payload: the same
	// compact JWS as go-jose's JWT builder, without its slower JSON encoder.
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", "", err
	}
	tok, err := sign(payload)
	return tok, kid, err
}

// signFunc signs a payload as a compact JWS.
type signFunc func(payload []byte) (string, error)

// typSigners builds the active key's signers, one per type. API keys get their header
// members in a fixed order, typ first (orderedSigner), so that scanners recognise them;
// access tokens and status lists are go-jose's own.
func typSigners(priv crypto.Signer, alg, kid string) (map[string]signFunc, error) {
	ordered, err := newOrderedSigner(priv, alg, kid, models.TypAPIKey)
	if err != nil {
		return nil, err
	}
	signers := map[string]signFunc{models.TypAPIKey: ordered.sign}
	for _, typ := range []string{models.TypAccessToken, models.TypStatusList, models.TypStatusEvent, models.TypIDToken, models.TypTokenIntrospection} {
		js, err := jose.NewSigner(jose.SigningKey{
			Algorithm: jose.SignatureAlgorithm(alg),
			Key:       jose.JSONWebKey{Key: priv, KeyID: kid, Algorithm: alg},
		}, (&jose.SignerOptions{}).WithType(jose.ContentType(typ)))
		if err != nil {
			return nil, err
		}
		signers[typ] = func(payload []byte) (string, error) {
			obj, err := js.Sign(payload)
			if err != nil {
				return "", err
			}
			return obj.CompactSerialize()
		}
	}
	return signers, nil
}

// maxTokenLen bounds what the portal parses as one of its own tokens.
const maxTokenLen = 8 << 10

// VerifyOwn checks that raw is a compact JWS of type typ signed by one of the
// published keys (the algorithm comes from the key, never from the token) and decodes
// its claims into out. Issuer and expiry are the caller's to check.
func (s *Signer) VerifyOwn(raw, typ string, out any) error {
	if len(raw) > maxTokenLen || strings.Count(raw, ".") != 2 {
		return models.ErrBadToken
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return models.ErrBadToken
	}
	h := tok.Headers[0]
	if t, _ := h.ExtraHeaders[jose.HeaderType].(string); t != typ {
		return models.ErrBadToken
	}
	s.mu.RLock()
	key, ok := s.verifyKey[h.KeyID]
	s.mu.RUnlock()
	if !ok || key.Algorithm != h.Algorithm {
		return models.ErrBadToken
	}
	if err := tok.Claims(key.Key, out); err != nil {
		return models.ErrBadToken
	}
	return nil
}

// publicKeyFor returns the verification key for a kid (tests and introspection).
func (s *Signer) publicKeyFor(kid string) (crypto.PublicKey, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.verifyKey[kid]
	return k.Key, ok
}

// Refresh picks up what other instances changed: the signing-key ring and revocations
// in status lists. The process runs it every second (the signer.refresh job), which
// bounds how long another instance's revocation takes to show here.
func (s *Signer) Refresh(ctx context.Context) error {
	if err := s.Reload(ctx); err != nil {
		return err
	}
	if err := s.TailStatusChanges(ctx); err != nil {
		return err
	}
	return s.refreshListVersions(ctx)
}
