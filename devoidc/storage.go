package devoidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Upper bounds on the in-memory maps. Expired entries are pruned on every
// insert; these caps only matter if something floods the provider.
const (
	maxAuthRequests = 10000
	maxAccessTokens = 10000
)

var (
	errNotFound     = errors.New("devoidc: sign-in request not found or expired")
	errNotSupported = errors.New("devoidc: not supported by the development provider")
	errCodeInvalid  = errors.New("devoidc: code invalid, expired or already used")
)

// storage is the provider's in-memory op.Storage. Everything is guarded by mu.
type storage struct {
	now     func() time.Time
	clients map[string]*client // read-only after construction
	signing *signingKey

	mu           sync.Mutex
	authRequests map[string]*authRequest // by ID
	codes        map[string]string       // code -> auth request ID
	tokens       map[string]*accessToken // by ID
}

var (
	_ op.Storage                   = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest = (*storage)(nil)
)

func newStorage(now func() time.Time, clients map[string]*client, signing *signingKey) *storage {
	return &storage{
		now:          now,
		clients:      clients,
		signing:      signing,
		authRequests: make(map[string]*authRequest),
		codes:        make(map[string]string),
		tokens:       make(map[string]*accessToken),
	}
}

// pruneLocked removes expired auth requests (with their codes) and access tokens.
func (s *storage) pruneLocked(now time.Time) {
	for id, ar := range s.authRequests {
		if ar.expired(now) {
			s.deleteAuthRequestLocked(id)
		}
	}
	for id, t := range s.tokens {
		if t.expired(now) {
			delete(s.tokens, id)
		}
	}
}

func (s *storage) deleteAuthRequestLocked(id string) {
	if ar, ok := s.authRequests[id]; ok && ar.code != "" {
		delete(s.codes, ar.code)
	}
	delete(s.authRequests, id)
}

// CreateAuthRequest stores a validated authorization request. PKCE with S256
// and the openid scope are required; prompt=none cannot succeed because the
// provider keeps no sessions.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired().WithDescription("the development provider has no sessions; prompt=none is not possible")
	}
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return nil, oidc.ErrInvalidScope().WithDescription("the openid scope is required")
	}
	if req.ResponseType != oidc.ResponseTypeCode { // op already checks the client's response types
		return nil, oidc.ErrInvalidRequest().WithDescription("only response_type=code is supported")
	}
	if req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE with code_challenge_method=S256 is required")
	}
	id, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	now := s.now()
	ar := &authRequest{
		id:           id,
		created:      now,
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		acrValues:    slices.Clone([]string(req.ACRValues)),
		scopes:       slices.Clone(req.Scopes),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		codeChallenge: &oidc.CodeChallenge{
			Challenge: req.CodeChallenge,
			Method:    req.CodeChallengeMethod,
		},
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	if len(s.authRequests) >= maxAuthRequests {
		return nil, oidc.ErrServerError().WithDescription("too many pending sign-in requests; try again later")
	}
	s.authRequests[id] = ar
	return ar.snapshot(), nil
}

// AuthRequestByID returns a pending, unexpired auth request.
func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authRequests[id]
	if !ok || ar.expired(s.now()) {
		return nil, errNotFound
	}
	return ar.snapshot(), nil
}

// AuthRequestByCode returns the signed-in auth request a code was issued
// for. The code is redeemed (removed) only by CreateAccessToken, i.e. after
// op has authenticated the client and checked PKCE, so a failed attempt does
// not burn the code but a successful one makes every later attempt fail.
func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authRequests[s.codes[code]]
	if !ok || ar.code != code || !ar.done || ar.expired(s.now()) {
		return nil, errCodeInvalid
	}
	return ar.snapshot(), nil
}

// SaveAuthCode binds code to the auth request; a previous code of the same
// request is invalidated.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authRequests[id]
	if !ok || ar.expired(s.now()) {
		return errNotFound
	}
	if ar.code != "" {
		delete(s.codes, ar.code)
	}
	ar.code = code
	s.codes[code] = id
	return nil
}

// DeleteAuthRequest removes the auth request and its code.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteAuthRequestLocked(id)
	return nil
}

// completeAuthRequest marks the auth request as signed in by u.
func (s *storage) completeAuthRequest(id string, u user) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ar, ok := s.authRequests[id]
	if !ok || ar.expired(now) {
		return errNotFound
	}
	ar.user = u
	ar.done = true
	ar.authTime = now
	return nil
}

// pendingClientID returns the client of a pending auth request.
func (s *storage) pendingClientID(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authRequests[id]
	if !ok || ar.expired(s.now()) {
		return "", false
	}
	return ar.clientID, true
}

// CreateAccessToken redeems the authorization code of req and records an
// access token for the userinfo endpoint.
func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	ar, ok := req.(*authRequest)
	if !ok {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType().WithParent(errNotSupported)
	}
	id, err := randomHex(16)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now()
	t := &accessToken{
		id:         id,
		clientID:   ar.clientID,
		user:       ar.user,
		scopes:     ar.scopes,
		expiration: now.Add(accessTokenLifetime),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Redeem the code atomically: of two concurrent exchanges only one
	// finds the auth request still bound to its code.
	cur, ok := s.authRequests[ar.id]
	if !ok || ar.code == "" || cur.code != ar.code {
		return "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("invalid code").WithParent(errCodeInvalid)
	}
	s.deleteAuthRequestLocked(ar.id)
	s.pruneLocked(now)
	if len(s.tokens) >= maxAccessTokens {
		return "", time.Time{}, oidc.ErrServerError().WithDescription("too many access tokens; try again later")
	}
	s.tokens[id] = t
	// op turns the expiry into expires_in and the ID token's lifetime against the real
	// clock: give it one on that clock, whatever clock the bookkeeping runs on (a
	// test's frozen one would make every token issued minutes into the test expired).
	return id, time.Now().Add(accessTokenLifetime), nil
}

// CreateAccessAndRefreshTokens is not supported: no refresh tokens.
func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not supported").WithParent(errNotSupported)
}

// TokenRequestByRefreshToken is not supported: no refresh tokens.
func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, oidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not supported").WithParent(errNotSupported)
}

// TerminateSession drops the user's access tokens for the client.
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.user.subject == userID && t.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	return nil
}

// RevokeToken revokes an access token of the client; unknown tokens are ignored.
func (s *storage) RevokeToken(_ context.Context, tokenID, _ string, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok {
		return nil
	}
	if t.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was not issued for this client")
	}
	delete(s.tokens, tokenID)
	return nil
}

// GetRefreshTokenInfo reports that no token is a refresh token.
func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

// SigningKey returns the RS256 signing key.
func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.signing, nil }

// SignatureAlgorithms returns RS256.
func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet returns the public signing key for the JWKS endpoint.
func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{s.signing}}, nil
}

// GetClientByClientID returns a registered client.
func (s *storage) GetClientByClientID(_ context.Context, clientID string) (op.Client, error) {
	c, ok := s.clients[clientID]
	if !ok {
		return nil, errors.New("devoidc: unknown client")
	}
	return c, nil
}

// AuthorizeClientIDSecret checks a client's secret in constant time.
func (s *storage) AuthorizeClientIDSecret(_ context.Context, clientID, secret string) error {
	c, ok := s.clients[clientID]
	if !ok || subtle.ConstantTimeCompare([]byte(c.secret), []byte(secret)) != 1 {
		return errors.New("devoidc: invalid client credentials")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in op; SetUserinfoFromRequest does the work.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest puts the signed-in user's claims into the ID token.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	ar, ok := req.(*authRequest)
	if !ok {
		return errNotSupported
	}
	setUserinfo(info, ar.user, scopes)
	return nil
}

// SetUserinfoFromToken serves the userinfo endpoint.
func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	now := s.now()
	s.mu.Unlock()
	if !ok || t.expired(now) || t.user.subject != subject {
		return errors.New("devoidc: access token invalid or expired")
	}
	setUserinfo(info, t.user, t.scopes)
	return nil
}

// SetIntrospectionFromToken is not supported.
func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errNotSupported
}

// GetPrivateClaimsFromScopes returns no private claims (access tokens are opaque).
func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID is not supported (no JWT profile / private_key_jwt).
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotSupported
}

// ValidateJWTProfileScopes is not supported (no JWT profile grant).
func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errNotSupported
}

// Health always reports healthy.
func (s *storage) Health(context.Context) error { return nil }
