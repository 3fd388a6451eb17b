package models

import (
	"strings"
)

// A team's leak policy: what the portal does when a secret scanner reports one of the
// team's credentials leaked (Team.LeakPolicy).
const (
	// LeakPolicyRevoke revokes the credential at once (the default).
	LeakPolicyRevoke = "revoke"
	// LeakPolicyNotify leaves it live and only records and announces the report.
	LeakPolicyNotify = "notify"
)

// LeakPolicies are the leak policies, in the order the settings form lists them.
var LeakPolicies = []string{LeakPolicyRevoke, LeakPolicyNotify}

// ErrLeakPolicy means a leak policy other than LeakPolicies.
var ErrLeakPolicy = &Error{Code: CodeInvalid, Field: "leak_policy", Message: "choose revoke or notify"}

// The kinds of credential a leak report may name (LeakKindOf).
const (
	LeakKindClientSecret  = "client_secret"
	LeakKindPersonalToken = "personal_access_token"
	LeakKindAPIKey        = "api_key"
	// LeakKindInitialAccessToken is a team's initial access token (dynamic registration).
	LeakKindInitialAccessToken = "initial_access_token"
	// LeakKindRegistrationToken is a registered client's registration access token
	// (RFC 7592).
	LeakKindRegistrationToken = "registration_access_token"
	// LeakKindReferenceToken is a reference access token ("phantom token").
	LeakKindReferenceToken = "reference_access_token"
	// LeakKindRefreshToken is a refresh token an app holds for a user.
	LeakKindRefreshToken = "refresh_token"
)

// APIKeyPrefix is how every API key the portal signs now begins: the base64url of its
// protected header's first members, `{"typ":"apikey+jwt","alg":"` (27 bytes, so what
// follows cannot change these 36 characters). Secret scanners recognise an API key by
// it (models/signing writes the header in that order).
const APIKeyPrefix = "eyJ0eXAiOiJhcGlrZXkrand0IiwiYWxnIjoi"

// maxLeakTokenLen bounds a reported token: longer is none of ours.
const maxLeakTokenLen = 8 << 10

// LeakKindOf says which kind of the portal's credentials token looks like, by its
// format alone: a well-formed client secret, personal access token, initial or
// registration access token or reference access token (prefix, alphabet, length,
// checksum), a refresh token (prefix, alphabet, length), or a compact JWS (an API key, old ones without the prefix
// included; its signature is the store's to check). "" means none of ours.
func LeakKindOf(token string) string {
	switch {
	case CheckClientSecretFormat(token) == nil:
		return LeakKindClientSecret
	case CheckPersonalTokenFormat(token) == nil:
		return LeakKindPersonalToken
	case CheckInitialAccessTokenFormat(token):
		return LeakKindInitialAccessToken
	case CheckRegistrationAccessTokenFormat(token):
		return LeakKindRegistrationToken
	case WellFormedReferenceToken(token):
		return LeakKindReferenceToken
	case WellFormedRefreshToken(token):
		return LeakKindRefreshToken
	case len(token) <= maxLeakTokenLen && strings.Count(token, ".") == 2 && strings.HasPrefix(token, "eyJ"):
		return LeakKindAPIKey
	}
	return ""
}

// LeakReport is one credential a secret scanner found in the open.
type LeakReport struct {
	// Token is the reported value.
	Token string
	// Type is the scanner's name for the pattern that matched.
	Type string
	// URL is where it was found; Source what kind of place that is ("content",
	// "commit", "npm"…). Both as the scanner says, for the audit log and the webhook.
	URL    string
	Source string
}

// LeakOutcome is what a leak report came to.
type LeakOutcome struct {
	// Found is set when the token is one of the portal's credentials (a true positive).
	Found bool
	// Kind is the credential's kind (LeakKind…), when found.
	Kind string
	// Revoked is set when this report revoked it (not when it already was revoked, nor
	// under the notify policy).
	Revoked bool
}
