package models

import (
	"strings"
	"time"
	"unicode"
)

// API is a resource server owned by a team: the audience of the credentials issued for
// it. Nobody gets a credential for it unless its team granted their project access.
type API struct {
	ID          string `gorm:"primaryKey"`
	TeamID      string
	Name        string
	Description string
	// Identifier is the aud of every credential for the API, exactly as they carry it.
	Identifier string
	// IdentifierKey is the identifier with every spelling folded together (IdentifierKey);
	// unique across the portal.
	IdentifierKey string
	// DocsURL points at the API's documentation (an OpenAPI document, say).
	DocsURL             string
	AcceptsAPIKeys      bool
	AcceptsAccessTokens bool
	// MaxTokenTTL and MaxKeyTTL cap the lifetimes of access tokens and API keys for this
	// API, in seconds; 0 leaves the portal's caps.
	MaxTokenTTL int
	MaxKeyTTL   int
	// Listed APIs appear in the catalog of every signed-in user, who may request access.
	Listed bool
	// DelegationTeams says who may delegate the API's delegable scopes to apps acting
	// for them: "" any signed-in user, else members of these teams (ids, space-separated).
	DelegationTeams string
	// LockedAt is when the first grant was made: from then on the identifier is fixed,
	// since credentials may carry it.
	LockedAt  *time.Time
	CreatedBy *string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName is the API's table.
func (API) TableName() string { return "apis" }

// APIScope is a scope an API defines.
type APIScope struct {
	APIID       string `gorm:"primaryKey;column:api_id"`
	Name        string `gorm:"primaryKey"`
	Description string
	// Delegable scopes are those users may delegate to apps acting for them (the
	// authorization code grant); set by the API's owners and admins, off by default.
	Delegable bool
	CreatedAt time.Time
}

// TableName is the scopes' table.
func (APIScope) TableName() string { return "api_scopes" }

// ScopeInput is a scope as its API's owners define it.
type ScopeInput struct {
	Name        string
	Description string
}

// APIInput is an API's editable definition.
type APIInput struct {
	Name        string
	Description string
	// Identifier may change only until the first grant (then it is ignored if unchanged
	// and refused otherwise).
	Identifier          string
	DocsURL             string
	AcceptsAPIKeys      bool
	AcceptsAccessTokens bool
	// MaxTokenTTL and MaxKeyTTL: 0 means the portal's caps.
	MaxTokenTTL time.Duration
	MaxKeyTTL   time.Duration
	Listed      bool
	// Scopes are set at creation; later they change one by one (AddScope, RemoveScope).
	Scopes []ScopeInput
}

const (
	// MaxAccessTokenTTL is the longest any access token lives (24 h).
	MaxAccessTokenTTL = 24 * time.Hour
)

// APIView is an API as one user sees it: with its scopes, its team's name and the
// user's role in that team ("" when the user sees it only through the catalog).
type APIView struct {
	API
	TeamName string
	MyRole   Role
	Scopes   []APIScope
}

// Manages reports whether the viewer may change the API and decide access to it.
func (v *APIView) Manages() bool { return v.MyRole.Can(ActAPIManage) }

// Member reports whether the viewer is in the API's team.
func (v *APIView) Member() bool { return v.MyRole.Valid() }

// ScopeNames lists the API's scope names.
func (v *APIView) ScopeNames() []string {
	out := make([]string, len(v.Scopes))
	for i, s := range v.Scopes {
		out[i] = s.Name
	}
	return out
}

// ErrIdentifierLocked refuses changing an identifier that credentials may carry.
var ErrIdentifierLocked = conflict("the identifier cannot change once access has been granted")

// ParseScopeLines reads scope definitions written one per line: the scope's name, then
// optionally its description ("orders:read Read orders", "orders:read — Read orders").
func ParseScopeLines(text string) []ScopeInput {
	var out []ScopeInput
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, desc, _ := strings.Cut(line, " ")
		if i := strings.IndexFunc(name, unicode.IsSpace); i >= 0 {
			name = name[:i]
		}
		desc = strings.TrimLeft(strings.TrimSpace(desc), "-–—:= \t")
		out = append(out, ScopeInput{Name: name, Description: strings.TrimSpace(desc)})
	}
	return out
}

// APISummary is an API in a list.
type APISummary struct {
	API
	TeamName string
	// Mine is true for APIs of the user's own teams.
	Mine bool
	// Grants counts the projects holding access.
	Grants int
	// PendingRequests counts undecided access requests (APIs of the user's teams only).
	PendingRequests int
}
