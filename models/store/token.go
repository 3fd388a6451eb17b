package store

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/go-jose/go-jose/v4/jwt"
	"gorm.io/gorm"
)

func oauthErr(code, desc string) *models.OAuthError {
	return &models.OAuthError{Code: code, Description: desc}
}

// errInvalidClient is the one answer to every client-authentication failure, so an
// unknown client, a wrong secret, a revoked secret and a deleted project look alike.
var errInvalidClient = oauthErr(models.ErrCodeInvalidClient, "client authentication failed")

// dummyHash is compared against when no secret matched, so a failed lookup costs the
// same as a successful one.
var dummyHash = models.SHA256Hex("gatehouse dummy client secret")

// AuthenticateClient checks a project's client credentials: the secret's format and
// checksum first (no lookup for a mistyped secret), then one indexed lookup by its
// SHA-256 joined with the project and its grants, and constant-time comparisons. Every
// failure is the same invalid_client, and an unknown secret costs the same comparisons
// as a known one. The project comes back with its Grants.
func (s *Store) AuthenticateClient(ctx context.Context, clientID, secret string) (*models.Project, error) {
	if err := models.CheckClientSecretFormat(secret); err != nil || !models.HasPrefixID(clientID, "prj") {
		subtle.ConstantTimeCompare([]byte(dummyHash), []byte(models.SHA256Hex(secret)))
		return nil, errInvalidClient
	}
	hash := models.SHA256Hex(secret)
	now := s.now()
	gen := s.clients.gen.Load() // before the read: a change committed meanwhile moves it
	if p := s.clients.get(hash, clientID, now); p != nil {
		s.clients.hits.Add(1)
		if s.clients.dbDown.Load() {
			s.clients.outageHits.Add(1)
		}
		s.markUsed("client_secrets", "hash", hash, now)
		return p, nil
	}
	s.clients.misses.Add(1)
	rows, err := s.db.WithContext(ctx).Raw(`SELECT `+clientColumns+`, s.hash, s.expires_at, s.revoked_at
		FROM client_secrets s JOIN projects p ON p.id = s.project_id`+clientGrantJoins+` WHERE s.hash = ?`, hash).Rows()
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	defer rows.Close()
	var (
		p                models.Project
		stored           = dummyHash
		expires, revoked sql.NullTime
		found            bool
	)
	for rows.Next() {
		if err := clientScan(rows, &p, &stored, &expires, &revoked); err != nil {
			return nil, err
		}
		found = true
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(ctx, err)
	}
	okHash := subtle.ConstantTimeCompare([]byte(stored), []byte(hash)) == 1
	okClient := subtle.ConstantTimeCompare([]byte(p.ID), []byte(clientID)) == 1
	if !found || !okHash || !okClient || revoked.Valid || (expires.Valid && !now.Before(expires.Time)) || !p.AcceptsAuth(models.AuthClientSecret) {
		return nil, errInvalidClient
	}
	var exp *time.Time
	if expires.Valid {
		exp = &expires.Time
	}
	s.clients.put(hash, &p, exp, now, gen)
	s.markUsed("client_secrets", "hash", hash, now)
	return &p, nil
}

// IssueAccessToken mints an access token for an authenticated project (with its
// Grants loaded) through grant type grantType (client_credentials or the JWT bearer
// grant). The token is for exactly one API the project holds a grant for: the one
// resources name (RFC 8707; also the audience parameter), or its only grant. scope
// narrows the granted scopes (empty: all of them). The lifetime is the project's, capped
// by the API's.
func (s *Store) IssueAccessToken(ctx context.Context, p *models.Project, grantType, scope string, resources []string) (*models.IssuedToken, error) {
	if s.signer == nil {
		return nil, models.ErrSigningUnavailable
	}
	if !p.AllowsGrant(grantType) {
		return nil, oauthErr(models.ErrCodeUnauthorizedClient, "this client may not use the grant type "+models.QuoteForError(grantType))
	}
	g, err := pickGrant(p.Grants, resources, func(g *models.IssuableGrant) bool { return bool(g.Tokens) }, "access tokens")
	if err != nil {
		return nil, err
	}
	scopes, err := scopesWithin(g, scope)
	if err != nil {
		return nil, err
	}
	return s.mintAccessToken(ctx, p, g, scopes, subject{id: p.ClientID(), typ: models.SubjectProject})
}

// subject is whom an access token is about: its sub, sub_type and, for a user, when
// they signed in; for a token issued by token exchange, who acts for it (act) and the
// subject token's expiry, which the new token never outlives (notAfter).
type subject struct {
	id, typ  string
	authTime *time.Time
	acr      string
	amr      []string
	act      *models.ActClaim
	notAfter time.Time
}

// mintAccessToken signs an RFC 9068 access token issued to project p for grant g's API
// with scopes, about sub. The lifetime is the project's, capped by the API's. A request
// with a DPoP proof (models.WithDPoPKey on ctx) gets a token bound to its key (cnf.jkt).
func (s *Store) mintAccessToken(ctx context.Context, p *models.Project, g *models.IssuableGrant, scopes []string, sub subject) (*models.IssuedToken, error) {
	now := s.now()
	ttl := p.TokenTTL()
	if g.MaxTokenTTL > 0 && time.Duration(g.MaxTokenTTL)*time.Second < ttl {
		ttl = time.Duration(g.MaxTokenTTL) * time.Second
	}
	if !sub.notAfter.IsZero() && sub.notAfter.Before(now.Add(ttl)) {
		ttl = sub.notAfter.Sub(now).Truncate(time.Second)
	}
	auds := []string{g.Identifier}
	claims := models.AccessTokenClaims{
		Claims: jwt.Claims{Issuer: s.signer.Config().Issuer, Subject: sub.id, Audience: jwt.Audience(auds),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)),
			ID: "at_" + models.RandomToken(16)},
		ClientID: p.ClientID(), Scope: strings.Join(scopes, " "), Team: p.TeamID, SubType: sub.typ,
	}
	if sub.authTime != nil {
		claims.AuthTime = jwt.NewNumericDate(*sub.authTime)
	}
	claims.ACR, claims.AMR, claims.Act = sub.acr, sub.amr, sub.act
	claims.Cnf = confirmation(ctx)
	tok, _, err := s.signer.Sign(models.TypAccessToken, claims)
	if err != nil {
		return nil, err
	}
	out := &models.IssuedToken{Token: tok, ExpiresIn: int64(ttl / time.Second), Scope: claims.Scope, Audiences: auds}
	if claims.Cnf != nil {
		out.DPoPJKT, out.CertThumbprint = claims.Cnf.JKT, claims.Cnf.X5TS256
	}
	return out, nil
}

var inactive = &models.Introspection{Active: false}

// Introspect answers for a token presented by caller (an authenticated project): API
// keys and access tokens valid now that were issued to a project of the caller's team,
// or that are for an API the caller's team owns (a resource server introspecting what
// it receives), are active, and so is a current refresh token presented by its own
// client; everything else — garbage, expired, revoked, another team's for another
// team's API — is inactive.
func (s *Store) Introspect(ctx context.Context, caller *models.Project, token string) (*models.Introspection, error) {
	if s.signer == nil {
		return nil, models.ErrSigningUnavailable
	}
	token = strings.TrimSpace(token)
	if models.LooksLikeReferenceToken(token) {
		return s.introspectReference(ctx, caller, token)
	}
	if strings.HasPrefix(token, models.RefreshTokenPrefix) {
		return s.introspectRefresh(ctx, caller, token)
	}
	now := s.now()
	var ak models.APIKeyClaims
	if err := s.signer.VerifyOwn(token, models.TypAPIKey, &ak); err == nil {
		if ak.Issuer != s.signer.Config().Issuer || ak.Expiry == nil || !now.Before(ak.Expiry.Time()) {
			return inactive, nil
		}
		if ak.Team != caller.TeamID {
			if mine, err := s.ownsAudience(ctx, caller.TeamID, ak.Audience); err != nil || !mine {
				return inactive, err
			}
		}
		// The signature proves the portal issued it; revocation (also of every key of a
		// deleted project) is the status bit, read from memory.
		listID := strings.TrimPrefix(ak.Status.StatusList.URI, s.signer.StatusListURI(""))
		if listID == ak.Status.StatusList.URI || listID == "" {
			return inactive, nil
		}
		revoked, err := s.signer.Revoked(ctx, listID, ak.Status.StatusList.Idx)
		if errors.Is(err, models.ErrNotFound) || (err == nil && revoked) {
			return inactive, nil
		}
		if err != nil {
			return nil, err
		}
		s.markUsed("api_keys", "id", ak.ID, now) // an API asked: the key is in use
		return &models.Introspection{Active: true, Scope: ak.Scope, ClientID: ak.Subject, Sub: ak.Subject, Aud: ak.Audience,
			Exp: ak.Expiry.Time().Unix(), Iat: numeric(ak.IssuedAt), Nbf: numeric(ak.NotBefore), Iss: ak.Issuer, Jti: ak.ID,
			TokenType: "Bearer", CredentialType: "api_key", Team: ak.Team}, nil
	}
	var at models.AccessTokenClaims
	if err := s.signer.VerifyOwn(token, models.TypAccessToken, &at); err == nil {
		if at.Issuer != s.signer.Config().Issuer || at.Expiry == nil || !now.Before(at.Expiry.Time()) {
			return inactive, nil
		}
		var p models.Project
		// client_id is the project (sub too, except for a user's token: sub_type user).
		err := s.db.WithContext(ctx).Select("id", "team_id").Where("id = ?", at.ClientID).Take(&p).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return inactive, nil // deleted project
		}
		if err != nil {
			return nil, err
		}
		if p.TeamID != caller.TeamID {
			if mine, err := s.ownsAudience(ctx, caller.TeamID, at.Audience); err != nil || !mine {
				return inactive, err // another team's, for an API the caller's team does not own
			}
		}
		out := &models.Introspection{Active: true, Scope: at.Scope, ClientID: at.ClientID, Sub: at.Subject, Aud: at.Audience,
			Exp: at.Expiry.Time().Unix(), Iat: numeric(at.IssuedAt), Nbf: numeric(at.NotBefore), Iss: at.Issuer, Jti: at.ID,
			TokenType: "Bearer", CredentialType: "access_token", Team: p.TeamID}
		out.TokenType, out.Cnf = boundTokenType(at.Cnf), at.Cnf

		return out, nil
	}
	return inactive, nil
}

// boundTokenType is the token_type introspection reports for a token bound by cnf:
// DPoP for a DPoP key (RFC 9449 §6.2), else Bearer (a certificate-bound token is a
// Bearer token sent over mutual TLS, RFC 8705 §3).
func boundTokenType(cnf *models.Confirmation) string {
	if cnf != nil && cnf.JKT != "" {
		return models.TokenTypeDPoP
	}
	return "Bearer"
}

func numeric(d *jwt.NumericDate) int64 {
	if d == nil {
		return 0
	}
	return d.Time().Unix()
}

// RevokeAsClient revokes an API key or a reference access token presented by its own
// project (RFC 7009), or the whole family of a refresh token presented by its own
// client. Anything else — unknown, garbage, another project's key, reference token or
// refresh token, an access token (short-lived, not
// stored) — changes nothing; the caller answers 200 either way. revoked reports a change.
func (s *Store) RevokeAsClient(ctx context.Context, caller *models.Project, token string) (revoked bool, err error) {
	if s.signer == nil {
		return false, models.ErrSigningUnavailable
	}
	token = strings.TrimSpace(token)
	if models.LooksLikeReferenceToken(token) {
		return s.revokeReference(ctx, caller, token)
	}
	if strings.HasPrefix(token, models.RefreshTokenPrefix) {
		return s.revokeRefreshAsClient(ctx, caller, token)
	}
	var ak models.APIKeyClaims
	if s.signer.VerifyOwn(token, models.TypAPIKey, &ak) != nil || ak.Subject != caller.ID || ak.Issuer != s.signer.Config().Issuer {
		return false, nil
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// By jti, not by the bytes: the signature twin (r, n−s) of a key revokes it too.
		var k models.APIKey
		err := tx.Where("id = ? AND project_id = ?", ak.ID, caller.ID).Take(&k).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			// Signed for the caller but its row was lost: revoke by its status reference.
			if err := s.lostKey(tx, caller, &ak, models.SHA256Hex(token), &k); err != nil {
				if errors.Is(err, errKeyNotFound) {
					return nil
				}
				return err
			}
		} else if err != nil {
			return err
		}
		revoked, err = s.revoke(tx, models.Actor{Client: caller.ID}, caller, &k, revocation{action: "key.revoke", via: models.ViaOAuthRevoke})
		return err
	})
	if err != nil {
		return false, err
	}
	return revoked, nil
}

// ownsAudience reports whether one of auds names an API of the team.
func (s *Store) ownsAudience(ctx context.Context, teamID string, auds []string) (bool, error) {
	var keys []string
	for _, a := range auds {
		if k, err := models.IdentifierKey(a); err == nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return false, nil
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&models.API{}).Where("team_id = ? AND identifier_key IN ?", teamID, keys).Count(&n).Error
	return n > 0, err
}
