package models

import "time"

// TokenTypeDelegation is the subject_token_type with which a service names a user's
// delegation kept in the credentials vault (a vaulted refresh family, "rtf_…") at the
// token endpoint (RFC 8693 leaves other token types to be defined by URI).
const TokenTypeDelegation = "urn:gatehouse:params:oauth:token-type:delegation"

// VaultTokenTTL bounds the lifetime of an access token a service obtains from the vault
// (the app's access-token lifetime and the API's cap may make it shorter).
const VaultTokenTTL = 5 * time.Minute

// CredentialGrant lets a service (a project of the app's own team) use the app's
// vaulted delegations for one API, with at most these scopes.
type CredentialGrant struct {
	ID string `gorm:"primaryKey"`
	// ProjectID is the app the users consented to.
	ProjectID string
	// ServiceID is the project that may use the delegations.
	ServiceID string
	APIID     string `gorm:"column:api_id"`
	// Scopes are space-separated.
	Scopes    string
	CreatedBy string
	CreatedAt time.Time
}

// CredentialGrantInfo is a credentials grant with the names its pages show.
type CredentialGrantInfo struct {
	ID          string
	ProjectID   string
	ServiceID   string
	ServiceName string
	APIID       string `gorm:"column:api_id"`
	APIName     string
	// APIIdentifier is the resource the service names.
	APIIdentifier string
	Scopes        string
	CreatedAt     time.Time
}

// CredentialGrantInput is what an admin asks for: a service, an API, scopes.
type CredentialGrantInput struct {
	ServiceID string
	APIID     string
	Scopes    []string
}

// VaultUse is the last use of a delegation through a credentials grant.
type VaultUse struct {
	FamilyID   string
	GrantID    string
	UserID     string
	Scopes     string
	Uses       int
	LastUsedAt time.Time
}

// VaultAccess is, for the user, a service that may act for them offline through an
// app's delegation: on the account page under Connected apps.
type VaultAccess struct {
	ProjectID   string
	APIID       string `gorm:"column:api_id"`
	ServiceName string
	APIName     string
	// Scopes are the grant's scopes within what the delegation holds.
	Scopes string
	// Uses and LastUsedAt are 0 and nil when it was never used.
	Uses       int
	LastUsedAt *time.Time
}

// VaultableAPI is an API a project's credentials grants may name, with the scopes they
// may carry at most.
type VaultableAPI struct {
	ID         string
	Name       string
	Identifier string
	Scopes     []string `gorm:"-"`
}
