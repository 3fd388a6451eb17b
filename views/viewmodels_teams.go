package views

import (
	"net/url"
	"time"
)

// RoleOption is a role a form may offer.
type RoleOption struct {
	Value string // "owner", "admin", "developer", "viewer"
	Label string // "Owner", …
}

// TeamsVM is the view model of "GET /teams": the user's teams and the create form.
type TeamsVM struct {
	Teams []TeamSummary
	Form  TeamForm
}

// TeamForm is the create-team form with its validation messages.
type TeamForm struct {
	Name string
	// FormToken makes a double-submitted form create one team (hidden field "form_token").
	FormToken string
	Errors    map[string]string
}

// TeamVM is the view model of "GET /teams/{team}".
type TeamVM struct {
	// DeleteError says why a delete was refused (the typed name did not match).
	DeleteError string
	ID          string
	Name        string
	Personal    bool
	// MyRole is the viewer's role in this team.
	MyRole string
	// Can says which controls to show; the server checks again on every POST.
	Can         TeamPermissions
	Members     []MemberRow
	Invitations []InvitationRow
	Projects    []ProjectSummary
	// InviteForm is the new-invitation form (roles offered = what MyRole may grant).
	InviteForm InviteForm
	RenameForm TeamForm
	// LeakPolicy is what a secret scanner's report of the team's credentials does
	// (models.LeakPolicyRevoke or models.LeakPolicyNotify); LeakPolicyError says why a
	// choice was refused.
	LeakPolicy      string
	LeakPolicyError string
	// Registration is the dynamic client registration section (Settings).
	Registration RegistrationVM
	// Tab is the page shown: TeamTabOverview ("" too), TeamTabMembers, TeamTabSettings.
	Tab string
	// APIs are the APIs the team owns (overview).
	APIs []TeamAPIRow
	// Webhooks is the Webhooks tab.
	Webhooks WebhooksVM
	// ServiceAccounts is the Members tab's service accounts section.
	ServiceAccounts ServiceAccountsVM
}

// TeamAPIRow is one API on a team's overview.
type TeamAPIRow struct{ ID, Name, Identifier string }

// InvitationCreatedVM is the page that shows a new invitation link once.
type InvitationCreatedVM struct {
	TeamID, TeamName string
	Role             string
	Link             string
	Expires          time.Time
}

// TeamPermissions are the team-level actions the viewer may take.
type TeamPermissions struct {
	Invite        bool
	ManageMembers bool
	CreateProject bool
	ViewAudit     bool
	Rename        bool
	Delete        bool
	Leave         bool
}

// MemberRow is one member on the team page.
type MemberRow struct {
	UserID   string
	Name     string
	Email    string
	Role     string
	JoinedAt time.Time
	IsMe     bool
	// Service marks a service account: its name links to its page.
	Service bool
	// RoleOptions is non-empty when the viewer may change this member's role: a select
	// posting "role" to /teams/{team}/members/{user}/role.
	RoleOptions []RoleOption
	// CanRemove shows a remove button posting to /teams/{team}/members/{user}/remove
	// (with data-confirm).
	CanRemove bool
}

// InvitationRow is a pending invitation.
type InvitationRow struct {
	ID        string
	Role      string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	// CanRevoke shows a revoke button posting to /teams/{team}/invitations/{id}/revoke.
	CanRevoke bool
}

// InviteForm is the new-invitation form, posting "role" and "expires_in_days" to
// /teams/{team}/invitations.
type InviteForm struct {
	Role        string
	RoleOptions []RoleOption
	// ExpiryOptions are the offered lifetimes in days (value) with labels.
	ExpiryOptions []Option
	ExpiresIn     string
	FormToken     string
	Errors        map[string]string
}

// Option is a value/label pair for selects.
type Option struct {
	Value string
	Label string
}

// ProjectSummary is a project in a list.
type ProjectSummary struct {
	ID          string
	Name        string
	Description string
	TeamID      string
	TeamName    string
	CreatedAt   time.Time
}

// InvitationVM is the view model of "GET /invitations/{token}".
type InvitationVM struct {
	// State is "open", "accepted", "expired", "revoked", "withdrawn" (its author can
	// no longer grant its role), "invalid" or "member" (the signed-in user already
	// belongs to the team).
	State     string
	TeamID    string
	TeamName  string
	Role      string
	InvitedBy string
	ExpiresAt time.Time
	// Token is posted back (hidden field "token") by the accept form to
	// /invitations/{token}; it is never shown as text.
	Token string
}

// AuditVM is the view model of "GET /teams/{team}/audit".
type AuditVM struct {
	TeamID   string
	TeamName string
	// Personal and MyRole are for the team's heading.
	Personal bool
	MyRole   string
	Events   []AuditRow
	// Filter is the filter form's values ("from"/"to" as YYYY-MM-DD); Projects are the
	// team's projects to choose from; FilterError says a date could not be read.
	Filter      AuditFilterForm
	Projects    []Option
	FilterError string
	// ExportCSV and ExportJSON download the filtered events.
	ExportCSV, ExportJSON string
	// Page is 1-based; PrevURL/NextURL are "" when there is no such page.
	Page    int
	PrevURL string
	NextURL string
}

// AuditFilterForm is the audit log's filter form (GET, query parameters of the same
// names).
type AuditFilterForm struct {
	Actor, Action, Project, From, To string
}

// Query is the filter as an encoded query string (empty fields left out).
func (f AuditFilterForm) Query() string {
	v := url.Values{}
	for name, value := range map[string]string{"actor": f.Actor, "action": f.Action, "project": f.Project, "from": f.From, "to": f.To} {
		if value != "" {
			v.Set(name, value)
		}
	}
	return v.Encode()
}

// Active reports whether any filter is set.
func (f AuditFilterForm) Active() bool { return f != AuditFilterForm{} }

// AuditRow is one audit event.
type AuditRow struct {
	At     time.Time
	Actor  string
	Action string
	Target string
	// Project is the project's name (its id when it was deleted); ProjectID is shown on
	// hover.
	Project   string
	ProjectID string
	IP        string
	UserAgent string
	// Fields are the details as named values, when they are a JSON object; Details is
	// shown as text otherwise.
	Fields  []AuditField
	Details string
}

// AuditField is one named value of an audit event's details.
type AuditField struct{ Name, Value string }

// NewProjectVM is the view model of "GET /projects/new".
type NewProjectVM struct {
	// Teams are the teams in which the user may create projects.
	Teams []Option
	Form  ProjectForm
}

// ProjectForm is the create/edit form of a project's name and description.
type ProjectForm struct {
	TeamID      string
	Name        string
	Description string
	FormToken   string
	Errors      map[string]string
}

// ProjectVM is the view model of "GET /projects/{project}".
type ProjectVM struct {
	// Tab is the page shown: ProjectTabOverview ("" too), ProjectTabKeys, ….
	Tab string
	// DeleteError says why a delete was refused (the typed name did not match).
	DeleteError string
	ID          string
	Name        string
	Description string
	ClientID    string
	TeamID      string
	TeamName    string
	MyRole      string
	Can         ProjectPermissions
	CreatedAt   time.Time
	// RegisteredVia, when set, says the project was registered dynamically (RFC 7591)
	// and how ("dynamic registration (token …)"): the header shows a badge.
	RegisteredVia string
	RegisteredAt  time.Time
	// GettingStarted shows the getting-started panel (a fresh project).
	GettingStarted bool
	BaseURL        string
	TokenURL       string
	Secrets        []SecretRow
	SecretForm     SecretForm
	Settings       SettingsForm
	// Usage counts the project's issued access tokens and revocations.
	Usage UsageVM
	// UsagePanel is the usage page's series by day (ProjectTabUsage only).
	UsagePanel UsagePanelVM
	// ClientKeys is the private_key_jwt keys section.
	ClientKeys ClientKeysVM
	// APIKeys is the API keys section (its CSRF token defaults to the page's).
	APIKeys APIKeysVM
	// APIs is the section listing the APIs the project holds grants for and its access
	// requests (its CSRF token defaults to the page's).
	APIs ProjectAPIsVM

	// ConnectedUsersShown shows the users' active refresh families (the team's admins,
	// a project acting for users); ConnectedUsers are they.
	ConnectedUsersShown bool
	ConnectedUsers      []ConnectedUserRow
	// Vault is the credentials vault section (shown with ConnectedUsersShown).
	Vault VaultVM
}

// ConnectedUserRow is one user's refresh-token family of a project.
type ConnectedUserRow struct {
	FamilyID string
	// User is the user's name and address as one label.
	User string
	// API is the API's name, or "" for the user's identity alone.
	API        string
	Scopes     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	// Vault: the family is kept in the credentials vault (services act with it).
	Vault bool
}

// ProjectPermissions are the project-level actions the viewer may take.
type ProjectPermissions struct {
	ManageSecrets  bool
	EditSettings   bool
	Delete         bool
	ManageKeys     bool
	ViewCredential bool
}

// SecretRow is a client secret's metadata (never the secret).
type SecretRow struct {
	// LastUsedAt is when it was last used (nil: never; shown highlighted).
	LastUsedAt *time.Time
	ID         string
	Name       string
	Hint       string // e.g. "ghcs_…x7Qa": prefix and last characters only
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	// Status is "active", "expired" or "revoked".
	Status string
}

// SecretForm posts "name" and "expires_in_days" to /projects/{project}/secrets.
type SecretForm struct {
	Name          string
	ExpiresIn     string
	ExpiryOptions []Option
	FormToken     string
	Errors        map[string]string
}

// SettingsForm posts the OAuth client settings to /projects/{project}/settings.
type SettingsForm struct {
	Name        string
	Description string
	// TokenTTLMinutes is the access-token lifetime in minutes.
	TokenTTLMinutes string
	// GrantTypes are the checkboxes "grant_types" (value) with their state.
	GrantTypes []Checkbox
	// AuthMethods are the checkboxes "auth_methods": client_secret, private_key_jwt.
	AuthMethods []Checkbox
	// RedirectURIs is the textarea "redirect_uris", one URI per line.
	RedirectURIs string
	// PublicClient is the checkbox "public_client".
	PublicClient bool
	// RequirePAR is the checkbox "require_par": require pushed authorization requests.
	RequirePAR bool
	// RequireDPoP is the checkbox "require_dpop": token requests must carry DPoP proofs.
	RequireDPoP bool
	// AccessTokenFormat is the radio group "access_token_format": jwt or reference.
	AccessTokenFormat string
	Errors            map[string]string
	Saved             bool

	// TLSAuthField (select "tls_auth_field", TLSAuthFields) and TLSAuthValue (input
	// "tls_auth_value") are the tls_client_auth rule; CertificateBoundTokens the
	// checkbox "certificate_bound_tokens".
	TLSAuthField, TLSAuthValue string
	TLSAuthFields              []Option
	CertificateBoundTokens     bool

	// RefreshTokens is the select "refresh_tokens" (RefreshOptions); RefreshIdleDays
	// and RefreshAbsoluteDays the lifetimes "refresh_idle_days" and
	// "refresh_absolute_days".
	RefreshTokens       string
	RefreshOptions      []Option
	RefreshIdleDays     string
	RefreshAbsoluteDays string
	// KeptGrantTypes are grant types the project has that the form offers no checkbox
	// for (refresh_token, which a registration may name): sent as they are.
	KeptGrantTypes []string
}

// Checkbox is one checkbox of a group.
type Checkbox struct {
	Value   string
	Label   string
	Checked bool
}

// UsageVM is a project's recent activity.
type UsageVM struct {
	TokensToday, TokensWeek           int64
	RevocationsToday, RevocationsWeek int64
}

// KeyCreatedVM is the page that shows a new API key once.
type KeyCreatedVM struct {
	ProjectID, ProjectName string
	Key                    NewAPIKey
	Audience               string
	Scopes                 []string
}

// SecretCreatedVM is the page that shows a new client secret once.
type SecretCreatedVM struct {
	ProjectID, ProjectName string
	ClientID               string
	Name                   string
	Secret                 string
	ExpiresAt              *time.Time
	// NoGrant: the project may call no API yet (the token request would fail).
	NoGrant  bool
	Snippets []Snippet
}

// RegistrationVM is the Settings page's dynamic client registration section, shown to
// the team's owners and admins.
type RegistrationVM struct {
	// Show: the viewer may manage registration here.
	Show bool
	// Policy is models.RegistrationOff, RegistrationToken or RegistrationOpen;
	// PolicyError says why a choice was refused.
	Policy, PolicyError string
	// OpenHere: the operator sends registrations without a token to this team
	// (GATEHOUSE_OPEN_REGISTRATION_TEAM), so the open policy takes them.
	OpenHere bool
	// Endpoint is the registration endpoint's URL.
	Endpoint string
	Tokens   []InitialTokenRow
	Form     InitialTokenForm
}

// InitialTokenRow is one initial access token in the list.
type InitialTokenRow struct {
	ID, Label, Hint, CreatedBy string
	// Status is "active", "expired", "revoked" or "used up".
	Status string
	Uses   int
	// MaxUses is the bound on registrations, 0 for none.
	MaxUses    int
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
}

// InitialTokenForm creates an initial access token: "label", "expires_in_days",
// "max_uses" (empty: no limit) posted to /teams/{team}/registration-tokens.
type InitialTokenForm struct {
	Label, ExpiresIn, MaxUses, FormToken string
	ExpiryOptions                        []Option
	Errors                               map[string]string
}

// InitialTokenCreatedVM is the page that shows a new initial access token once.
type InitialTokenCreatedVM struct {
	TeamID, TeamName, Label, Token, Endpoint string
	ExpiresAt                                time.Time
	// MaxUses is the bound on registrations, 0 for none.
	MaxUses int
}

// tokenFormatText names a project's access-token format.
func tokenFormatText(f string) string {
	if f == "reference" {
		return "Reference tokens (exchanged for JWTs by a gateway)"
	}
	return "JWT"
}
