package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/go-jose/go-jose/v4/jwt"
	"gorm.io/gorm"
)

// ApplyTokenFormat gives project p the access token in the format it chose: tok itself
// for a JWT project; for a reference project an opaque reference token ("ghat_…") that
// stands for tok, whose claims are stored under the reference token's SHA-256 until the
// JWT would have expired. The JWT is not given out. Every grant's token passes here
// (the token endpoint calls it once a grant issued), except the JWT that token exchange
// hands a gateway for a reference token (issued_token_type jwt), which is the point.
func (s *Store) ApplyTokenFormat(ctx context.Context, p *models.Project, tok *models.IssuedToken) (*models.IssuedToken, error) {
	if p == nil || !p.IssuesReferenceTokens() || tok.IssuedTokenType == models.TokenTypeJWT {
		return tok, nil
	}
	parts := strings.Split(tok.Token, ".")
	if len(parts) != 3 {
		return nil, errors.New("reference token: the issued access token is not a compact JWS")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, err
	}
	var claims models.AccessTokenClaims
	if err := json.Unmarshal(payload, &claims); err != nil || claims.Expiry == nil {
		return nil, errors.New("reference token: the issued access token has no expiry")
	}
	value := models.NewReferenceToken()
	row := models.ReferenceToken{Hash: models.SHA256Hex(value), ProjectID: p.ID, Claims: string(payload),
		CreatedAt: s.now(), ExpiresAt: claims.Expiry.Time().UTC()}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return nil, unavailable(ctx, err)
	}
	out := *tok
	out.Token = value
	if out.IssuedTokenType != "" {
		out.IssuedTokenType = models.TokenTypeAccessToken
	}
	return &out, nil
}

// activeReference is a reference token that is unexpired and not revoked: the claims of
// the JWT it stands for (decoded, and as stored) and its project's team.
type activeReference struct {
	claims models.AccessTokenClaims
	raw    string
	team   string
}

// lookupReference finds an active reference token by its value; nil when it is
// malformed, unknown, revoked or expired (by the store's clock), or its project is gone.
func (s *Store) lookupReference(ctx context.Context, token string) (*activeReference, error) {
	if !models.WellFormedReferenceToken(token) {
		return nil, nil
	}
	var row struct {
		Claims    string
		ExpiresAt time.Time
		RevokedAt sql.NullTime
		TeamID    string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT r.claims, r.expires_at, r.revoked_at, p.team_id
		FROM reference_tokens r JOIN projects p ON p.id = r.project_id WHERE r.hash = ?`, models.SHA256Hex(token)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	now := s.now()
	if row.RevokedAt.Valid || !now.Before(row.ExpiresAt) {
		return nil, nil
	}
	ref := &activeReference{raw: row.Claims, team: row.TeamID}
	if err := json.Unmarshal([]byte(row.Claims), &ref.claims); err != nil {
		return nil, err
	}
	if ref.claims.Expiry == nil || !now.Before(ref.claims.Expiry.Time()) {
		return nil, nil
	}
	return ref, nil
}

// introspectReference answers introspection for a reference token with the claims of
// the JWT it stands for, under the same rule as the JWT: the caller's team issued it, or
// owns the API it is for.
func (s *Store) introspectReference(ctx context.Context, caller *models.Project, token string) (*models.Introspection, error) {
	ref, err := s.lookupReference(ctx, token)
	if err != nil || ref == nil {
		return inactive, err
	}
	at := &ref.claims
	if ref.team != caller.TeamID {
		if mine, err := s.ownsAudience(ctx, caller.TeamID, at.Audience); err != nil || !mine {
			return inactive, err
		}
	}
	return &models.Introspection{Active: true, Scope: at.Scope, ClientID: at.ClientID, Sub: at.Subject, Aud: at.Audience,
		Exp: at.Expiry.Time().Unix(), Iat: numeric(at.IssuedAt), Nbf: numeric(at.NotBefore), Iss: at.Issuer, Jti: at.ID,
		TokenType: boundTokenType(at.Cnf), Cnf: at.Cnf, CredentialType: "reference_token", Team: ref.team}, nil
}

// revokeReference revokes a reference token presented by the project it was issued to
// (RFC 7009), with a "reference_token.revoke" audit event in the project's team;
// anything else changes nothing.
func (s *Store) revokeReference(ctx context.Context, caller *models.Project, token string) (bool, error) {
	if !models.WellFormedReferenceToken(token) {
		return false, nil
	}
	revoked := false
	err := s.transact(ctx, func(tx *gorm.DB) error {
		ref, err := referenceRow(tx, token)
		if err != nil || ref == nil || ref.ProjectID != caller.ID {
			return err
		}
		revoked, err = s.revokeReferenceRow(tx, models.Actor{Client: caller.ID}, ref, nil)
		return err
	}, false)
	return revoked, err
}

// storedReference is a reference token's row with its project's team and name.
type storedReference struct {
	Hash, ProjectID, TeamID, ProjectName, Claims string
	RevokedAt                                    *time.Time
	hint                                         string
	claims                                       models.AccessTokenClaims
}

// referenceRow finds the reference token token stands for, or nil.
func referenceRow(tx *gorm.DB, token string) (*storedReference, error) {
	var ref storedReference
	err := tx.Raw(`SELECT r.hash, r.project_id, p.team_id, p.name AS project_name, r.claims, r.revoked_at
		FROM reference_tokens r JOIN projects p ON p.id = r.project_id WHERE r.hash = ?`, models.SHA256Hex(token)).Take(&ref).Error
	if err != nil {
		return nil, ignoreNotFound(err)
	}
	ref.hint = models.ReferenceTokenPrefix + "…" + token[len(token)-4:]
	if err := json.Unmarshal([]byte(ref.Claims), &ref.claims); err != nil {
		return nil, err
	}
	return &ref, nil
}

// revokeReferenceRow revokes ref in tx with its audit event (details added), naming the
// token by its hint, its jti and its subject; one already revoked is left alone, and
// revoked says whether this call revoked it.
func (s *Store) revokeReferenceRow(tx *gorm.DB, actor models.Actor, ref *storedReference, details map[string]any) (bool, error) {
	if ref.RevokedAt != nil {
		return false, nil
	}
	now := s.now()
	res := tx.Model(&models.ReferenceToken{}).Where("hash = ? AND revoked_at IS NULL", ref.Hash).Update("revoked_at", now)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	ref.RevokedAt = &now
	audited := map[string]any{"hint": ref.hint, "jti": ref.claims.ID, "sub": ref.claims.Subject}
	maps.Copy(audited, details)
	return true, s.audit(tx, actor, event{team: ref.TeamID, project: ref.ProjectID, action: "reference_token.revoke",
		targetType: "reference_token", targetID: ref.claims.ID, target: ref.ProjectName + " · " + ref.hint, details: audited})
}

// referenceJWT is the gateway's side of a phantom token: the JWT a reference token
// stands for, signed afresh with the same claims (so the same expiry), for a client
// that token exchange has found may receive it. The request's resources, if any, must
// name the token's own API; it may not narrow scopes or ask to impersonate.
func (s *Store) referenceJWT(ref *activeReference, x models.TokenExchange) (*models.IssuedToken, error) {
	if x.Scope != "" || x.Impersonate {
		return nil, oauthErr(models.ErrCodeInvalidRequest, "the JWT a reference token stands for carries its claims as they are: send no scope and no "+
			models.ParamImpersonate)
	}
	for _, r := range x.Resources {
		key, err := models.IdentifierKey(r)
		if err != nil || !audienceHasKey(ref.claims.Audience, key) {
			return nil, oauthErr(models.ErrCodeInvalidTarget, "a reference token is exchanged for the JWT of its own API only; "+
				models.QuoteForError(r)+" is not it")
		}
	}
	tok, _, err := s.signer.Sign(models.TypAccessToken, json.RawMessage(ref.raw))
	if err != nil {
		return nil, err
	}
	left := ref.claims.Expiry.Time().Sub(s.now()) / time.Second
	return &models.IssuedToken{Token: tok, ExpiresIn: int64(left), Scope: ref.claims.Scope, Audiences: ref.claims.Audience,
		IssuedTokenType: models.TokenTypeJWT}, nil
}

func audienceHasKey(auds []string, key string) bool {
	for _, a := range auds {
		if k, err := models.IdentifierKey(a); err == nil && k == key {
			return true
		}
	}
	return false
}

// IntrospectionJWT signs an introspection answer for caller as RFC 9701 asks when the
// caller accepts application/token-introspection+jwt: typ token-introspection+jwt, iss,
// aud the caller's client_id, iat, and the answer as token_introspection.
func (s *Store) IntrospectionJWT(caller *models.Project, res *models.Introspection) (string, error) {
	if s.signer == nil {
		return "", models.ErrSigningUnavailable
	}
	claims := struct {
		Issuer             string                `json:"iss"`
		Audience           string                `json:"aud"`
		IssuedAt           *jwt.NumericDate      `json:"iat"`
		TokenIntrospection *models.Introspection `json:"token_introspection"`
	}{s.signer.Config().Issuer, caller.ClientID(), jwt.NewNumericDate(s.now()), res}
	tok, _, err := s.signer.Sign(models.TypTokenIntrospection, claims)
	return tok, err
}

// PruneReferenceTokens forgets reference tokens that expired (they can only be
// answered inactive, as an unknown one is).
func (s *Store) PruneReferenceTokens(ctx context.Context) error {
	return s.db.WithContext(ctx).Where("expires_at < ?", s.now()).Delete(&models.ReferenceToken{}).Error
}
