package store

import (
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
)

// ManagementAudience is the identifier of the portal's own management API (/api/v1):
// the aud of a service account's access tokens. No team may register an API under it.
func (s *Store) ManagementAudience() string {
	if s.signer == nil {
		return ""
	}
	return strings.TrimSuffix(s.signer.Config().Issuer, "/") + "/api/v1"
}

// AuthenticateServiceAccount checks a service account's fallback secret: its format
// first, then one lookup by SHA-256 and constant-time comparisons. Every failure is the
// same invalid_client.
func (s *Store) AuthenticateServiceAccount(ctx context.Context, saID, secret string) (*models.ServiceAccount, error) {
	if models.CheckClientSecretFormat(secret) != nil || !models.HasPrefixID(saID, "sa") {
		subtle.ConstantTimeCompare([]byte(dummyHash), []byte(models.SHA256Hex(secret)))
		return nil, errInvalidClient
	}
	hash := models.SHA256Hex(secret)
	var c models.ServiceAccountCredential
	err := s.db.WithContext(ctx).Where("hash = ? AND kind = ?", hash, models.CredentialSecret).Take(&c).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, unavailable(ctx, err)
	}
	stored := dummyHash
	if c.Hash != nil {
		stored = *c.Hash
	}
	okHash := subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) == 1
	okClient := subtle.ConstantTimeCompare([]byte(c.ServiceAccountID), []byte(saID)) == 1
	if !okHash || !okClient || c.Status(s.now()) != "active" {
		return nil, errInvalidClient
	}
	sa, err := s.serviceAccountByID(ctx, saID)
	if err != nil || sa == nil {
		return nil, cmp.Or(err, error(errInvalidClient))
	}
	s.markUsed("service_account_credentials", "id", c.ID, s.now())
	return sa, nil
}

// serviceAccountByID loads a service account (nil when there is none).
func (s *Store) serviceAccountByID(ctx context.Context, id string) (*models.ServiceAccount, error) {
	var sa models.ServiceAccount
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&sa).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	return &sa, nil
}

// ServiceAccountByAssertion checks a JWT the service account signed with one of its
// registered keys (private_key_jwt, or the JWT bearer grant): the same rules as a
// project's assertions (iss = sub = its id, aud the token endpoint or issuer, at most 5
// minutes, one use per jti).
func (s *Store) ServiceAccountByAssertion(ctx context.Context, assertion, saID string, audiences []string, purpose models.AssertionPurpose) (*models.ServiceAccount, error) {
	fail := assertionFailure(purpose)
	h, c, err := parseAssertion(assertion, fail)
	if err != nil {
		return nil, err
	}
	if c.Iss == "" || c.Iss != c.Sub || !models.HasPrefixID(c.Iss, "sa") || (saID != "" && c.Iss != saID) {
		return nil, fail("the assertion's iss and sub must both be the client_id")
	}
	sa, err := s.serviceAccountByID(ctx, c.Iss)
	if err != nil {
		return nil, err
	}
	if sa == nil {
		return nil, fail(notRegistered)
	}
	var keys []models.ClientKey
	if err := s.db.WithContext(ctx).Table("service_account_credentials").
		Select("id, name, kid, alg, jwk, jwks_uri, created_at, expires_at").
		Where("service_account_id = ? AND kind = ?", sa.ID, models.CredentialKey).Scan(&keys).Error; err != nil {
		return nil, unavailable(ctx, err)
	}
	keyID, err := s.checkAssertionSignature(ctx, keys, assertion, h)
	if err != nil {
		return nil, fail(notRegistered)
	}
	if err := s.acceptAssertionClaims(ctx, c, sa.ID, audiences, fail); err != nil {
		return nil, err
	}
	s.markUsed("service_account_credentials", "id", keyID, s.now())
	return sa, nil
}

// maxWorkloadTokenLen bounds a workload token (Kubernetes and CI tokens are 1–2 KiB).
const maxWorkloadTokenLen = 16 << 10

// workloadLeeway is the clock skew allowed on a workload token's times.
const workloadLeeway = 60 * time.Second

// ServiceAccountByWorkloadToken is workload identity federation: a workload presents the
// short-lived JWT its platform issued (a Kubernetes projected service-account token, a
// GitHub Actions or GitLab CI ID token) and names the service account (client_id). The
// token must be signed by a key of the issuer one of the account's trusted-issuer
// credentials names (fetched with the SSRF-safe fetcher), be valid now, and meet that
// credential's conditions on aud, sub and other claims. Nothing is stored but the
// account's use of the credential. Each failure is invalid_grant; when the signature
// holds, the answer names the condition that failed (never another team's settings).
func (s *Store) ServiceAccountByWorkloadToken(ctx context.Context, token, saID string) (*models.ServiceAccount, error) {
	fail := func(desc string) error { return oauthErr(models.ErrCodeInvalidGrant, desc) }
	if len(token) > maxWorkloadTokenLen {
		return nil, fail("the workload token is longer than 16 KiB")
	}
	h, claims, iss, err := parseWorkloadToken(token)
	if err != nil {
		return nil, fail(err.Error())
	}
	const untrusted = "this service account does not trust tokens of this issuer"
	if !models.HasPrefixID(saID, "sa") {
		return nil, fail("name the service account with client_id (sa_…)")
	}
	var rules []models.ServiceAccountCredential
	if err := s.db.WithContext(ctx).Where("service_account_id = ? AND kind = ? AND issuer = ?", saID, models.CredentialWorkload, iss).
		Order("created_at, id").Find(&rules).Error; err != nil {
		return nil, unavailable(ctx, err)
	}
	if len(rules) == 0 {
		return nil, fail(untrusted)
	}
	sig, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256, jose.PS256})
	if err != nil {
		return nil, fail("the workload token is not a compact JWS")
	}
	now := s.now()
	var reasons []string
	for i := range rules {
		r := &rules[i]
		if !s.workloadSignatureHolds(ctx, sig, r.JWKSURI, h) {
			reasons = append(reasons, "the token is not signed by a key of the issuer's key set")
			continue
		}
		if reason := workloadConditions(r, claims, now); reason != "" {
			reasons = append(reasons, reason)
			continue
		}
		sa, err := s.serviceAccountByID(ctx, saID)
		if err != nil {
			return nil, err
		}
		if sa == nil {
			return nil, fail(untrusted)
		}
		s.markUsed("service_account_credentials", "id", r.ID, now)
		return sa, nil
	}
	slices.Sort(reasons)
	return nil, fail(strings.Join(slices.Compact(reasons), "; "))
}

// parseWorkloadToken reads a workload token's header and claims, unverified: the header
// under the same rules as an assertion's, the claims a JSON object without duplicate
// members or case variants of the registered names, with a string iss.
func parseWorkloadToken(token string) (assertionHeader, map[string]json.RawMessage, string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return assertionHeader{}, nil, "", errors.New("the workload token is not a compact JWS")
	}
	h, err := parseSignedHeader(parts[0], "the workload token")
	if err != nil {
		return h, nil, "", err
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]json.RawMessage
	if err != nil || models.DecodeStrict(pb, models.AssertionClaimNames, &claims) != nil {
		return h, nil, "", errors.New("the workload token's claims are malformed")
	}
	var iss string
	if json.Unmarshal(claims["iss"], &iss) != nil || iss == "" {
		return h, nil, "", errors.New("the workload token has no iss")
	}
	return h, claims, iss, nil
}

// workloadSignatureHolds verifies the token with the key set at uri (by kid when the
// header names one), refetching once for an unknown kid.
func (s *Store) workloadSignatureHolds(ctx context.Context, sig *jose.JSONWebSignature, uri string, h assertionHeader) bool {
	for _, refresh := range []bool{false, true} {
		set, err := s.fetcher.Keys(ctx, uri, refresh)
		if err != nil {
			continue
		}
		for _, k := range set {
			alg, err := models.ClientKeyAlg(k)
			if err != nil || alg != h.Alg || (h.Kid != "" && k.KeyID != h.Kid) {
				continue
			}
			if _, err := sig.Verify(k.Key); err == nil {
				return true
			}
		}
		if h.Kid == "" {
			break
		}
	}
	return false
}

// workloadConditions says why a signature-verified workload token fails a trusted-issuer
// credential, or "" when it meets it: valid now (exp required), aud containing the
// audience, sub and every named claim matching their patterns (claims must be strings).
func workloadConditions(r *models.ServiceAccountCredential, claims map[string]json.RawMessage, now time.Time) string {
	var times struct {
		Exp, Nbf, Iat *jwt.NumericDate
	}
	for name, dst := range map[string]**jwt.NumericDate{"exp": &times.Exp, "nbf": &times.Nbf, "iat": &times.Iat} {
		if raw, ok := claims[name]; ok && json.Unmarshal(raw, dst) != nil {
			return "the token's " + name + " is not a number"
		}
	}
	switch {
	case times.Exp == nil:
		return "the token has no exp"
	case !now.Before(times.Exp.Time().Add(workloadLeeway)):
		return "the token has expired"
	case times.Nbf != nil && now.Add(workloadLeeway).Before(times.Nbf.Time()):
		return "the token is not valid yet"
	case times.Iat != nil && now.Add(workloadLeeway).Before(times.Iat.Time()):
		return "the token was issued in the future"
	}
	var aud jwt.Audience
	if json.Unmarshal(claims["aud"], &aud) != nil || !slices.Contains(aud, r.Audience) {
		return "the token's aud does not name the audience this service account expects"
	}
	var sub string
	if json.Unmarshal(claims["sub"], &sub) != nil || !models.GlobMatch(r.Subject, sub) {
		return "the token's sub " + models.QuoteForError(sub) + " does not match this service account's subject condition"
	}
	for _, cond := range r.ClaimConditions() {
		var v string
		if json.Unmarshal(claims[cond.Claim], &v) != nil || !models.GlobMatch(cond.Pattern, v) {
			return "the token's " + models.QuoteForError(cond.Claim) + " claim does not match this service account's condition"
		}
	}
	return ""
}

// IssueServiceAccountToken mints an access token for an authenticated service account:
// sub and client_id = its id, sub_type service_account, aud = the management API (the
// only resource it may name), no scopes (its role decides, on every call), 15 minutes.
func (s *Store) IssueServiceAccountToken(ctx context.Context, sa *models.ServiceAccount, scope string, resources []string) (*models.IssuedToken, error) {
	if s.signer == nil {
		return nil, models.ErrSigningUnavailable
	}
	aud := s.ManagementAudience()
	for _, r := range resources {
		if r != aud {
			return nil, oauthErr(models.ErrCodeInvalidTarget, "a service account's tokens are for the management API: the resource must be "+aud)
		}
	}
	if strings.TrimSpace(scope) != "" {
		return nil, oauthErr(models.ErrCodeInvalidScope, "a service account's tokens carry no scopes: its role in its team decides what it may do")
	}
	now := s.now()
	claims := models.AccessTokenClaims{
		Claims: jwt.Claims{Issuer: s.signer.Config().Issuer, Subject: sa.ID, Audience: jwt.Audience{aud},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(models.ServiceAccountTokenTTL)),
			ID: "at_" + models.RandomToken(16)},
		ClientID: sa.ID, Team: sa.TeamID, SubType: models.SubjectServiceAccount,
	}
	tok, _, err := s.signer.Sign(models.TypAccessToken, claims)
	if err != nil {
		return nil, err
	}
	return &models.IssuedToken{Token: tok, ExpiresIn: int64(models.ServiceAccountTokenTTL / time.Second), Audiences: claims.Audience}, nil
}

// AuthenticateServiceAccountToken reads a bearer token for the management API: an access
// token this portal signed, valid now, for the management API, with sub_type
// service_account and the sub of a service account that still exists. It returns the
// account acting as its users row, whose role the permission check reads on every call.
// Every failure is the one ErrInvalidPersonalToken-like answer (CodeUnauthenticated).
func (s *Store) AuthenticateServiceAccountToken(ctx context.Context, token string) (models.Actor, error) {
	if s.signer == nil {
		return models.Actor{}, errInvalidBearer
	}
	var at models.AccessTokenClaims
	if err := s.signer.VerifyOwn(token, models.TypAccessToken, &at); err != nil {
		return models.Actor{}, errInvalidBearer
	}
	now := s.now()
	if at.Issuer != s.signer.Config().Issuer || at.Expiry == nil || !now.Before(at.Expiry.Time()) ||
		!slices.Contains(at.Audience, s.ManagementAudience()) || at.SubType != models.SubjectServiceAccount ||
		at.ClientID != at.Subject || !models.HasPrefixID(at.Subject, "sa") {
		return models.Actor{}, errInvalidBearer
	}
	var u models.User
	err := s.db.WithContext(ctx).Where("id = ? AND kind = ?", at.Subject, models.UserKindService).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.Actor{}, errInvalidBearer // deleted since
	}
	if err != nil {
		return models.Actor{}, unavailable(ctx, err)
	}
	return models.Actor{User: &u}, nil
}

// errInvalidBearer answers a management API bearer token that is not usable.
var errInvalidBearer = &models.Error{Code: models.CodeUnauthenticated, Message: "the access token is invalid, expired, not for the management API, or its service account is gone"}
