package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/verify/jsonstrict"
)

const (
	assertionLeeway = 30 * time.Second
)

// assertionHeader holds what the header may carry, and what it must not.
type assertionHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	JWK  json.RawMessage `json:"jwk"`
	JKU  json.RawMessage `json:"jku"`
	X5U  json.RawMessage `json:"x5u"`
	X5C  json.RawMessage `json:"x5c"`
	Crit json.RawMessage `json:"crit"`
	B64  json.RawMessage `json:"b64"`
	Enc  json.RawMessage `json:"enc"`
	Zip  json.RawMessage `json:"zip"`
}

// assertionHeaderNames are assertionHeader's JSON names. encoding/json matches names
// case-insensitively and keeps the last of duplicates, so a header is first checked
// with jsonstrict: a duplicate member or a case variant of one of these names ("ALG",
// "Kid") makes it malformed.
var assertionHeaderNames = jsonstrict.NewNames("alg", "kid", "jwk", "jku", "x5u", "x5c", "crit", "b64", "enc", "zip")

// VerifyAssertion checks a JWT a project's client signed with one of its registered keys:
// a bounded compact JWS with an allowed algorithm and no embedded keys, key URLs or crit;
// a header and claims without duplicate members or case variants of the names read;
// iss = sub = the client_id (= expectClient when given); aud naming one of audiences (the
// token endpoint or the issuer); exp within MaxAssertionLifetime; jti used once until it
// expires (recorded in the database, shared by instances). It returns the project.
func (s *Store) VerifyAssertion(ctx context.Context, assertion, expectClient string, audiences []string, purpose models.AssertionPurpose) (*models.Project, error) {
	fail := assertionFailure(purpose)
	h, c, err := parseAssertion(assertion, fail)
	if err != nil {
		return nil, err
	}
	if c.Iss == "" || c.Iss != c.Sub || !models.HasPrefixID(c.Iss, "prj") || (expectClient != "" && c.Iss != expectClient) {
		return nil, fail("the assertion's iss and sub must both be the client_id")
	}
	// An unknown client, a client that has private_key_jwt off and a wrong signature get
	// one answer, so the endpoint confirms nothing about a client_id; the client's audit
	// log records the attempt at a method it has turned off.
	p, err := s.clientByID(ctx, c.Iss)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fail(notRegistered)
	}
	if !p.AcceptsAuth(models.AuthPrivateKeyJWT) {
		if err := s.tx(ctx, func(tx *gorm.DB) error {
			return s.audit(tx, models.AnonymousCaller(ctx), event{team: p.TeamID, project: p.ID, action: "client.auth_refused",
				targetType: "project", targetID: p.ID, target: p.Name,
				details: map[string]any{"reason": "a private_key_jwt assertion, but the project does not accept private_key_jwt"}})
		}); err != nil {
			return nil, err
		}
		return nil, fail(notRegistered)
	}
	var keys []models.ClientKey
	if err := s.db.WithContext(ctx).Where("project_id = ?", p.ID).Find(&keys).Error; err != nil {
		return nil, err
	}
	keyID, err := s.checkAssertionSignature(ctx, keys, assertion, h)
	if err != nil {
		return nil, fail(notRegistered)
	}
	if err := s.acceptAssertionClaims(ctx, c, p.ID, audiences, fail); err != nil {
		return nil, err
	}
	s.markUsed("client_keys", "id", keyID, s.now())
	return p, nil
}

// notRegistered is the one answer to an assertion no registered key verifies.
const notRegistered = "the assertion is not signed by a key registered for this client"

// assertionFailure builds the error an assertion fails with: invalid_grant when it is
// the grant, invalid_client when it authenticates the client.
func assertionFailure(purpose models.AssertionPurpose) func(string) error {
	return func(desc string) error {
		if purpose == models.ForGrant {
			return oauthErr(models.ErrCodeInvalidGrant, desc)
		}
		return oauthErr(models.ErrCodeInvalidClient, desc)
	}
}

// parseAssertion reads an assertion's header and claims, unverified: a bounded compact
// JWS whose header carries no keys, key URLs, crit or encryption and names an allowed
// algorithm, with header and claims free of duplicates and case variants.
func parseAssertion(assertion string, fail func(string) error) (assertionHeader, *models.AssertionClaims, error) {
	var h assertionHeader
	parts := strings.Split(assertion, ".")
	if len(assertion) > models.MaxAssertionLen || len(parts) != 3 {
		return h, nil, fail("the assertion is not a compact JWS of at most 8 KiB")
	}
	h, err := parseSignedHeader(parts[0], "the assertion")
	if err != nil {
		return h, nil, fail(err.Error())
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c models.AssertionClaims
	if err != nil || models.DecodeStrict(pb, models.AssertionClaimNames, &c) != nil {
		return h, nil, fail("the assertion's claims are malformed")
	}
	return h, &c, nil
}

// parseSignedHeader reads the header of a JWS someone else signed (what names it in
// errors): without duplicate members or case variants, without embedded keys, key
// URLs, crit or encryption, and with an allowed algorithm.
func parseSignedHeader(part, what string) (assertionHeader, error) {
	var h assertionHeader
	hb, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil || models.DecodeStrict(hb, assertionHeaderNames, &h) != nil {
		return h, errors.New(what + "'s header is malformed")
	}
	if h.JWK != nil || h.JKU != nil || h.X5U != nil || h.X5C != nil || h.Crit != nil || h.B64 != nil || h.Enc != nil || h.Zip != nil {
		return h, errors.New(what + "'s header carries keys, key URLs, crit or encryption, which are not accepted")
	}
	if !slices.Contains(models.ClientAssertionAlgs, h.Alg) {
		return h, errors.New(what + "'s algorithm is not one of " + strings.Join(models.ClientAssertionAlgs, ", "))
	}
	return h, nil
}

// acceptAssertionClaims checks a signature-verified assertion's claims — aud, a short
// exp, nbf, iat and a jti — and records the jti as used by clientID (one use, shared by
// instances). Signature first, claims second: a forged expired assertion is reported as
// forged.
func (s *Store) acceptAssertionClaims(ctx context.Context, c *models.AssertionClaims, clientID string, audiences []string, fail func(string) error) error {
	now := s.now()
	switch {
	case !audienceIncludes(c.Aud, audiences):
		return fail("the assertion's aud must be the token endpoint or the issuer")
	case c.Exp == nil || !validTime(*c.Exp):
		return fail("the assertion has no valid exp")
	case !now.Before(unixTime(*c.Exp).Add(assertionLeeway)):
		return fail("the assertion has expired")
	case unixTime(*c.Exp).Sub(now) > models.MaxAssertionLifetime+assertionLeeway:
		return fail("the assertion's exp is more than 5 minutes away")
	case c.Iat != nil && (!validTime(*c.Iat) || unixTime(*c.Exp).Sub(unixTime(*c.Iat)) > models.MaxAssertionLifetime+assertionLeeway):
		return fail("the assertion lives longer than 5 minutes")
	case c.Nbf != nil && (!validTime(*c.Nbf) || now.Add(assertionLeeway).Before(unixTime(*c.Nbf))):
		return fail("the assertion is not valid yet")
	case c.Jti == "" || len(c.Jti) > 200:
		return fail("the assertion needs a jti of at most 200 characters")
	}
	err := s.db.WithContext(ctx).Create(&usedAssertion{ClientID: clientID, JTI: c.Jti, ExpiresAt: unixTime(*c.Exp).Add(assertionLeeway)}).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fail("this assertion (jti) has already been used")
	}
	return err
}

// usedAssertion records a jti until its assertion expires.
type usedAssertion struct {
	ClientID  string `gorm:"primaryKey"`
	JTI       string `gorm:"primaryKey;column:jti"`
	ExpiresAt time.Time
}

func (usedAssertion) TableName() string { return "used_assertions" }

// PruneUsedAssertions forgets jtis of expired assertions (they can no longer be replayed).
func (s *Store) PruneUsedAssertions(ctx context.Context) error {
	return s.db.WithContext(ctx).Where("expires_at < ?", s.now()).Delete(&usedAssertion{}).Error
}

// checkAssertionSignature verifies the JWS with the client's registered keys, skipping
// expired ones (by kid when the header names one), refetching a jwks_uri once for an
// unknown kid. It returns the id of the registered key (or key set) that verified it.
func (s *Store) checkAssertionSignature(ctx context.Context, keys []models.ClientKey, assertion string, h assertionHeader) (string, error) {
	sig, err := jose.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256, jose.PS256})
	if err != nil {
		return "", err
	}
	now := s.now()
	try := func(k jose.JSONWebKey) bool {
		alg, err := models.ClientKeyAlg(k)
		if err != nil || alg != h.Alg || (h.Kid != "" && k.KeyID != h.Kid) {
			return false
		}
		_, err = sig.Verify(k.Key)
		return err == nil
	}
	for _, refresh := range []bool{false, true} {
		for _, ck := range keys {
			if ck.Expired(now) {
				continue
			}
			if ck.JWK != "" {
				if refresh {
					continue
				}
				var k jose.JSONWebKey
				if json.Unmarshal([]byte(ck.JWK), &k) == nil && try(k) {
					return ck.ID, nil
				}
				continue
			}
			set, err := s.fetcher.Keys(ctx, ck.JWKSURI, refresh)
			if err != nil {
				continue
			}
			for _, k := range set {
				if try(k) {
					return ck.ID, nil
				}
			}
		}
		if h.Kid == "" {
			break // nothing new to look for
		}
	}
	return "", errors.New("no registered key verifies the assertion")
}

// audienceIncludes reports whether aud (a string or an array) names one of want.
func audienceIncludes(raw json.RawMessage, want []string) bool {
	var list []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		list = []string{one}
	} else if json.Unmarshal(raw, &list) != nil {
		return false
	}
	for _, a := range list {
		if slices.Contains(want, a) {
			return true
		}
	}
	return false
}

// validTime accepts NumericDates from 1970 to year 9999.
func validTime(f float64) bool { return f >= 0 && f < 253402300800 }

// unixTime converts a NumericDate.
func unixTime(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
}

// clientByID loads a project with its grants, as client authentication does (nil when
// there is no such project).
func (s *Store) clientByID(ctx context.Context, id string) (*models.Project, error) {
	rows, err := s.db.WithContext(ctx).Raw(`SELECT `+clientColumns+` FROM projects p`+clientGrantJoins+` WHERE p.id = ?`, id).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var p *models.Project
	for rows.Next() {
		if p == nil {
			p = &models.Project{}
		}
		if err := clientScan(rows, p); err != nil {
			return nil, err
		}
	}
	return p, rows.Err()
}
