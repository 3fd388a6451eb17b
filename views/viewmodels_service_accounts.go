package views

import "time"

// ServiceAccountsVM is the Service accounts section of the team's Members tab.
type ServiceAccountsVM struct {
	CanManage bool
	Accounts  []ServiceAccountRow
	Form      ServiceAccountForm
}

// ServiceAccountRow is one service account.
type ServiceAccountRow struct {
	ID, Name, Description, Role, CreatedBy string
	CreatedAt                              time.Time
}

// ServiceAccountForm creates a service account (roles offered: what the viewer may
// grant, never owner).
type ServiceAccountForm struct {
	Name, Description, Role string
	RoleOptions             []RoleOption
	Errors                  map[string]string
}

// ServiceAccountVM is a service account's page: how it authenticates and gets a token.
type ServiceAccountVM struct {
	TeamID, TeamName, MyRole string
	Personal, CanAudit       bool
	CanManage                bool
	Account                  ServiceAccountRow
	Workloads                []WorkloadRow
	Keys                     []CredentialRow
	Secrets                  []CredentialRow
	WorkloadForm             WorkloadForm
	KeyForm                  KeyForm
	SecretForm               NamedForm
	// TokenURL is the token endpoint; Audience the management API's identifier.
	TokenURL, Audience string
	// Snippets are the commands shown, each run by a test exactly as shown.
	Snippets ServiceAccountSnippets
}

// ServiceAccountSnippets are the page's commands.
type ServiceAccountSnippets struct {
	// Workload exchanges a workload token ($WORKLOAD_TOKEN) for an access token.
	Workload string
	// Secret gets a token with the fallback secret ($GATEHOUSE_CLIENT_SECRET).
	Secret string
	// Call calls the management API with the token ($GATEHOUSE_TOKEN).
	Call string
}

// WorkloadRow is a trusted workload issuer with its conditions.
type WorkloadRow struct {
	ID, Name, Issuer, JWKSURI, Audience, Subject string
	Claims                                       []string // "name = pattern"
	CreatedAt                                    time.Time
	LastUsedAt                                   *time.Time
}

// CredentialRow is a key or a secret of a service account.
type CredentialRow struct {
	ID, Name, Detail, Status string
	CreatedAt                time.Time
	ExpiresAt, LastUsedAt    *time.Time
}

// WorkloadForm adds a trusted workload issuer.
type WorkloadForm struct {
	Name, Issuer, JWKSURI, Audience, Subject, Claims string
	Errors                                           map[string]string
}

// KeyForm adds a public key (pasted, or a jwks_uri).
type KeyForm struct {
	Name, Key, JWKSURI string
	Errors             map[string]string
}

// NamedForm is a form with a name and an expiry (a secret).
type NamedForm struct {
	Name, ExpiresIn string
	ExpiryOptions   []Option
	Errors          map[string]string
}

// ServiceAccountSecretVM shows a new service-account secret once.
type ServiceAccountSecretVM struct {
	TeamID, AccountID, AccountName, Secret string
	Snippet                                string
}
