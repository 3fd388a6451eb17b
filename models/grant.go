package models

import (
	"strings"
	"time"
)

// Grant lets a project obtain credentials for an API, with scopes the API defines. Its
// API's team makes it: directly for the team's own projects, or by approving an access
// request from any project. Every issuance path checks it.
type Grant struct {
	ID        string `gorm:"primaryKey"`
	APIID     string `gorm:"column:api_id"`
	ProjectID string
	// Scopes is a space-separated subset of the API's scopes.
	Scopes string
	// Provisional grants came from before APIs had owners: they keep what a project had
	// working until the API's team decides the access request RequestID.
	Provisional bool
	// Impersonation lets the project, exchanging a token it received (RFC 8693), get a
	// token for this API that does not name it in an act claim. Set by the API's team.
	Impersonation bool
	RequestID     *string
	CreatedBy     *string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName is the grants' table.
func (Grant) TableName() string { return "api_grants" }

// ScopeList is the granted scopes.
func (g *Grant) ScopeList() []string { return strings.Fields(g.Scopes) }

// GrantInfo is a grant with the names of both sides.
type GrantInfo struct {
	Grant
	APIName         string
	Identifier      string
	APITeamID       string
	APITeamName     string
	ProjectName     string
	ProjectTeamID   string
	ProjectTeamName string
	// AcceptsAPIKeys and AcceptsAccessTokens are the API's.
	AcceptsAPIKeys      bool
	AcceptsAccessTokens bool
}
