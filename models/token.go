package models

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
	"gorm.io/gorm"
)

// OAuthError is an RFC 6749 §5.2 error: a registered code and a description safe to
// show the client.
type OAuthError struct {
	Code        string
	Description string
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

// The OAuth error codes the endpoints use.
const (
	ErrCodeInvalidRequest       = "invalid_request"
	ErrCodeInvalidClient        = "invalid_client"
	ErrCodeInvalidGrant         = "invalid_grant"
	ErrCodeUnauthorizedClient   = "unauthorized_client"
	ErrCodeUnsupportedGrantType = "unsupported_grant_type"
	ErrCodeInvalidScope         = "invalid_scope"
	ErrCodeInvalidTarget        = "invalid_target"
)

func oauthErr(code, desc string) *OAuthError { return &OAuthError{Code: code, Description: desc} }

// errInvalidClient is the one answer to every client-authentication failure, so an
// unknown client, a wrong secret, a revoked secret and a deleted project look alike.
var errInvalidClient = oauthErr(ErrCodeInvalidClient, "client authentication failed")

// dummyHash is compared against when no secret matched, so a failed lookup costs the
// same as a successful one.
var dummyHash = sha256Hex("gatehouse dummy client secret")

// AuthenticateClient checks a project's client credentials: the secret's format and
// checksum first (no lookup for a mistyped secret), then one indexed lookup by its
// SHA-256 joined with the project and its grants, and constant-time comparisons. Every
// failure is the same invalid_client, and an unknown secret costs the same comparisons
// as a known one. The project comes back with its Grants.
func (s *Store) AuthenticateClient(ctx context.Context, clientID, secret string) (*Project, error) {
	if err := CheckClientSecretFormat(secret); err != nil || !hasPrefixID(clientID, "prj") {
		subtle.ConstantTimeCompare([]byte(dummyHash), []byte(sha256Hex(secret)))
		return nil, errInvalidClient
	}
	hash := sha256Hex(secret)
	now := s.now()
	gen := s.clients.gen.Load() // before the read: a change committed meanwhile moves it
	if p := s.clients.get(hash, clientID, now); p != nil {
		s.clients.hits.Add(1)
		if s.clients.dbDown.Load() {
			s.clients.outageHits.Add(1)
		}
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
		p                Project
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
	if !found || !okHash || !okClient || revoked.Valid || (expires.Valid && !now.Before(expires.Time)) || !p.AcceptsAuth(AuthClientSecret) {
		return nil, errInvalidClient
	}
	var exp *time.Time
	if expires.Valid {
		exp = &expires.Time
	}
	s.clients.put(hash, &p, exp, now, gen)
	return &p, nil
}

// AccessTokenClaims are the claims of an RFC 9068 access token.
type AccessTokenClaims struct {
	jwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
	// Team is the project's team, so an API can narrow whom it accepts.
	Team string `json:"team,omitempty"`
}

// IssuedToken is an access token and what the token response says about it.
type IssuedToken struct {
	Token     string
	ExpiresIn int64
	Scope     string
	Audiences []string
}

// IssueAccessToken mints an access token for an authenticated project (with its
// Grants loaded) through grant type grantType (client_credentials or the JWT bearer
// grant). The token is for exactly one API the project holds a grant for: the one
// resources name (RFC 8707; also the audience parameter), or its only grant. scope
// narrows the granted scopes (empty: all of them). The lifetime is the project's, capped
// by the API's.
func (s *Store) IssueAccessToken(p *Project, grantType, scope string, resources []string) (*IssuedToken, error) {
	if s.signer == nil {
		return nil, ErrSigningUnavailable
	}
	if !p.AllowsGrant(grantType) {
		return nil, oauthErr(ErrCodeUnauthorizedClient, "this client may not use the grant type "+QuoteForError(grantType))
	}
	g, err := pickGrant(p.Grants, resources, func(g *IssuableGrant) bool { return bool(g.Tokens) }, "access tokens")
	if err != nil {
		return nil, err
	}
	scopes, err := scopesWithin(g, scope)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ttl := p.TokenTTL()
	if g.MaxTokenTTL > 0 && time.Duration(g.MaxTokenTTL)*time.Second < ttl {
		ttl = time.Duration(g.MaxTokenTTL) * time.Second
	}
	auds := []string{g.Identifier}
	claims := AccessTokenClaims{
		Claims: jwt.Claims{Issuer: s.signer.cfg.Issuer, Subject: p.ClientID(), Audience: jwt.Audience(auds),
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(ttl)),
			ID: "at_" + randomToken(16)},
		ClientID: p.ClientID(), Scope: strings.Join(scopes, " "), Team: p.TeamID,
	}
	tok, _, err := s.signer.Sign(TypAccessToken, claims)
	if err != nil {
		return nil, err
	}
	return &IssuedToken{Token: tok, ExpiresIn: int64(ttl / time.Second), Scope: claims.Scope, Audiences: auds}, nil
}

// QuoteForError quotes client-supplied text for an error description: bounded, and
// reduced to printable ASCII without quotes or backslashes.
func QuoteForError(s string) string {
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return `"` + strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			return '?'
		}
		return r
	}, s) + `"`
}

// Introspection is an RFC 7662 answer. Inactive tokens carry nothing but Active=false.
type Introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Nbf       int64    `json:"nbf,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	// CredentialType is "api_key" or "access_token" (a Gatehouse extension).
	CredentialType string `json:"credential_type,omitempty"`
	Team           string `json:"team,omitempty"`
}

var inactive = &Introspection{Active: false}

// Introspect answers for a token presented by caller (an authenticated project): API
// keys and access tokens valid now that were issued to a project of the caller's team,
// or that are for an API the caller's team owns (a resource server introspecting what
// it receives), are active; everything else — garbage, expired, revoked, another team's
// for another team's API — is inactive.
func (s *Store) Introspect(ctx context.Context, caller *Project, token string) (*Introspection, error) {
	if s.signer == nil {
		return nil, ErrSigningUnavailable
	}
	token = strings.TrimSpace(token)
	now := s.now()
	var ak APIKeyClaims
	if err := s.signer.VerifyOwn(token, TypAPIKey, &ak); err == nil {
		if ak.Issuer != s.signer.cfg.Issuer || ak.Expiry == nil || !now.Before(ak.Expiry.Time()) {
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
		if errors.Is(err, ErrNotFound) || (err == nil && revoked) {
			return inactive, nil
		}
		if err != nil {
			return nil, err
		}
		return &Introspection{Active: true, Scope: ak.Scope, ClientID: ak.Subject, Sub: ak.Subject, Aud: ak.Audience,
			Exp: ak.Expiry.Time().Unix(), Iat: numeric(ak.IssuedAt), Nbf: numeric(ak.NotBefore), Iss: ak.Issuer, Jti: ak.ID,
			TokenType: "Bearer", CredentialType: "api_key", Team: ak.Team}, nil
	}
	var at AccessTokenClaims
	if err := s.signer.VerifyOwn(token, TypAccessToken, &at); err == nil {
		if at.Issuer != s.signer.cfg.Issuer || at.Expiry == nil || !now.Before(at.Expiry.Time()) {
			return inactive, nil
		}
		var p Project
		err := s.db.WithContext(ctx).Select("id", "team_id").Where("id = ?", at.Subject).Take(&p).Error
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
		return &Introspection{Active: true, Scope: at.Scope, ClientID: at.ClientID, Sub: at.Subject, Aud: at.Audience,
			Exp: at.Expiry.Time().Unix(), Iat: numeric(at.IssuedAt), Nbf: numeric(at.NotBefore), Iss: at.Issuer, Jti: at.ID,
			TokenType: "Bearer", CredentialType: "access_token", Team: p.TeamID}, nil
	}
	return inactive, nil
}

func numeric(d *jwt.NumericDate) int64 {
	if d == nil {
		return 0
	}
	return d.Time().Unix()
}

// RevokeAsClient revokes an API key presented by its own project (RFC 7009). Anything
// else — unknown, garbage, another project's key, an access token (short-lived, not
// stored) — changes nothing; the caller answers 200 either way. revoked reports a change.
func (s *Store) RevokeAsClient(ctx context.Context, caller *Project, token string) (revoked bool, err error) {
	if s.signer == nil {
		return false, ErrSigningUnavailable
	}
	token = strings.TrimSpace(token)
	var ak APIKeyClaims
	if s.signer.VerifyOwn(token, TypAPIKey, &ak) != nil || ak.Subject != caller.ID || ak.Issuer != s.signer.cfg.Issuer {
		return false, nil
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// By jti, not by the bytes: the signature twin (r, n−s) of a key revokes it too.
		var k APIKey
		err := tx.Where("id = ? AND project_id = ?", ak.ID, caller.ID).Take(&k).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			// Signed for the caller but its row was lost: revoke by its status reference.
			if err := s.lostKey(tx, caller, &ak, sha256Hex(token), &k); err != nil {
				if errors.Is(err, errKeyNotFound) {
					return nil
				}
				return err
			}
		} else if err != nil {
			return err
		}
		revoked, err = s.revoke(tx, Actor{Client: caller.ID}, caller, &k, revocation{action: "key.revoke", via: ViaOAuthRevoke})
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
		if k, err := IdentifierKey(a); err == nil {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return false, nil
	}
	var n int64
	err := s.db.WithContext(ctx).Model(&API{}).Where("team_id = ? AND identifier_key IN ?", teamID, keys).Count(&n).Error
	return n > 0, err
}
