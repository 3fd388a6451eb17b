package models

// IssuableGrant is one of an authenticated project's grants, as issuance reads it: the
// API's identifier (and its folded key), the granted scopes and the API's rules.
type IssuableGrant struct {
	APIID         string
	Identifier    string
	IdentifierKey string
	Scopes        string
	Tokens        bool
	Keys          bool
	// MaxTokenTTL and MaxKeyTTL are in seconds; 0 means no cap of the API's own.
	MaxTokenTTL int
	MaxKeyTTL   int
	// Impersonation: the API's owners let the project exchange a token it received for
	// a token for this API without an act claim naming it (RFC 8693 impersonation).
	Impersonation bool
}
