package views

import "time"

// ClientKeysVM is the "Client keys (private_key_jwt)" section of a project page.
type ClientKeysVM struct {
	ProjectID string
	// CSRF defaults to the page's token when empty (set it when rendering alone).
	CSRF string
	// CanManage shows the add form and remove buttons (admin and owner).
	CanManage bool
	// Enabled is true when the project accepts private_key_jwt (see settings); when
	// false the section says so and links to the settings.
	Enabled bool
	// CanEditSettings: the viewer may enable private_key_jwt themselves.
	CanEditSettings bool
	Keys            []ClientKeyRow
	Form            ClientKeyForm
	// Recipe is a ready-to-paste Go snippet that signs an assertion and gets a token.
	Recipe   string
	ClientID string
	TokenURL string
}

// ClientKeyRow is a registered public key.
type ClientKeyRow struct {
	// LastUsedAt is when it was last used (nil: never; shown highlighted).
	LastUsedAt *time.Time
	ID         string
	Name       string
	// KID and Alg are set for a pasted key; JWKSURI for a key set fetched from a URL.
	KID       string
	Alg       string
	JWKSURI   string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt *time.Time
	// Status is "active" or "expired".
	Status string
}

// ClientKeyForm posts "name", "key" (a JWK or PEM public key) or "jwks_uri",
// "expires_in_days" and "form_token" to /projects/{project}/client-keys.
type ClientKeyForm struct {
	Name          string
	Key           string
	JWKSURI       string
	ExpiresIn     string
	ExpiryOptions []Option
	FormToken     string
	Errors        map[string]string
}
