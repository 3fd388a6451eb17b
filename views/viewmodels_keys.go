package views

import "time"

// APIKeysVM is the API keys section of a project page.
type APIKeysVM struct {
	ProjectID string
	// CanManage shows the create form, revoke buttons and revoke-by-value (developer+).
	CanManage bool
	Keys      []APIKeyRow
	Form      APIKeyForm
	// RevokeByValue is the "paste a leaked key" form state.
	RevokeByValue RevokeByValueForm
	// StatusListTTL is the portal's status-list ttl, the bound on how long an API may
	// still accept a revoked key (the revoke texts say it); zero means the default.
	StatusListTTL time.Duration
	// CSRF is the token the section's POST forms carry as "_csrf". ProjectPage fills it
	// from Page.CSRF when empty; set it when rendering APIKeysSection on its own.
	CSRF string
}

// APIKeyRow is an issued key's metadata (never the key).
type APIKeyRow struct {
	// LastUsedAt is when it was last used (nil: never; shown highlighted).
	LastUsedAt *time.Time
	ID         string // key_…, the JWT's jti
	Name       string
	Scopes     []string
	Audiences  []string
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	// RevokedReason says why the portal revoked it (access narrowed or revoked), "" when
	// a person did.
	RevokedReason string
	// Status is "active", "expired" or "revoked".
	Status string
	// JKT is the thumbprint of the public key the key is bound to ("": a bearer key).
	JKT string
}

// APIKeyForm posts "name", "api" (the id of one of the APIs the project holds a grant
// for), "scopes" (checkboxes of that API's granted scopes), "expires_in_days",
// "public_key" (optional: a JWK or PEM public key to bind the key to) and "form_token"
// to /projects/{project}/keys.
type APIKeyForm struct {
	Name string
	// PublicKey is the public key pasted to bind the key to, kept when the form is shown
	// again with errors (it is not secret).
	PublicKey string
	// APIs are the APIs the project may get keys for; API is the chosen one's id.
	APIs          []KeyAPIOption
	API           string
	ExpiresIn     string
	ExpiryOptions []Option
	FormToken     string
	Errors        map[string]string
}

// KeyAPIOption is an API a key may be for, with the scopes granted for it (each API's
// checkboxes sit in their own fieldset; only the chosen API's is enabled).
type KeyAPIOption struct {
	ID         string
	Name       string
	Identifier string
	Scopes     []Checkbox
}

// NewAPIKey is a freshly issued key with ready-to-paste snippets.
type NewAPIKey struct {
	ID        string
	Name      string
	Key       string
	ExpiresAt time.Time
	// JKT is the thumbprint of the public key the key is bound to ("": a bearer key).
	JKT string
	// Snippets are shown in tabs or <details>, each in a CopyBox: curl, Go (verify),
	// Node.js (@gatehouse/verify), Python (gatehouse_verify); for a bound key, the calls
	// with a DPoP proof in Node.js (jose) and Python (PyJWT) first.
	Snippets []Snippet
}

// Snippet is a titled, copyable code sample.
type Snippet struct {
	ID    string // element id, e.g. "snippet-curl"
	Title string // "curl", "Go (verify)", "Node.js (@gatehouse/verify)", "Python (gatehouse_verify)"
	Code  string
}

// RevokeByValueForm posts "key" to /projects/{project}/keys/revoke-by-value.
type RevokeByValueForm struct {
	Error   string
	Revoked string // the id of the key just revoked this way, for a confirmation
}

// SigningKeysVM is the view model of the operators' "GET /admin/signing-keys" page.
type SigningKeysVM struct {
	Keys []SigningKeyRow
	// Rotation describes the automatic schedule in words ("every 90 days").
	Rotation string
	// PublishLead is how long a new key is published before it signs ("10 minutes").
	PublishLead string
	JWKSURL     string
	// History is the newest changes to the ring, newest first.
	History []RotationEvent
}

// RotationEvent is one change to the signing-key ring in the portal's audit log.
type RotationEvent struct {
	At time.Time
	// What is "Published", "Activated" or "Removed".
	What, KID string
	// By is the operator, or "scheduled rotation".
	By string
}

// SigningKeyRow is one of the portal's signing keys (public facts only).
type SigningKeyRow struct {
	KID         string
	Alg         string
	State       string // "next", "active", "retired"
	CreatedAt   time.Time
	ActivatedAt *time.Time
	RetiredAt   *time.Time
	// ActivatesAt is when a "next" key will start signing.
	ActivatesAt *time.Time
	// LiveCredentials counts unexpired, unrevoked API keys it signed.
	LiveCredentials int64
}
