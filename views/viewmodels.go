// Package views holds the templ components of every page and the view models they render.
package views

import "time"

// Page carries what the base layout needs on every page.
type Page struct {
	// Title is the page's title, shown in the tab after "Gatehouse".
	Title string
	// User is the signed-in user, or nil on public pages.
	User *CurrentUser
	// CSRF is the session-bound token every POST form carries as the hidden field
	// "_csrf". The layout also puts it in <meta name="csrf-token">, where tools and
	// tests that drive the portal read it.
	CSRF string
	// Flashes are one-time messages set by the previous request.
	Flashes []Flash
	// DevSignIn is true when the portal runs with the development identity provider;
	// the layout then shows a visible "development sign-in" banner.
	DevSignIn bool
	// Admin is true when the user is an operator listed in GATEHOUSE_ADMIN_EMAILS;
	// the layout then shows the "Admin" link to the operators' pages.
	Admin bool
}

// CurrentUser is the signed-in user as the layout shows it.
type CurrentUser struct {
	Name  string
	Email string
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	// Kind is "success", "error" or "info".
	Kind    string
	Message string
}

// SignInVM is the view model of the sign-in page.
type SignInVM struct {
	// ProviderName names the identity provider on the button ("your company account",
	// or "the development provider").
	ProviderName string
	// ReturnTo is the safe, relative path to land on after sign-in ("" for the dashboard).
	ReturnTo string
	// Error is a message from a failed sign-in attempt, or "".
	Error string
	// Invitation is the invitation ReturnTo leads to, when it is pending and can be
	// accepted; nil otherwise (and then the page says nothing of any invitation).
	Invitation *SignInInvitation
}

// SignInInvitation is what the sign-in page tells a signed-out invitee.
type SignInInvitation struct {
	// InvitedBy is the inviter's name (their email when they have none).
	InvitedBy string
	TeamName  string
	// Role is the role the invitation grants ("viewer").
	Role string
}

// DashboardVM is the view model of the signed-in dashboard.
type DashboardVM struct {
	Teams []TeamSummary
	// Projects are the projects of all the user's teams.
	Projects []ProjectSummary
}

// TeamSummary is one of the user's teams on the dashboard.
type TeamSummary struct {
	ID       string
	Name     string
	Role     string
	Personal bool
	Members  int
	JoinedAt time.Time
}

// ErrorVM is the view model of the error page.
type ErrorVM struct {
	Status    int
	Title     string
	Message   string
	RequestID string
}

// AccountVM is the view model of the account page: who the user is and their sessions.
type AccountVM struct {
	Name      string
	Email     string
	Issuer    string
	Subject   string
	CreatedAt time.Time
	Sessions  []SessionSummary
	// Tokens are the user's personal access tokens, newest first.
	Tokens    []PersonalTokenRow
	TokenForm PersonalTokenForm
	// APIBase is the management API's URL, for the token form's help text.
	APIBase string
	// Consents are the apps the user allowed to act for them.
	Consents []ConsentRow
}

// PersonalTokenRow is one personal access token on the account page.
type PersonalTokenRow struct {
	ID, Name, Hint string
	// Scope is "read" or "write"; Team is the team it is limited to, or "".
	Scope, Team string
	Status      string // active, expired or revoked
	CreatedAt   time.Time
	ExpiresAt   time.Time
	LastUsedAt  *time.Time
}

// PersonalTokenForm is the form that creates a personal access token.
type PersonalTokenForm struct {
	Name, Scope, Team, ExpiresIn, FormToken string
	Teams                                   []Option
	ExpiryOptions                           []Option
	Errors                                  map[string]string
}

// PersonalTokenCreatedVM is the page that shows a new personal access token once.
type PersonalTokenCreatedVM struct {
	Name, Token, Scope, Team string
	ExpiresAt                time.Time
	APIBase                  string
}

// SessionSummary is one of the user's signed-in sessions.
type SessionSummary struct {
	Current    bool
	UserAgent  string
	IP         string
	CreatedAt  time.Time
	LastSeenAt time.Time
}
