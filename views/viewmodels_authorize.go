package views

import "time"

// ConsentVM is the consent page: an app (a project of a team) asks to act for the
// signed-in user on one API with these scopes.
type ConsentVM struct {
	// RequestID names the authorization request the session keeps for the answer.
	RequestID string
	AppName   string
	TeamName  string
	APIName   string
	// APIIdentifier is the API's identifier (the tokens' audience).
	APIIdentifier string
	Scopes        []ConsentScope
	// Identity are the identity scopes asked for (openid, profile, email, offline_access),
	// each with what it reveals or allows. With no API, the app asks only for these.
	Identity []ConsentScope
	// RedirectTo is where the answer is sent: the app's redirect URI, without its query.
	RedirectTo string
	// UserLabel names the signed-in user (name or email).
	UserLabel string
	// VaultKept says the app keeps offline access in the credentials vault (it asks for
	// offline_access and runs the vault); VaultServices are the services that may use it.
	VaultKept     bool
	VaultServices []string
}

// ConsentScope is one scope the app asks for, with what it allows.
type ConsentScope struct {
	Name        string
	Description string
}

// yesNo is "Yes" or "No".
func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// ConsentRow is an app the user allowed to act for them, on the account page.
type ConsentRow struct {
	ProjectID, AppName, TeamName string
	APIID, APIName               string
	Scopes                       []string
	UpdatedAt                    time.Time
	// Offline are the services using the app's delegation kept in the credentials vault.
	Offline []VaultUseRow
}

// IdentityScopeDescription says what an identity scope lets an app know or do, as the
// consent page tells the user.
func IdentityScopeDescription(scope string) string {
	switch scope {
	case "openid":
		return "Sign you in: know which Gatehouse account you are, and when you signed in"
	case "profile":
		return "See your name"
	case "email":
		return "See your email address"
	case "offline_access":
		return "Keep acting for you while you are away, until you disconnect it"
	}
	return ""
}
