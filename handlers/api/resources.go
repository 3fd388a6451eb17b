package api

import (
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// The JSON representations of /api/v1. Times are RFC 3339 in UTC; absent optional
// times are null. Each is built from the domain value alone, so the ETag of a
// representation can be computed again inside a changing transaction.

type teamJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Personal  bool      `json:"personal"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

type memberJSON struct {
	UserID   string    `json:"user_id"`
	Name     string    `json:"name"`
	Email    string    `json:"email"`
	Role     string    `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
	// Kind is "person" or "service_account".
	Kind string `json:"kind"`
}

type projectJSON struct {
	ID                    string    `json:"id"`
	TeamID                string    `json:"team_id"`
	Name                  string    `json:"name"`
	Description           string    `json:"description"`
	ClientID              string    `json:"client_id"`
	GrantTypes            []string  `json:"grant_types"`
	AuthMethods           []string  `json:"auth_methods"`
	RedirectURIs          []string  `json:"redirect_uris"`
	PublicClient          bool      `json:"public_client"`
	RequirePAR            bool      `json:"require_pushed_authorization_requests"`
	RequireDPoP           bool      `json:"require_dpop"`
	RefreshTokens         string    `json:"refresh_tokens"`
	RefreshIdleDays       int       `json:"refresh_idle_days"`
	RefreshAbsoluteDays   int       `json:"refresh_absolute_days"`
	AccessTokenTTLMinutes int       `json:"access_token_ttl_minutes"`
	AccessTokenFormat     string    `json:"access_token_format"`
	CreatedAt             time.Time `json:"created_at"`
	UpdatedAt             time.Time `json:"updated_at"`

	// The mutual-TLS settings (RFC 8705): the tls_client_auth rule (nil: none), and
	// whether tokens are bound to the client's certificate.
	TLSClientAuth          *tlsClientAuthJSON `json:"tls_client_auth"`
	CertificateBoundTokens bool               `json:"tls_client_certificate_bound_access_tokens"`
}

// tlsClientAuthJSON is a tls_client_auth rule: the certificate field and its value.
type tlsClientAuthJSON struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// tlsClientAuthOf is the project's rule, or nil.
func tlsClientAuthOf(p *models.Project) *tlsClientAuthJSON {
	if p.TLSAuthField == "" {
		return nil
	}
	return &tlsClientAuthJSON{Field: p.TLSAuthField, Value: p.TLSAuthValue}
}

func projectOf(p *models.Project) projectJSON {
	return projectJSON{ID: p.ID, TeamID: p.TeamID, Name: p.Name, Description: p.Description, ClientID: p.ClientID(),
		GrantTypes: fields(p.GrantTypes), AuthMethods: fields(p.AuthMethods), RedirectURIs: fields(p.RedirectURIs),
		PublicClient: p.PublicClient, RequirePAR: p.RequirePushedAuthorization, RequireDPoP: p.RequireDPoP, AccessTokenTTLMinutes: p.AccessTokenTTL / 60,
		AccessTokenFormat: p.AccessTokenFormat,
		RefreshTokens:     p.RefreshTokens, RefreshIdleDays: p.RefreshIdleTTL / 86400, RefreshAbsoluteDays: p.RefreshAbsoluteTTL / 86400,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(),
		TLSClientAuth: tlsClientAuthOf(p), CertificateBoundTokens: p.CertificateBoundTokens}
}

type apiKeyJSON struct {
	ID         string     `json:"id"`
	ProjectID  string     `json:"project_id"`
	Name       string     `json:"name"`
	Audiences  []string   `json:"audiences"`
	Scopes     []string   `json:"scopes"`
	Status     string     `json:"status"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func apiKeyOf(k models.APIKeyInfo, now time.Time) apiKeyJSON {
	out := apiKeyJSON{ID: k.ID, Name: k.Name, Audiences: fields(k.Audiences), Scopes: fields(k.Scopes), Status: k.Status(now),
		CreatedBy: k.CreatedByLabel, CreatedAt: k.CreatedAt.UTC(), ExpiresAt: k.ExpiresAt.UTC(), RevokedAt: utc(k.RevokedAt), LastUsedAt: utc(k.LastUsedAt)}
	if k.ProjectID != nil {
		out.ProjectID = *k.ProjectID
	}
	return out
}

type apiKeyCreatedJSON struct {
	apiKeyJSON
	// Value is the key itself, in this response only.
	Value string `json:"value"`
}

type secretJSON struct {
	ID         string     `json:"id"`
	ProjectID  string     `json:"project_id"`
	Name       string     `json:"name"`
	Hint       string     `json:"hint"`
	Status     string     `json:"status"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func secretOf(s models.ClientSecretInfo, now time.Time) secretJSON {
	return secretJSON{ID: s.ID, ProjectID: s.ProjectID, Name: s.Name, Hint: s.Hint, Status: s.Status(now), CreatedBy: s.CreatedByLabel,
		CreatedAt: s.CreatedAt.UTC(), ExpiresAt: utc(s.ExpiresAt), RevokedAt: utc(s.RevokedAt), LastUsedAt: utc(s.LastUsedAt)}
}

type secretCreatedJSON struct {
	secretJSON
	// Value is the secret itself, in this response only.
	Value string `json:"value"`
}

type apiJSON struct {
	ID                  string      `json:"id"`
	TeamID              string      `json:"team_id"`
	TeamName            string      `json:"team_name"`
	Name                string      `json:"name"`
	Description         string      `json:"description"`
	Identifier          string      `json:"identifier"`
	DocsURL             string      `json:"docs_url"`
	AcceptsAPIKeys      bool        `json:"accepts_api_keys"`
	AcceptsAccessTokens bool        `json:"accepts_access_tokens"`
	MaxTokenTTLMinutes  int         `json:"max_token_ttl_minutes"`
	MaxKeyTTLDays       int         `json:"max_key_ttl_days"`
	Listed              bool        `json:"listed"`
	Mine                bool        `json:"mine"`
	Scopes              []scopeJSON `json:"scopes,omitempty"`
	CreatedAt           time.Time   `json:"created_at"`
}

type scopeJSON struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func apiOf(a *models.API, teamName string, mine bool) apiJSON {
	return apiJSON{ID: a.ID, TeamID: a.TeamID, TeamName: teamName, Name: a.Name, Description: a.Description, Identifier: a.Identifier,
		DocsURL: a.DocsURL, AcceptsAPIKeys: a.AcceptsAPIKeys, AcceptsAccessTokens: a.AcceptsAccessTokens,
		MaxTokenTTLMinutes: a.MaxTokenTTL / 60, MaxKeyTTLDays: a.MaxKeyTTL / 86400, Listed: a.Listed, Mine: mine,
		CreatedAt: a.CreatedAt.UTC()}
}

// apiDetailOf is an API as one reader sees it, with its scopes: GET /apis/{api}'s
// answer, whose ETag changes guard.
func apiDetailOf(v *models.APIView) apiJSON {
	out := apiOf(&v.API, v.TeamName, v.Member())
	out.Scopes = make([]scopeJSON, len(v.Scopes))
	for i, s := range v.Scopes {
		out.Scopes[i] = scopeJSON{Name: s.Name, Description: s.Description}
	}
	return out
}

type grantJSON struct {
	ID          string   `json:"id"`
	APIID       string   `json:"api_id"`
	ProjectID   string   `json:"project_id"`
	ProjectName string   `json:"project_name"`
	TeamID      string   `json:"team_id"`
	TeamName    string   `json:"team_name"`
	Scopes      []string `json:"scopes"`
	// Impersonation: the project may exchange a token it received for a token for this
	// API that does not name it in an act claim (RFC 8693).
	Impersonation bool      `json:"impersonation"`
	CreatedAt     time.Time `json:"created_at"`
}

type auditEventJSON struct {
	ID          string         `json:"id"`
	At          time.Time      `json:"at"`
	Actor       string         `json:"actor"`
	ActorID     string         `json:"actor_id"`
	Action      string         `json:"action"`
	ProjectID   string         `json:"project_id"`
	TargetType  string         `json:"target_type"`
	TargetID    string         `json:"target_id"`
	TargetLabel string         `json:"target"`
	Details     map[string]any `json:"details"`
	IP          string         `json:"ip"`
}

type usageJSON struct {
	ProjectID string         `json:"project_id"`
	Days      []usageDayJSON `json:"days"`
}

type usageDayJSON struct {
	Day           string `json:"day"`
	Tokens        int64  `json:"tokens"`
	KeysCreated   int64  `json:"keys_created"`
	Revocations   int64  `json:"revocations"`
	Verifications int64  `json:"verifications"`
}

// fields splits a space-separated list; never nil.
func fields(s string) []string {
	f := strings.Fields(s)
	if f == nil {
		return []string{}
	}
	return f
}

// utc is t in UTC, or nil.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// timeKey is a sort key of t that orders as t does.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
