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
		{method: "GET", path: "/projects/{project}/usage", id: "getProjectUsage", summary: "A project's daily usage", status: 200, response: "Usage",
			query:   []queryParam{{name: "days", description: "how many days, today included (default 7)", enum: []string{"7", "30"}}},
			handler: func(h *Handler) echo.HandlerFunc { return h.showUsage }},
		{method: "GET", path: "/apis", id: "listAPIs", summary: "APIs of the caller's teams and those listed in the catalog", status: 200, response: "APIList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listAPIs }},
		{method: "GET", path: "/apis/{api}", id: "getAPI", summary: "An API", status: 200, response: "API",
			handler: func(h *Handler) echo.HandlerFunc { return h.showAPI }},
		{method: "GET", path: "/apis/{api}/grants", id: "listGrants", summary: "The projects holding access to an API (its team)", status: 200, response: "GrantList", list: true,
			handler: func(h *Handler) echo.HandlerFunc { return h.listGrants }},
	}
}

// Routes adds the API to e. Every route but the document needs a personal access token.
func (h *Handler) Routes(e *echo.Echo) {
	for _, r := range routes() {
		mw := []echo.MiddlewareFunc{h.noCache(r)}
		if !r.public {
			mw = append(mw, h.authenticate)
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
