package views

import "time"

// VaultVM is the credentials vault section of a project's credentials page (the team's
// admins, a project acting for users): whether the project keeps its users' offline
// access in Gatehouse, and which services of the team may use it.
type VaultVM struct {
	// On is the project's vault mode.
	On bool
	// Grants are the credentials grants: a service, an API, scopes.
	Grants []CredentialGrantRow
	// Forms are one form per API the project may hold delegations for.
	Forms []CredentialGrantForm
	// Services are the team's projects that may be named.
	Services []Option
	// Errors are the messages of a form sent back, by field; ErrorAPI says whose form.
	Errors   map[string]string
	ErrorAPI string
	// TokenURL and TokenType are for the example request.
	TokenURL  string
	TokenType string
}

// CredentialGrantRow is a service allowed to use the project's vaulted delegations.
type CredentialGrantRow struct {
	ID, Service, ServiceID, API, APIIdentifier, Scopes string
	CreatedAt                                          time.Time
	// NoGrant: the service holds no grant of its own on the API, so its exchanges are
	// refused (invalid_target) until the API's owners grant it access.
	NoGrant bool
}

// CredentialGrantForm names a service for one API, with the scopes it may get.
type CredentialGrantForm struct {
	APIID, APIName string
	Scopes         []Checkbox
}

// VaultUseRow is a service that may act for the user offline through an app's
// delegation, on the account page: "Used offline by <service> for <API> (<scopes>)".
type VaultUseRow struct {
	Service, API, Scopes string
	Uses                 int
	LastUsedAt           *time.Time
}
