package views

import "time"

// CatalogVM is the view model of "GET /apis": the APIs of the user's teams, and the
// APIs other teams list in the catalog (which the user may request access to).
type CatalogVM struct {
	// Mine are the APIs of the user's teams.
	Mine []APISummaryRow
	// Listed are other teams' APIs listed in the catalog.
	Listed []APISummaryRow
	// CanRegister is true when the user may register an API in at least one team.
	CanRegister bool
}

// APISummaryRow is an API in a list.
type APISummaryRow struct {
	ID          string
	Name        string
	Identifier  string
	Description string
	TeamID      string
	TeamName    string
	Listed      bool
	// Grants counts the projects holding access; PendingRequests the undecided access
	// requests (shown for the user's own teams' APIs only).
	Grants          int
	PendingRequests int
}

// NewAPIVM is the view model of "GET /apis/new" and a refused "POST /apis".
type NewAPIVM struct {
	// Teams are the teams in which the user may register an API (owner/admin).
	Teams []Option
	Form  APIForm
}

// APIForm posts an API's definition to "POST /apis" (create; with "team_id" and
// "scopes") or "POST /apis/{api}/settings" (edit; scopes are managed one by one there).
// Fields: "name", "identifier", "description", "docs_url", "accepts_api_keys" and
// "accepts_access_tokens" (checkboxes, value "1"), "max_token_ttl_minutes",
// "max_key_ttl_days" (numbers, 0 = no cap of the API's own), "listed" (checkbox,
// value "1"), "form_token".
type APIForm struct {
	TeamID              string
	Name                string
	Identifier          string
	Description         string
	DocsURL             string
	AcceptsAPIKeys      bool
	AcceptsAccessTokens bool
	MaxTokenTTLMinutes  string
	MaxKeyTTLDays       string
	Listed              bool
	// Scopes is the create form's textarea: one scope per line, its name then an
	// optional description ("orders:read Read orders").
	Scopes string
	// IdentifierLocked disables the identifier field (edit form, once access was granted).
	IdentifierLocked bool
	FormToken        string
	Errors           map[string]string
}

// APIPageVM is the view model of "GET /apis/{api}". What it shows depends on who looks:
// members of the API's team see its grants, requests and (owners/admins) the forms to
// manage them; anyone else sees a listed API's public description and the request form.
type APIPageVM struct {
	// Tab is the page shown: APITabOverview ("" too), APITabAccess, ….
	Tab string
	// UsagePanel is the usage page's series by day (APITabUsage only).
	UsagePanel UsagePanelVM
	// DeleteError says why a delete was refused (the typed name did not match).
	DeleteError string
	ID          string
	Name        string
	Identifier  string
	Description string
	DocsURL     string
	TeamID      string
	TeamName    string
	// MyRole is the viewer's role in the API's team, "" for catalog visitors.
	MyRole              string
	Listed              bool
	AcceptsAPIKeys      bool
	AcceptsAccessTokens bool
	// MaxTokenTTL and MaxKeyTTL describe the caps in words ("15 minutes", "no cap").
	MaxTokenTTL string
	MaxKeyTTL   string
	// IdentifierLocked is true once access was granted: the identifier cannot change.
	IdentifierLocked bool
	Scopes           []ScopeRow
	Can              APIPermissions
	// Delegation says who may let apps act for them on the API (team members only).
	Delegation DelegationVM

	// Grants are the projects holding access (team members only).
	Grants []GrantRow
	// Requests are the access requests, pending first (team members only).
	Requests []AccessRequestRow
	// GrantForm grants one of the team's own projects access directly (owners/admins).
	GrantForm GrantForm
	// ScopeForm adds a scope (owners/admins).
	ScopeForm ScopeForm
	// Settings edits the API's definition (owners/admins).
	Settings APIForm
	// RequestForm asks for access for one of the viewer's projects (anyone who sees the
	// API and is a developer or more in some team).
	RequestForm AccessRequestForm
	// MyRequests are the viewer's teams' requests for this API (catalog visitors).
	MyRequests []AccessRequestRow
	// RevokedKeys lists API keys revoked by the action this very request made (a grant
	// narrowed or revoked, a scope removed), so their owners know what to reissue.
	RevokedKeys []RevokedKeyRow
	// StatusListTTL is the portal's status-list ttl, the bound on how long an API may
	// still accept those keys (the box says it); zero means the default.
	StatusListTTL time.Duration
	// Kit is the verification kit: URLs and runnable snippets for the API's owners.
	Kit VerificationKit
}

// APIPermissions are the API-level actions the viewer may take.
type APIPermissions struct {
	// Manage: edit the API, its scopes, grants and requests, delete it (owner/admin).
	Manage bool
	// Request: ask for access for a project (developer or more in some team).
	Request bool
}

// ScopeRow is a scope the API defines.
type ScopeRow struct {
	Name        string
	Description string
	// Delegable: users may delegate it to apps acting for them.
	Delegable bool
}

// GrantRow is a project holding access to the API, with the scopes granted. The update
// form posts "scopes" (checkboxes of the API's scopes) to
// "/apis/{api}/grants/{grant}"; revoke posts to "/apis/{api}/grants/{grant}/revoke".
type GrantRow struct {
	ID          string
	ProjectID   string
	ProjectName string
	TeamID      string
	TeamName    string
	// SameTeam is true for the API team's own projects (linked to their page).
	SameTeam bool
	Scopes   []string
	// Provisional grants came from before APIs had owners, pending a decision.
	Provisional bool
	// Impersonation: the project may exchange a token it received for a token for this
	// API that does not name it (token exchange without an act claim).
	Impersonation bool
	CreatedAt     time.Time
	// ScopeBoxes are the API's scopes, checked where granted (update form).
	ScopeBoxes []Checkbox
	// APIID, APIName and Identifier name the API the grant is for. A project page's
	// APIs section (ProjectAPIsVM.Grants: one project's grants to several APIs) sets
	// them and links APIName to /apis/{APIID}; the API page may leave them empty.
	APIID      string
	APIName    string
	Identifier string
}

// AccessRequestRow is an access request. Decisions post to
// "/apis/{api}/requests/{request}/approve" ("scopes" checkboxes of those asked for,
// "note") or ".../deny" ("note"); a requester withdraws with
// "/projects/{project}/requests/{request}/withdraw".
type AccessRequestRow struct {
	ID          string
	APIID       string
	APIName     string
	Identifier  string
	ProjectID   string
	ProjectName string
	TeamName    string
	Scopes      []string
	Reason      string
	// Status is "pending", "approved", "denied" or "withdrawn".
	Status string
	// Migration is true for requests made when APIs got owners (with a provisional grant).
	Migration     bool
	RequestedBy   string
	CreatedAt     time.Time
	DecidedBy     string
	DecidedAt     *time.Time
	DecisionNote  string
	GrantedScopes []string
	CanWithdraw   bool
	ScopeBoxes    []Checkbox // for approval: the scopes asked for, checked
}

// GrantForm posts "project" (one of the team's projects) and "scopes" (checkboxes) to
// "/apis/{api}/grants".
type GrantForm struct {
	Projects []Option
	Project  string
	Scopes   []Checkbox
	Errors   map[string]string
}

// ScopeForm posts "name" and "description" to "/apis/{api}/scopes"; a scope is removed
// with "/apis/{api}/scopes/remove" posting "name".
type ScopeForm struct {
	Name        string
	Description string
	Errors      map[string]string
}

// AccessRequestForm posts "project" (one of the viewer's projects where they are a
// developer or more), "scopes" (checkboxes of the API's scopes) and "reason" to
// "/apis/{api}/requests", with "form_token".
type AccessRequestForm struct {
	Projects  []Option
	Project   string
	Scopes    []Checkbox
	Reason    string
	FormToken string
	Errors    map[string]string
	// Sent is true right after a request was made (a confirmation is shown).
	Sent bool
}

// RevokedKeyRow is an API key the portal revoked because access narrowed.
type RevokedKeyRow struct {
	ID          string
	Name        string
	ProjectID   string
	ProjectName string
	Reason      string
}

// VerificationKit is what an API's owners need to verify credentials for it offline.
type VerificationKit struct {
	Issuer      string
	JWKSURL     string
	JWKSPEMURL  string
	MetadataURL string
	// IntrospectionURL is the RFC 7662 endpoint, for stacks that cannot check the
	// status list themselves.
	IntrospectionURL string
	// Snippets are runnable samples: Go (verify), Node.js, Python, curl (introspection).
	Snippets []Snippet
}

// ProjectAPIsVM is the "APIs" section of a project page: what the project may get
// credentials for, its access requests, and what to do when it has none.
type ProjectAPIsVM struct {
	ProjectID string
	Grants    []GrantRow
	Requests  []AccessRequestRow
	// CanRegisterAPI: the viewer may register an API in the project's team.
	CanRegisterAPI bool
	// CanRequest: the viewer may request access for this project.
	CanRequest bool
	TeamID     string
	CSRF       string
}

// DelegationVM is who may delegate an API's delegable scopes to apps acting for them.
type DelegationVM struct {
	// Named are the teams the API names; none: any signed-in user.
	Named []string
	// Teams are the choices of the form (owners/admins): their own teams and the ones
	// named, checked when named.
	Teams []Checkbox
}
