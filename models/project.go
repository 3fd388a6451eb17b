package models

import (
	"slices"
	"strings"
	"time"
)

// Grant types a project may allow.
const (
	GrantClientCredentials = "client_credentials"
	// GrantJWTBearer exchanges a JWT the client signed for an access token (RFC 7523 §2.1).
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// DefaultAccessTokenTTL is a new project's access-token lifetime.
const DefaultAccessTokenTTL = 15 * time.Minute

// Project belongs to a team and is an OAuth client: its ID is the public client_id
// (prefix "prj_", which no user id or provider subject of ours carries).
type Project struct {
	ID          string `gorm:"primaryKey"`
	TeamID      string
	Name        string
	Description string
	// GrantTypes is a space-separated list.
	GrantTypes string
	// AccessTokenTTL is in seconds.
	AccessTokenTTL int
	// AuthMethods are the client authentication methods it accepts (space-separated
	// AuthClientSecret, AuthPrivateKeyJWT).
	AuthMethods string
	// RedirectURIs are the registered redirect URIs of the authorization code grant, one
	// per line (RedirectURIList, MatchesRedirectURI).
	RedirectURIs string `gorm:"column:redirect_uris"`
	// PublicClient marks an app that cannot keep a secret (a native or browser app): at
	// the token endpoint it sends only its client_id, and PKCE is its proof.
	PublicClient bool
	// RequirePushedAuthorization makes the authorization endpoint refuse its requests
	// unless they were pushed to /oauth/par first (RFC 9126 §6).
	RequirePushedAuthorization bool
	// RequireDPoP makes the token endpoint refuse its token requests that carry no DPoP
	// proof (RFC 9449): every access token it gets is sender-constrained.
	RequireDPoP bool `gorm:"column:require_dpop"`
	// TLSAuthField and TLSAuthValue are its tls_client_auth rule (RFC 8705 §2.1.2): the
	// certificate field (one of TLSAuthFields) that must hold the value.
	TLSAuthField string `gorm:"column:tls_auth_field"`
	TLSAuthValue string `gorm:"column:tls_auth_value"`
	// CertificateBoundTokens binds its access and refresh tokens to the TLS client
	// certificate it presents, whatever it authenticates with (RFC 8705 §3), and makes
	// the token endpoint refuse its requests that present none.
	CertificateBoundTokens bool `gorm:"column:certificate_bound_tokens"`
	// AccessTokenFormat is AccessTokenFormatJWT (default) or AccessTokenFormatReference:
	// whether the access tokens it is issued are JWTs or opaque reference tokens.
	AccessTokenFormat string
	CreatedBy         *string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	// Grants are the APIs the project may get credentials for, loaded with the project
	// where issuance needs them (client authentication, assertions).
	Grants []IssuableGrant `gorm:"-"`

	// RefreshTokens is the refresh-token policy (RefreshPolicies); RefreshIdleTTL and
	// RefreshAbsoluteTTL are the lifetimes in seconds.
	RefreshTokens      string `gorm:"default:offline_access"`
	RefreshIdleTTL     int    `gorm:"column:refresh_idle_ttl;default:1209600"`
	RefreshAbsoluteTTL int    `gorm:"column:refresh_absolute_ttl;default:7776000"`
	// Vault keeps the users' offline access inside Gatehouse (the credentials vault): a
	// user's refresh family is recorded but its token is never handed to the app.
	Vault bool
}

// ClientID is the project's OAuth client_id.
func (p *Project) ClientID() string { return p.ID }

// GrantTypeList is the allowed grant types.
func (p *Project) GrantTypeList() []string { return strings.Fields(p.GrantTypes) }

// AllowsGrant reports whether the project may use grant type g.
func (p *Project) AllowsGrant(g string) bool { return slices.Contains(p.GrantTypeList(), g) }

// AcceptsAuth reports whether the project accepts client authentication method m.
func (p *Project) AcceptsAuth(m string) bool {
	return slices.Contains(strings.Fields(p.AuthMethods), m)
}

// IssuesReferenceTokens reports whether the project's access tokens are reference
// tokens.
func (p *Project) IssuesReferenceTokens() bool {
	return p.AccessTokenFormat == AccessTokenFormatReference
}

// TokenTTL is the access-token lifetime.
func (p *Project) TokenTTL() time.Duration { return time.Duration(p.AccessTokenTTL) * time.Second }

// ProjectView is a project as one team member sees it.
type ProjectView struct {
	Project
	TeamName string
	MyRole   Role
}

// ProjectSettings are a project's editable settings.
type ProjectSettings struct {
	Name        string
	Description string
	// TokenTTLMinutes is the access-token lifetime in minutes (1–1440).
	TokenTTLMinutes int
	GrantTypes      []string
	// AuthMethods are the accepted client authentication methods (at least one); nil
	// leaves them as they are.
	AuthMethods []string
	// RedirectURIs is the settings field, one URI per line; nil leaves them as they are.
	RedirectURIs *string
	// PublicClient: nil leaves it as it is.
	PublicClient *bool
	// RequirePushedAuthorization: nil leaves it as it is.
	RequirePushedAuthorization *bool
	// RequireDPoP: nil leaves it as it is.
	RequireDPoP *bool
	// TLSAuth is the tls_client_auth rule; nil leaves it as it is.
	TLSAuth *TLSAuthRule
	// CertificateBoundTokens: nil leaves it as it is.
	CertificateBoundTokens *bool

	// AccessTokenFormat is AccessTokenFormatJWT or AccessTokenFormatReference; empty
	// leaves it as it is.
	AccessTokenFormat string

	// Refresh is the refresh-token policy; nil leaves it as it is.
	Refresh *RefreshPolicy
}

// TLSAuthRule is a tls_client_auth rule: Field one of TLSAuthFields ("" with Value ""
// clears it).
type TLSAuthRule struct {
	Field, Value string
}

// ProjectSummary is a project in a list, with its team's name.
type ProjectSummary struct {
	Project
	TeamName string
}
