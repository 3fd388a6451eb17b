package models

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A team's dynamic client registration policy (Team.RegistrationPolicy): whether
// software may register OAuth clients in it through POST /oauth/register (RFC 7591).
const (
	// RegistrationOff: no registration (the default); the team's initial access tokens
	// are refused.
	RegistrationOff = "off"
	// RegistrationToken: registration with one of the team's initial access tokens.
	RegistrationToken = "token"
	// RegistrationOpen: with a token, or without one when the operator also named the
	// team as the portal's open-registration team (GATEHOUSE_OPEN_REGISTRATION_TEAM).
	RegistrationOpen = "open"
)

// RegistrationPolicies are the policies, in the order the settings form lists them.
var RegistrationPolicies = []string{RegistrationOff, RegistrationToken, RegistrationOpen}

// ErrRegistrationPolicy means a policy other than RegistrationPolicies.
var ErrRegistrationPolicy = &Error{Code: CodeInvalid, Field: "registration_policy", Message: "choose off, token or open"}

// InitialAccessTokenPrefix marks initial access tokens, with which software registers
// OAuth clients in a team (RFC 7591 §3), so secret scanners recognise one.
const InitialAccessTokenPrefix = "ghiat_"

// RegistrationAccessTokenPrefix marks registration access tokens, with which a
// dynamically registered client reads, changes and deletes its registration (RFC 7592).
const RegistrationAccessTokenPrefix = "ghrat_"

// Lengths of the two tokens: prefix, 256 random bits in base62, a base62 CRC32.
const (
	InitialAccessTokenLen      = len(InitialAccessTokenPrefix) + secretBodyLen + secretCRCLen
	RegistrationAccessTokenLen = len(RegistrationAccessTokenPrefix) + secretBodyLen + secretCRCLen
)

// NewInitialAccessToken returns a fresh initial access token.
func NewInitialAccessToken() string { return newChecksummed(InitialAccessTokenPrefix) }

// NewRegistrationAccessToken returns a fresh registration access token.
func NewRegistrationAccessToken() string { return newChecksummed(RegistrationAccessTokenPrefix) }

// CheckInitialAccessTokenFormat reports whether s is a well-formed initial access token
// (prefix, length, alphabet, checksum), so a mistyped one fails before any lookup.
func CheckInitialAccessTokenFormat(s string) bool {
	return wellFormed(s, InitialAccessTokenPrefix, InitialAccessTokenLen)
}

// CheckRegistrationAccessTokenFormat is CheckInitialAccessTokenFormat for registration
// access tokens.
func CheckRegistrationAccessTokenFormat(s string) bool {
	return wellFormed(s, RegistrationAccessTokenPrefix, RegistrationAccessTokenLen)
}

// InitialAccessTokenLifetimes are the expiries an initial access token may be given, in
// days; DefaultInitialAccessTokenDays is the form's default.
var InitialAccessTokenLifetimes = []int{1, 7, 30, 90, 365}

// DefaultInitialAccessTokenDays is an initial access token's default lifetime.
const DefaultInitialAccessTokenDays = 30

// MaxInitialAccessTokenUses bounds the "maximum number of registrations" a token is given.
const MaxInitialAccessTokenUses = 100000

// InitialAccessToken is the metadata of a team's initial access token: whoever holds it
// may register OAuth clients in the team while the team's policy is not off. The token
// is shown once and stored only as its SHA-256.
type InitialAccessToken struct {
	ID     string `gorm:"primaryKey"`
	TeamID string
	Label  string
	Hash   string
	Hint   string
	// MaxUses bounds the registrations made with it; nil: no bound.
	MaxUses *int
	// Uses counts the registrations made with it.
	Uses       int
	CreatedBy  *string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// Status is "active", "expired", "revoked" or "used up" at now.
func (t *InitialAccessToken) Status(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	case t.MaxUses != nil && t.Uses >= *t.MaxUses:
		return "used up"
	}
	return "active"
}

// InitialAccessTokenInput is what an owner or admin asks for.
type InitialAccessTokenInput struct {
	Label string
	// TTL is one of InitialAccessTokenLifetimes, in days.
	TTL time.Duration
	// MaxUses bounds the registrations (0: no bound).
	MaxUses int
}

// InitialAccessTokenInfo is a token as the team's Settings page lists it.
type InitialAccessTokenInfo struct {
	InitialAccessToken
	CreatedByLabel string
}

// ClientRegistration marks a project registered through POST /oauth/register: the
// SHA-256 of its registration access token, how it was registered and the client
// metadata as registered (JSON of ClientMetadata). It goes with its project.
type ClientRegistration struct {
	ProjectID string `gorm:"primaryKey"`
	TokenHash string
	// InitialTokenID is the initial access token it was registered with; nil for an open
	// registration (or once that token is gone).
	InitialTokenID *string
	// Via says how it was registered, as the audit log says it.
	Via       string
	Metadata  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClientMetadata is the client metadata of RFC 7591 §2 that the portal registers.
// Unknown members are ignored; Scope is returned as sent and grants nothing (grants
// come from the APIs' teams).
type ClientMetadata struct {
	ClientName              string          `json:"client_name"`
	RedirectURIs            []string        `json:"redirect_uris,omitempty"`
	GrantTypes              []string        `json:"grant_types"`
	ResponseTypes           []string        `json:"response_types"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	Scope                   string          `json:"scope,omitempty"`
	Contacts                []string        `json:"contacts,omitempty"`
	ClientURI               string          `json:"client_uri,omitempty"`
	LogoURI                 string          `json:"logo_uri,omitempty"`
	// The tls_client_auth rule (RFC 8705 §2.1.2): exactly one, with that method.
	TLSClientAuthSubjectDN string `json:"tls_client_auth_subject_dn,omitempty"`
	TLSClientAuthSANDNS    string `json:"tls_client_auth_san_dns,omitempty"`
	TLSClientAuthSANURI    string `json:"tls_client_auth_san_uri,omitempty"`
	TLSClientAuthSANIP     string `json:"tls_client_auth_san_ip,omitempty"`
	TLSClientAuthSANEmail  string `json:"tls_client_auth_san_email,omitempty"`
	// CertificateBoundTokens is tls_client_certificate_bound_access_tokens (RFC 8705 §3.4).
	CertificateBoundTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`
	// Keys are JWKS's keys, parsed (private_key_jwt), kept as their public JWK JSON.
	Keys []ClientKeyInput `json:"-"`
}

// The token endpoint authentication methods of RFC 7591 §2 the portal registers.
const (
	AuthMethodNone              = "none"
	AuthMethodClientSecretBasic = "client_secret_basic"
	AuthMethodClientSecretPost  = "client_secret_post"
	AuthMethodPrivateKeyJWT     = "private_key_jwt"
	// AuthTLSClientAuth and AuthSelfSignedTLS (RFC 8705 §2) are registered by their
	// own names.
)

// RegistrationGrantTypes are the grant types a client may register.
var RegistrationGrantTypes = []string{GrantAuthorizationCode, GrantClientCredentials, GrantJWTBearer, GrantRefreshToken}

// The RFC 7591 §3.2.2 error codes.
const (
	ErrCodeInvalidClientMetadata = "invalid_client_metadata"
	ErrCodeInvalidRedirectURI    = "invalid_redirect_uri"
	// ErrCodeInvalidToken (RFC 6750 §3.1): a missing, unknown, expired, revoked or used
	// up initial or registration access token.
	ErrCodeInvalidToken = "invalid_token"
)

// Bounds of client metadata.
const (
	maxClientNameLen = 80
	maxContacts      = 10
	maxRegisteredKey = 10
	maxMetadataURI   = 2000
	maxScopeLen      = 1000
)

// badMetadata is invalid_client_metadata with a sentence.
func badMetadata(msg string) *OAuthError { return NewOAuthError(ErrCodeInvalidClientMetadata, msg) }

// ParseClientMetadata reads and checks a registration request's JSON body (RFC 7591
// §2, §3.1) and fills in the defaults: client_name (defaultName when absent),
// grant_types ["authorization_code"], response_types ["code"] when the code grant is
// registered, token_endpoint_auth_method "client_secret_basic". A refusal is an
// *OAuthError: invalid_redirect_uri for a redirect URI, invalid_client_metadata for
// anything else, each with a sentence.
func ParseClientMetadata(body []byte, defaultName string) (ClientMetadata, error) {
	var md ClientMetadata
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return md, badMetadata("The body must be a JSON object of client metadata.")
	}
	field := func(name string, dst any, want string) error {
		v, ok := raw[name]
		if !ok || string(v) == "null" {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return badMetadata(name + " must be " + want + ".")
		}
		return nil
	}
	var jwksURI string
	for _, f := range []struct {
		name string
		dst  any
		want string
	}{
		{"client_name", &md.ClientName, "a string"},
		{"redirect_uris", &md.RedirectURIs, "an array of strings"},
		{"grant_types", &md.GrantTypes, "an array of strings"},
		{"response_types", &md.ResponseTypes, "an array of strings"},
		{"token_endpoint_auth_method", &md.TokenEndpointAuthMethod, "a string"},
		{"jwks_uri", &jwksURI, "a string"},
		{"scope", &md.Scope, "a string"},
		{"contacts", &md.Contacts, "an array of strings"},
		{"client_uri", &md.ClientURI, "a string"},
		{"logo_uri", &md.LogoURI, "a string"},
		{"tls_client_auth_subject_dn", &md.TLSClientAuthSubjectDN, "a string"},
		{"tls_client_auth_san_dns", &md.TLSClientAuthSANDNS, "a string"},
		{"tls_client_auth_san_uri", &md.TLSClientAuthSANURI, "a string"},
		{"tls_client_auth_san_ip", &md.TLSClientAuthSANIP, "a string"},
		{"tls_client_auth_san_email", &md.TLSClientAuthSANEmail, "a string"},
		{"tls_client_certificate_bound_access_tokens", &md.CertificateBoundTokens, "true or false"},
	} {
		if err := field(f.name, f.dst, f.want); err != nil {
			return md, err
		}
	}
	if v, ok := raw["jwks"]; ok && string(v) != "null" {
		md.JWKS = v
	}
	if jwksURI != "" {
		return md, badMetadata("jwks_uri is not supported here: send the public keys inline as jwks.")
	}
	return md, md.check(defaultName)
}

// check validates md and fills in its defaults.
func (md *ClientMetadata) check(defaultName string) error {
	md.ClientName = strings.TrimSpace(md.ClientName)
	if md.ClientName == "" {
		md.ClientName = defaultName
	}
	if len([]rune(md.ClientName)) > maxClientNameLen || strings.ContainsFunc(md.ClientName, isControl) {
		return badMetadata("client_name must be at most 80 characters, without control characters.")
	}
	if md.GrantTypes == nil {
		md.GrantTypes = []string{GrantAuthorizationCode}
	}
	var grants []string
	for _, g := range md.GrantTypes {
		switch {
		case g == "implicit" || g == "password":
			return badMetadata("The grant type " + QuoteForError(g) + " is not allowed here (RFC 9700): use authorization_code with PKCE or client_credentials.")
		case !slices.Contains(RegistrationGrantTypes, g):
			return badMetadata("The grant type " + QuoteForError(g) + " is not supported; use authorization_code, client_credentials, refresh_token or " + GrantJWTBearer + ".")
		case !slices.Contains(grants, g):
			grants = append(grants, g)
		}
	}
	if len(grants) == 0 {
		return badMetadata("grant_types must name at least one grant type.")
	}
	md.GrantTypes = grants
	code := slices.Contains(grants, GrantAuthorizationCode)
	if slices.Contains(grants, GrantRefreshToken) && len(grants) == 1 {
		return badMetadata("refresh_token needs a grant that issues refresh tokens (authorization_code).")
	}
	if md.ResponseTypes == nil && code {
		md.ResponseTypes = []string{"code"}
	}
	for _, r := range md.ResponseTypes {
		if r != "code" {
			return badMetadata("The response type " + QuoteForError(r) + " is not supported; only code is.")
		}
	}
	if len(md.ResponseTypes) > 0 && !code {
		return badMetadata("response_types code needs the authorization_code grant type.")
	}
	if code && len(md.ResponseTypes) == 0 {
		return badMetadata("The authorization_code grant type needs the response type code.")
	}
	md.ResponseTypes = slices.Compact(md.ResponseTypes)
	if md.ResponseTypes == nil {
		md.ResponseTypes = []string{}
	}
	if err := md.checkRedirects(code); err != nil {
		return err
	}
	if md.TokenEndpointAuthMethod == "" {
		md.TokenEndpointAuthMethod = AuthMethodClientSecretBasic
	}
	switch md.TokenEndpointAuthMethod {
	case AuthMethodNone:
		if !code || slices.ContainsFunc(grants, func(g string) bool { return g != GrantAuthorizationCode && g != GrantRefreshToken }) {
			return badMetadata("A public client (token_endpoint_auth_method none) may only use authorization_code (and refresh_token).")
		}
	case AuthMethodClientSecretBasic, AuthMethodClientSecretPost:
	case AuthMethodPrivateKeyJWT, AuthSelfSignedTLS:
		if err := md.checkKeys(); err != nil {
			return err
		}
		if md.TokenEndpointAuthMethod == AuthSelfSignedTLS && !slices.ContainsFunc(md.Keys, func(k ClientKeyInput) bool {
			return strings.Contains(k.Material, `"x5c"`)
		}) {
			return badMetadata("self_signed_tls_client_auth needs the client's certificates: jwks keys with x5c.")
		}
	case AuthTLSClientAuth:
	default:
		return badMetadata("The token_endpoint_auth_method " + QuoteForError(md.TokenEndpointAuthMethod) +
			" is not supported; use none, client_secret_basic, client_secret_post, private_key_jwt, tls_client_auth or self_signed_tls_client_auth.")
	}
	if md.TokenEndpointAuthMethod != AuthMethodPrivateKeyJWT && md.TokenEndpointAuthMethod != AuthSelfSignedTLS && md.JWKS != nil {
		return badMetadata("jwks is only used with token_endpoint_auth_method private_key_jwt or self_signed_tls_client_auth.")
	}
	if err := md.checkTLSRule(); err != nil {
		return err
	}
	if len(md.Scope) > maxScopeLen || strings.ContainsFunc(md.Scope, isControl) {
		return badMetadata("scope must be at most 1000 characters, without control characters.")
	}
	if len(md.Contacts) > maxContacts {
		return badMetadata("contacts may hold at most 10 addresses.")
	}
	for _, c := range md.Contacts {
		if c == "" || len(c) > 200 || strings.ContainsFunc(c, isControl) {
			return badMetadata("Each contact must be a non-empty address of at most 200 characters.")
		}
	}
	for name, uri := range map[string]string{"client_uri": md.ClientURI, "logo_uri": md.LogoURI} {
		if uri == "" {
			continue
		}
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(uri) > maxMetadataURI {
			return badMetadata(name + " must be an https URL.")
		}
	}
	return nil
}

// checkRedirects checks the redirect URIs as the project settings do.
func (md *ClientMetadata) checkRedirects(code bool) error {
	var out []string
	for _, r := range md.RedirectURIs {
		if msg := CheckRedirectURI(r); msg != "" {
			return NewOAuthError(ErrCodeInvalidRedirectURI, msg)
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if len(out) > MaxRedirectURIs {
		return NewOAuthError(ErrCodeInvalidRedirectURI, "Register at most 20 redirect URIs.")
	}
	if code && len(out) == 0 {
		return NewOAuthError(ErrCodeInvalidRedirectURI, "The authorization_code grant type needs at least one redirect URI.")
	}
	md.RedirectURIs = out
	return nil
}

// TLSRule is the tls_client_auth rule the metadata registers (a zero rule: none).
func (md *ClientMetadata) TLSRule() TLSAuthRule {
	for _, f := range []struct{ field, value string }{{"subject_dn", md.TLSClientAuthSubjectDN},
		{"san_dns", md.TLSClientAuthSANDNS}, {"san_uri", md.TLSClientAuthSANURI}, {"san_ip", md.TLSClientAuthSANIP},
		{"san_email", md.TLSClientAuthSANEmail}} {
		if f.value != "" {
			return TLSAuthRule{Field: f.field, Value: f.value}
		}
	}
	return TLSAuthRule{}
}

// checkTLSRule: tls_client_auth registers exactly one valid tls_client_auth_* value,
// and no other method registers any.
func (md *ClientMetadata) checkTLSRule() error {
	n := 0
	for _, v := range []string{md.TLSClientAuthSubjectDN, md.TLSClientAuthSANDNS, md.TLSClientAuthSANURI, md.TLSClientAuthSANIP, md.TLSClientAuthSANEmail} {
		if v != "" {
			n++
		}
	}
	switch {
	case md.TokenEndpointAuthMethod != AuthTLSClientAuth && n > 0:
		return badMetadata("tls_client_auth_* values are only used with token_endpoint_auth_method tls_client_auth.")
	case md.TokenEndpointAuthMethod == AuthTLSClientAuth && n != 1:
		return badMetadata("tls_client_auth needs exactly one of tls_client_auth_subject_dn, tls_client_auth_san_dns, " +
			"tls_client_auth_san_uri, tls_client_auth_san_ip and tls_client_auth_san_email.")
	case n == 1:
		r := md.TLSRule()
		if _, msg := CheckTLSAuthRule(r.Field, r.Value); msg != "" {
			return badMetadata("tls_client_auth_" + r.Field + ": " + sentence(msg))
		}
	}
	return nil
}

// checkKeys reads jwks (a JWK Set of public keys) for private_key_jwt.
func (md *ClientMetadata) checkKeys() error {
	if md.JWKS == nil {
		return badMetadata("private_key_jwt needs the client's public keys as jwks (jwks_uri is not supported).")
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(md.JWKS, &set); err != nil || len(set.Keys) == 0 {
		return badMetadata(`jwks must be a JWK Set: {"keys": [ … ]} with at least one public key.`)
	}
	if len(set.Keys) > maxRegisteredKey {
		return badMetadata("jwks may hold at most 10 keys.")
	}
	md.Keys = nil
	for i, k := range set.Keys {
		jwk, err := ParseClientKey(string(k))
		if err != nil {
			return badMetadata("jwks key " + strconv.Itoa(i+1) + ": " + sentence(err.Error()))
		}
		pub, err := jwk.MarshalJSON()
		if err != nil {
			return badMetadata("jwks key " + strconv.Itoa(i+1) + " cannot be read.")
		}
		md.Keys = append(md.Keys, ClientKeyInput{Name: "registered " + jwk.KeyID, Material: string(pub)})
	}
	return nil
}

// ProjectGrantTypes are the grant types a project registered with md allows, of those
// the portal implements (implemented lists them): refresh_token is registered only
// where the token endpoint has it.
func (md *ClientMetadata) ProjectGrantTypes(implemented []string) []string {
	var out []string
	for _, g := range md.GrantTypes {
		if slices.Contains(implemented, g) {
			out = append(out, g)
		}
	}
	return out
}

// UsesSecret reports whether the client authenticates with a client secret.
func (md *ClientMetadata) UsesSecret() bool {
	return md.TokenEndpointAuthMethod == AuthMethodClientSecretBasic || md.TokenEndpointAuthMethod == AuthMethodClientSecretPost
}

// RegisteredClient is a registration as RFC 7591 §3.2.1 and RFC 7592 §3 answer it.
type RegisteredClient struct {
	ClientID         string `json:"client_id"`
	ClientIDIssuedAt int64  `json:"client_id_issued_at"`
	// ClientSecret and RegistrationAccessToken are set only in the answer that created
	// them; ClientSecretExpiresAt only with a client secret.
	ClientSecret            string `json:"client_secret,omitempty"`
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"`
	RegistrationAccessToken string `json:"registration_access_token,omitempty"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	ClientMetadata
}

// ErrRegistrationToken answers a missing, malformed, unknown, expired, revoked or used
// up token at the registration endpoints: one answer, so a caller learns nothing of which.
var ErrRegistrationToken = NewOAuthError(ErrCodeInvalidToken,
	"The access token is missing, invalid, expired, revoked or used up, or registration is not open here.")

// isControl reports control characters.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// sentence capitalises msg's first letter and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
