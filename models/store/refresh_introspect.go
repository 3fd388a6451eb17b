package store

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"

	"github.com/gatehouse-dev/gatehouse/models"
)

// introspectRefresh answers introspection (RFC 7662) for a refresh token presented by
// the client it was issued to: active while it is the family's current token, unexpired
// and unrevoked, with the user, the scopes it may refresh to, the API, when it ends and
// the key or certificate it is bound to.
// Another project's — even one of the same team or of the API's team — a rotated,
// expired, revoked or unknown token is inactive: a refresh token is its client's alone,
// and nobody else has a reason to hold one.
func (s *Store) introspectRefresh(ctx context.Context, caller *models.Project, token string) (*models.Introspection, error) {
	if !wellFormedRefreshToken(token) {
		return inactive, nil
	}
	var rt models.RefreshToken
	err := s.db.WithContext(ctx).Where("hash = ? AND project_id = ?", models.SHA256Hex(token), caller.ID).Take(&rt).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return inactive, nil
	}
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	now := s.now()
	if rt.RevokedAt != nil || rt.UsedAt != nil || !now.Before(rt.ExpiresAt) || !now.Before(rt.FamilyExpiresAt) {
		return inactive, nil
	}
	var aud []string
	if rt.APIID != nil {
		var api models.API
		err := s.db.WithContext(ctx).Select("identifier").Where("id = ?", *rt.APIID).Take(&api).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return inactive, nil // the API is gone, and its families with it
		}
		if err != nil {
			return nil, unavailable(ctx, err)
		}
		aud = []string{api.Identifier}
	}
	exp := rt.ExpiresAt
	if rt.FamilyExpiresAt.Before(exp) {
		exp = rt.FamilyExpiresAt
	}
	out := &models.Introspection{Active: true, Scope: strings.TrimSpace(rt.Scopes + " " + rt.IdentityScopes), ClientID: caller.ClientID(),
		Sub: rt.UserID, Aud: aud, Exp: exp.Unix(), Iat: rt.CreatedAt.Unix(), Iss: s.signer.Config().Issuer,
		TokenType: "refresh_token", CredentialType: "refresh_token", Team: caller.TeamID}
	if rt.DPoPJKT != "" || rt.CertThumbprint != "" {
		// The key or certificate a refresh must be made with (RFC 9449 §5, RFC 8705 §3).
		out.Cnf = &models.Confirmation{JKT: rt.DPoPJKT, X5TS256: rt.CertThumbprint}
	}
	return out, nil
}
