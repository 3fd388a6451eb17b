package store

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
)

// UserinfoAudience is the identifier of the portal's userinfo endpoint: the aud of the
// access token of a user's identity alone (scope openid without an API). No team may
// register an API under it.
func (s *Store) UserinfoAudience() string {
	if s.signer == nil {
		return ""
	}
	return strings.TrimSuffix(s.signer.Config().Issuer, "/") + "/oauth/userinfo"
}

// mintIDToken signs the OpenID Connect ID token (OIDC Core §2) of a user's
// authorization of project p: sub is the user, aud and azp the client, with the
// client's nonce, when and how the user authenticated, and the claims the identity
// scopes reveal. It lives as long as the access token issued with it.
func (s *Store) mintIDToken(ctx context.Context, p *models.Project, userID string, identity []string, nonce string, sub subject, ttl int64) (string, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return "", err
	}
	now := s.now()
	claims := models.IDTokenClaims{
		Claims: jwt.Claims{Issuer: s.signer.Config().Issuer, Subject: userID, Audience: jwt.Audience{p.ClientID()},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(time.Duration(ttl) * time.Second))},
		AuthorizedParty: p.ClientID(), Nonce: nonce, ACR: sub.acr, AMR: sub.amr,
		UserClaims: userClaims(u, identity),
	}
	if sub.authTime != nil {
		claims.AuthTime = jwt.NewNumericDate(*sub.authTime)
	}
	tok, _, err := s.signer.Sign(models.TypIDToken, claims)
	return tok, err
}

// userClaims are what the identity scopes reveal of u: name with profile, the address
// with email (verified: the portal keeps only an address its provider verified).
func userClaims(u *models.User, identity []string) models.UserClaims {
	var c models.UserClaims
	if slices.Contains(identity, models.ScopeProfile) {
		c.Name = u.Name
	}
	if slices.Contains(identity, models.ScopeEmail) && u.Email != "" {
		verified := true
		c.Email, c.EmailVerified = u.Email, &verified
	}
	return c
}

// Userinfo is the userinfo endpoint's answer (OIDC Core §5.3).
type Userinfo struct {
	Subject string `json:"sub"`
	models.UserClaims
}

// Userinfo answers for an access token presented at the userinfo endpoint: one the
// portal issued for that endpoint (aud UserinfoAudience, sub_type user, scope openid),
// unexpired, whose user still has the app's consent to their identity, presented with
// the certificate it is bound to, if any (models.WithCertificateBinding on ctx).
// Anything else is ErrBadToken.
func (s *Store) Userinfo(ctx context.Context, token string) (*Userinfo, error) {
	if s.signer == nil {
		return nil, models.ErrSigningUnavailable
	}
	var at models.AccessTokenClaims
	if token = strings.TrimSpace(token); models.LooksLikeReferenceToken(token) {
		ref, err := s.lookupReference(ctx, token)
		if err != nil {
			return nil, err
		}
		if ref == nil {
			return nil, models.ErrBadToken
		}
		at = ref.claims
	} else if err := s.signer.VerifyOwn(token, models.TypAccessToken, &at); err != nil {
		return nil, models.ErrBadToken
	}
	scopes := strings.Fields(at.Scope)
	if at.Issuer != s.signer.Config().Issuer || at.Expiry == nil || !s.now().Before(at.Expiry.Time()) ||
		!slices.Contains(at.Audience, s.UserinfoAudience()) || at.SubType != models.SubjectUser || !slices.Contains(scopes, models.ScopeOpenID) {
		return nil, models.ErrBadToken
	}
	if at.Cnf != nil && at.Cnf.X5TS256 != "" && subtle.ConstantTimeCompare([]byte(at.Cnf.X5TS256), []byte(models.CertificateBinding(ctx))) != 1 {
		return nil, models.ErrBadToken // bound to a certificate this request did not present
	}
	var c models.Consent
	err := whereConsent(s.db.WithContext(ctx), at.Subject, at.ClientID, "").Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.ErrBadToken // the user withdrew the consent
	}
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	u, err := s.UserByID(ctx, at.Subject)
	if errors.Is(err, models.ErrNotFound) {
		return nil, models.ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	return &Userinfo{Subject: u.ID, UserClaims: userClaims(u, scopes)}, nil
}
