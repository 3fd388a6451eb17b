// Package api is the management API, /api/v1: JSON in and out, a personal access token
// as the bearer credential, RFC 9457 problem details for errors (mapped by httpx from
// the domain's codes), cursor pagination, Idempotency-Key on creates, ETags on reads and
// If-Match on changes. Every call builds the same models.Actor the pages use and goes
// through the same store methods, so the same authorize decides. One file per action;
// routes lists them all, and the OpenAPI document (openapi.go) is built from that list.
package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
)

// Prefix is where the management API is mounted.
const Prefix = "/api/v1"

// Handler serves /api/v1.
type Handler struct {
	*httpx.Server
}

// New builds the management API over the shared server.
func New(s *httpx.Server) *Handler {
	s.ServeJSON(Prefix, Prefix+"/")
	return &Handler{Server: s}
}

// route is one operation of the API: what Routes registers and what the OpenAPI
// document describes.
type route struct {
	method, path string // path in OpenAPI form: /teams/{team}
	id, summary  string
	handler      func(*Handler) echo.HandlerFunc
	public       bool   // no token needed (the OpenAPI document)
	request      string // the request body's schema, or ""
	bodyOptional bool   // the request body may be left out
	status       int    // the success status
	response     string // the success body's schema, or "" (no body)
	list         bool   // paginated: limit and cursor
	query        []queryParam
	idempotent   bool // takes Idempotency-Key
	ifMatch      bool // requires If-Match
	secret       bool // the response carries a secret value: no-store
}

// queryParam is a documented query parameter besides limit and cursor.
type queryParam struct {
	name, description string
	enum              []string
}

// routes is every operation of the API.
func routes() []route {
	return []route{
		{method: "GET", path: "/openapi.json", id: "getOpenAPI", summary: "This OpenAPI document", public: true, status: 200, response: "OpenAPIDocument",
			handler: func(h *Handler) echo.HandlerFunc { return h.openAPI }},
		{method: "GET", path: "/teams", id: "listTeams", summary: "Teams the caller is a member of", status: 200, response: "TeamList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listTeams }},
		{method: "GET", path: "/teams/{team}", id: "getTeam", summary: "A team", status: 200, response: "Team",
			handler: func(h *Handler) echo.HandlerFunc { return h.showTeam }},
		{method: "GET", path: "/teams/{team}/members", id: "listMembers", summary: "A team's members", status: 200, response: "MemberList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listMembers }},
		{method: "GET", path: "/teams/{team}/members/{user}", id: "getMember", summary: "A team's member", status: 200, response: "Member",
			handler: func(h *Handler) echo.HandlerFunc { return h.showMember }},
		{method: "PATCH", path: "/teams/{team}/members/{user}", id: "updateMember", summary: "Change a member's role (owner; admin for non-owners, up to admin)", status: 200, request: "MemberPatch", response: "Member", ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.updateMember }},
		{method: "DELETE", path: "/teams/{team}/members/{user}", id: "removeMember", summary: "Remove a member (owner; admin for non-owners); the last owner stays", status: 204, ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.removeMember }},
		{method: "GET", path: "/teams/{team}/invitations", id: "listInvitations", summary: "A team's open invitations (owner, admin)", status: 200, response: "InvitationList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listInvitations }},
		{method: "POST", path: "/teams/{team}/invitations", id: "createInvitation", summary: "Invite someone; the link is in this response only (owner, admin)", status: 201, request: "InvitationCreate", response: "InvitationCreated", idempotent: true, secret: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.createInvitation }},
		{method: "POST", path: "/teams/{team}/invitations/{invitation}/revoke", id: "revokeInvitation", summary: "Revoke an invitation: its link stops working (owner, admin)", status: 204,
			handler: func(h *Handler) echo.HandlerFunc { return h.revokeInvitation }},
		{method: "GET", path: "/teams/{team}/registration", id: "getRegistration", summary: "A team's dynamic client registration policy (owner, admin)", status: 200, response: "Registration",
			handler: func(h *Handler) echo.HandlerFunc { return h.showRegistration }},
		{method: "PUT", path: "/teams/{team}/registration", id: "setRegistration", summary: "Set whether software may register OAuth clients in the team: off, token or open (owner, admin)", status: 200, request: "RegistrationPut", response: "Registration",
			handler: func(h *Handler) echo.HandlerFunc { return h.setRegistration }},
		{method: "GET", path: "/teams/{team}/registration/tokens", id: "listInitialAccessTokens", summary: "A team's initial access tokens, never their values (owner, admin)", status: 200, response: "InitialAccessTokenList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listInitialTokens }},
		{method: "POST", path: "/teams/{team}/registration/tokens", id: "createInitialAccessToken", summary: "Create an initial access token; its value is in this response only (owner, admin)", status: 201, request: "InitialAccessTokenCreate", response: "InitialAccessTokenCreated", idempotent: true, secret: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.createInitialToken }},
		{method: "POST", path: "/teams/{team}/registration/tokens/{token}/revoke", id: "revokeInitialAccessToken", summary: "Revoke an initial access token: it registers no more clients; those it registered stay (owner, admin)", status: 204,
			handler: func(h *Handler) echo.HandlerFunc { return h.revokeInitialToken }},
		{method: "GET", path: "/teams/{team}/service-accounts", id: "listServiceAccounts", summary: "A team's service accounts (machine members)", status: 200, response: "ServiceAccountList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listServiceAccounts }},
		{method: "POST", path: "/teams/{team}/service-accounts", id: "createServiceAccount", summary: "Create a service account with a role up to admin (owner, admin)", status: 201, request: "ServiceAccountCreate", response: "ServiceAccount", idempotent: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.createServiceAccount }},
		{method: "GET", path: "/teams/{team}/service-accounts/{service_account}", id: "getServiceAccount", summary: "A service account", status: 200, response: "ServiceAccount",
			handler: func(h *Handler) echo.HandlerFunc { return h.showServiceAccount }},
		{method: "DELETE", path: "/teams/{team}/service-accounts/{service_account}", id: "deleteServiceAccount", summary: "Delete a service account with its credentials; its tokens stop working (owner, admin)", status: 204, ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.deleteServiceAccount }},
		{method: "GET", path: "/teams/{team}/service-accounts/{service_account}/credentials", id: "listServiceAccountCredentials", summary: "How a service account authenticates: keys, trusted workload issuers, secrets (metadata only)", status: 200, response: "CredentialList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listCredentials }},
		{method: "GET", path: "/teams/{team}/service-accounts/{service_account}/credentials/{credential}", id: "getServiceAccountCredential", summary: "One of a service account's credentials", status: 200, response: "Credential",
			handler: func(h *Handler) echo.HandlerFunc { return h.showCredential }},
		{method: "DELETE", path: "/teams/{team}/service-accounts/{service_account}/credentials/{credential}", id: "removeServiceAccountCredential", summary: "Revoke a secret, or remove a key or trusted issuer (owner, admin)", status: 204, ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.removeCredential }},
		{method: "POST", path: "/teams/{team}/service-accounts/{service_account}/workload-identities", id: "addWorkloadIdentity", summary: "Trust a workload issuer's tokens under conditions (owner, admin)", status: 201, request: "WorkloadIdentityCreate", response: "Credential", idempotent: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.addWorkloadIdentity }},
		{method: "POST", path: "/teams/{team}/service-accounts/{service_account}/keys", id: "addServiceAccountKey", summary: "Register a public key for private_key_jwt (owner, admin)", status: 201, request: "ClientKeyCreate", response: "Credential", idempotent: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.addServiceAccountKey }},
		{method: "POST", path: "/teams/{team}/service-accounts/{service_account}/secrets", id: "createServiceAccountSecret", summary: "Create a fallback secret; its value is in this response only (owner, admin)", status: 201, request: "SecretCreate", response: "CredentialSecretCreated", idempotent: true, secret: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.createServiceAccountSecret }},
		{method: "POST", path: "/teams/{team}/apis", id: "createAPI", summary: "Register an API with its scopes (owner, admin)", status: 201, request: "APICreate", response: "API", idempotent: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.createAPI }},
		{method: "GET", path: "/teams/{team}/projects", id: "listProjects", summary: "A team's projects", status: 200, response: "ProjectList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listProjects }},
		{method: "POST", path: "/teams/{team}/projects", id: "createProject", summary: "Create a project (owner, admin)", status: 201, request: "ProjectCreate", response: "Project", idempotent: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.createProject }},
		{method: "GET", path: "/teams/{team}/audit", id: "listAuditEvents", summary: "A team's audit log, newest first (owner, admin)", status: 200, response: "AuditEventList", list: true,
			query:   []queryParam{{name: "action", description: "an action (key.revoke), or every action under a prefix ending in a dot (key.)"}},
			handler: func(h *Handler) echo.HandlerFunc { return h.listAudit }},
		{method: "GET", path: "/projects/{project}", id: "getProject", summary: "A project", status: 200, response: "Project",
			handler: func(h *Handler) echo.HandlerFunc { return h.showProject }},
		{method: "PATCH", path: "/projects/{project}", id: "updateProject", summary: "Change a project's settings (owner, admin)", status: 200, request: "ProjectPatch", response: "Project", ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.updateProject }},
		{method: "DELETE", path: "/projects/{project}", id: "deleteProject", summary: "Delete a project and revoke its keys (owner, admin)", status: 204, ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.deleteProject }},
		{method: "GET", path: "/projects/{project}/keys", id: "listKeys", summary: "A project's API keys", status: 200, response: "APIKeyList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listKeys }},
		{method: "POST", path: "/projects/{project}/keys", id: "createKey", summary: "Create an API key; its value is in this response only (developer+)", status: 201, request: "APIKeyCreate", response: "APIKeyCreated", idempotent: true, secret: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.createKey }},
		{method: "POST", path: "/projects/{project}/keys/{key}/revoke", id: "revokeKey", summary: "Revoke an API key (developer+)", status: 200, response: "APIKey",
			handler: func(h *Handler) echo.HandlerFunc { return h.revokeKey }},
		{method: "GET", path: "/projects/{project}/secrets", id: "listSecrets", summary: "A project's client secrets (metadata only)", status: 200, response: "SecretList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listSecrets }},
		{method: "POST", path: "/projects/{project}/secrets", id: "createSecret", summary: "Create a client secret; its value is in this response only (owner, admin)", status: 201, request: "SecretCreate", response: "SecretCreated", idempotent: true, secret: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.createSecret }},
		{method: "POST", path: "/projects/{project}/secrets/{secret}/revoke", id: "revokeSecret", summary: "Revoke a client secret (owner, admin)", status: 200, response: "Secret",
			handler: func(h *Handler) echo.HandlerFunc { return h.revokeSecret }},
		{method: "PUT", path: "/projects/{project}/vault", id: "setVault", summary: "Keep the project's users' offline access in Gatehouse (the credentials vault), or not (owner, admin)", status: 200, request: "Vault", response: "Vault",
			handler: func(h *Handler) echo.HandlerFunc { return h.setVault }},
		{method: "GET", path: "/projects/{project}/credential-grants", id: "listCredentialGrants", summary: "The services that may use the project's vaulted delegations", status: 200, response: "CredentialGrantList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listCredentialGrants }},
		{method: "POST", path: "/projects/{project}/credential-grants", id: "saveCredentialGrant", summary: "Let a project of the same team use the vault for an API with these scopes, or set its scopes (owner, admin)", status: 201, request: "CredentialGrantCreate", response: "CredentialGrant",
			handler: func(h *Handler) echo.HandlerFunc { return h.saveCredentialGrant }},
		{method: "POST", path: "/projects/{project}/credential-grants/{credential_grant}/revoke", id: "revokeCredentialGrant", summary: "Stop a service from using the vault (owner, admin)", status: 204,
			handler: func(h *Handler) echo.HandlerFunc { return h.revokeCredentialGrant }},
		{method: "GET", path: "/projects/{project}/client-keys", id: "listClientKeys", summary: "A project's registered public keys (private_key_jwt)", status: 200, response: "ClientKeyList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listClientKeys }},
		{method: "POST", path: "/projects/{project}/client-keys", id: "addClientKey", summary: "Register a public key (PEM or JWK) or a jwks_uri (owner, admin)", status: 201, request: "ClientKeyCreate", response: "ClientKey", idempotent: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.addClientKey }},
		{method: "GET", path: "/projects/{project}/client-keys/{client_key}", id: "getClientKey", summary: "A registered public key", status: 200, response: "ClientKey",
			handler: func(h *Handler) echo.HandlerFunc { return h.showClientKey }},
		{method: "DELETE", path: "/projects/{project}/client-keys/{client_key}", id: "removeClientKey", summary: "Remove a registered key (owner, admin)", status: 204, ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.removeClientKey }},
		{method: "GET", path: "/projects/{project}/requests", id: "listProjectRequests", summary: "A project's access requests", status: 200, response: "AccessRequestList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listProjectRequests }},
		{method: "POST", path: "/projects/{project}/requests/{request}/withdraw", id: "withdrawRequest", summary: "Withdraw a pending access request (developer+)", status: 200, response: "AccessRequest",
			handler: func(h *Handler) echo.HandlerFunc { return h.withdrawRequest }},
		{method: "GET", path: "/projects/{project}/usage", id: "getProjectUsage", summary: "A project's daily usage", status: 200, response: "Usage",
			query:   []queryParam{{name: "days", description: "how many days, today included (default 7)", enum: []string{"7", "30"}}},
			handler: func(h *Handler) echo.HandlerFunc { return h.showUsage }},
		{method: "GET", path: "/apis", id: "listAPIs", summary: "APIs of the caller's teams and those listed in the catalog", status: 200, response: "APIList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listAPIs }},
		{method: "GET", path: "/apis/{api}", id: "getAPI", summary: "An API", status: 200, response: "API",
			handler: func(h *Handler) echo.HandlerFunc { return h.showAPI }},
		{method: "PATCH", path: "/apis/{api}", id: "updateAPI", summary: "Change an API's definition (owner, admin)", status: 200, request: "APIPatch", response: "API", ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.updateAPI }},
		{method: "DELETE", path: "/apis/{api}", id: "deleteAPI", summary: "Delete an API: its grants go, its keys are revoked (owner, admin; If-Match stands for the page's typed name)", status: 204, ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.deleteAPI }},
		{method: "POST", path: "/apis/{api}/scopes", id: "addScope", summary: "Define a scope (owner, admin)", status: 201, request: "Scope", response: "API",
			handler: func(h *Handler) echo.HandlerFunc { return h.addScope }},
		{method: "DELETE", path: "/apis/{api}/scopes/{scope}", id: "removeScope", summary: "Remove a scope: grants lose it, keys carrying it are revoked (owner, admin; If-Match: the API's ETag)", status: 204, ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.removeScope }},
		{method: "GET", path: "/apis/{api}/grants", id: "listGrants", summary: "The projects holding access to an API (its team)", status: 200, response: "GrantList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listGrants }},
		{method: "POST", path: "/apis/{api}/grants", id: "createGrant", summary: "Grant one of the API's team's projects access, or set its scopes (owner, admin)", status: 201, request: "GrantCreate", response: "Grant",
			handler: func(h *Handler) echo.HandlerFunc { return h.createGrant }},
		{method: "GET", path: "/apis/{api}/grants/{grant}", id: "getGrant", summary: "A grant on an API (its team)", status: 200, response: "Grant",
			handler: func(h *Handler) echo.HandlerFunc { return h.showGrant }},
		{method: "PATCH", path: "/apis/{api}/grants/{grant}", id: "updateGrant", summary: "Set a grant's scopes (narrowing revokes keys) or whether its project may impersonate through token exchange (owner, admin)", status: 200, request: "GrantPatch", response: "Grant", ifMatch: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.updateGrant }},
		{method: "POST", path: "/apis/{api}/grants/{grant}/revoke", id: "revokeGrant", summary: "Revoke a grant and the project's keys for the API (owner, admin)", status: 204,
			handler: func(h *Handler) echo.HandlerFunc { return h.revokeGrant }},
		{method: "GET", path: "/apis/{api}/requests", id: "listAPIRequests", summary: "An API's access requests (its team)", status: 200, response: "AccessRequestList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listAPIRequests }},
		{method: "POST", path: "/apis/{api}/requests", id: "createRequest", summary: "Ask for access for one of your projects (developer+ of its team)", status: 201, request: "AccessRequestCreate", response: "AccessRequest", idempotent: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.createRequest }},
		{method: "POST", path: "/apis/{api}/requests/{request}/approve", id: "approveRequest", summary: "Approve a request, optionally for fewer scopes (owner, admin)", status: 200, request: "Decision", bodyOptional: true, response: "AccessRequest",
			handler: func(h *Handler) echo.HandlerFunc { return h.approveRequest }},
		{method: "POST", path: "/apis/{api}/requests/{request}/deny", id: "denyRequest", summary: "Deny a request, with a note (owner, admin)", status: 200, request: "Decision", bodyOptional: true, response: "AccessRequest",
			handler: func(h *Handler) echo.HandlerFunc { return h.denyRequest }},
	}
}

// Routes adds the API to e. Every route but the document needs a personal access token.
func (h *Handler) Routes(e *echo.Echo) {
	for _, r := range routes() {
		mw := []echo.MiddlewareFunc{h.noCache(r)}
		if !r.public {
			mw = append(mw, h.authenticate)
		}
		if r.idempotent {
			mw = append(mw, fingerprint(r))
		}
		e.Add(r.method, Prefix+echoPath(r.path), r.handler(h), mw...)
	}
}

// noCache marks responses that carry a secret no-store, and every other response
// private: a token's answers are its user's.
func (h *Handler) noCache(r route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			switch {
			case r.secret:
				httpx.NoStore(c)
			case r.public:
				c.Response().Header().Set("Cache-Control", "public, max-age=300")
			default:
				c.Response().Header().Set("Cache-Control", "private, no-cache")
			}
			return next(c)
		}
	}
}

// echoPath turns /teams/{team} into Echo's /teams/:team.
func echoPath(p string) string {
	out := []byte{}
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '{':
			out = append(out, ':')
		case '}':
		default:
			out = append(out, p[i])
		}
	}
	return string(out)
}

// methodIsRead reports whether the method only reads.
func methodIsRead(m string) bool { return m == http.MethodGet || m == http.MethodHead }
