// Package web is the browser way in: the portal's pages, sign-in, sessions, CSRF and
// flash messages. One file per action (team_show.go, key_create.go, …), each naming its
// route; views/paths.go builds every URL.
package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/views"
)

// Handler serves the pages.
type Handler struct {
	*httpx.Server
	sessions *DBStore
	auth     *authenticator
	cookie   string
}

// New builds the pages over the shared server: the session store and the sign-in
// provider's client.
func New(s *httpx.Server) (*Handler, error) {
	sessions, err := NewDBStore(s.Store, s.Cfg.SessionKeys, s.Cfg.Sessions, s.Secure)
	if err != nil {
		return nil, err
	}
	cookie := "gatehouse_session"
	if s.Secure {
		// __Host- binds the cookie to this exact origin: Secure, Path=/, no Domain.
		cookie = "__Host-gatehouse_session"
	}
	h := &Handler{Server: s, sessions: sessions, auth: newAuthenticator(s.Cfg.OIDC), cookie: cookie}
	s.Page = h.page
	// The authorization endpoint sits under /oauth/ but is a page: a session, HTML errors.
	s.ServePages(views.AuthorizePath(), views.ConsentPath())
	return h, nil
}

// LoadUser is the middleware that reads the signed-in user from the session (every
// request: the error pages show who is signed in too).
func (h *Handler) LoadUser(next echo.HandlerFunc) echo.HandlerFunc { return h.loadUser(next) }

// SessionCookieName is the name of the session cookie.
func (h *Handler) SessionCookieName() string { return h.cookie }

// Routes adds the pages to e. Every unsafe method needs the session's CSRF token.
// (Per-route middleware rather than groups: an Echo group with middleware also catches
// every unknown path, which would turn 404s into sign-in redirects.)
func (h *Handler) Routes(e *echo.Echo) {
	page := []echo.MiddlewareFunc{h.csrf}
	signedIn := []echo.MiddlewareFunc{h.csrf, h.requireUser}
	e.GET("/", h.showHome, page...)
	e.GET("/login", h.startLogin, page...)
	e.GET("/auth/callback", h.finishLogin, page...)
	e.POST("/logout", h.logout, page...)
	e.GET("/oauth/authorize", h.authorize, page...)        // authorize.go
	e.POST("/oauth/consent", h.decideConsent, signedIn...) // authorize.go
	e.POST("/logout/everywhere", h.logoutEverywhere, signedIn...)
	e.GET("/account", h.showAccount, signedIn...)
	e.POST("/account/tokens", h.createPersonalToken, signedIn...)
	e.POST("/account/tokens/:id/revoke", h.revokePersonalToken, signedIn...)
	e.POST("/account/consents/revoke", h.revokeConsent, signedIn...) // consent_revoke.go

	e.GET("/teams", h.listTeams, signedIn...)
	e.POST("/teams", h.createTeam, signedIn...)
	e.GET("/teams/:team", h.showTeam(views.TeamTabOverview), signedIn...)
	e.GET("/teams/:team/members", h.showTeam(views.TeamTabMembers), signedIn...)
	e.GET("/teams/:team/settings", h.showTeam(views.TeamTabSettings), signedIn...)
	e.POST("/teams/:team/rename", h.renameTeam, signedIn...)
	e.POST("/teams/:team/leak-policy", h.setLeakPolicy, signedIn...)
	e.POST("/teams/:team/registration-policy", h.setRegistrationPolicy, signedIn...)               // team_registration.go
	e.POST("/teams/:team/registration-tokens", h.createInitialAccessToken, signedIn...)            // team_registration.go
	e.POST("/teams/:team/registration-tokens/:id/revoke", h.revokeInitialAccessToken, signedIn...) // team_registration.go
	e.POST("/teams/:team/delete", h.deleteTeam, signedIn...)
	e.POST("/teams/:team/leave", h.leaveTeam, signedIn...)
	e.POST("/teams/:team/members/:user/role", h.changeRole, signedIn...)
	e.POST("/teams/:team/members/:user/remove", h.removeMember, signedIn...)
	e.POST("/teams/:team/invitations", h.createInvitation, signedIn...)
	e.POST("/teams/:team/invitations/:id/revoke", h.revokeInvitation, signedIn...)
	e.GET("/teams/:team/webhooks", h.showTeam(views.TeamTabWebhooks), signedIn...)
	e.POST("/teams/:team/webhooks", h.createWebhook, signedIn...)
	e.GET("/teams/:team/webhooks/:webhook", h.showWebhook, signedIn...)
	e.POST("/teams/:team/webhooks/:webhook/enable", h.enableWebhook, signedIn...)
	e.POST("/teams/:team/webhooks/:webhook/settings", h.updateWebhook, signedIn...)
	e.POST("/teams/:team/webhooks/:webhook/rotate", h.rotateWebhook, signedIn...)
	e.POST("/teams/:team/webhooks/:webhook/delete", h.deleteWebhook, signedIn...)
	e.POST("/teams/:team/webhooks/:webhook/test", h.sendTestWebhook, signedIn...)
	e.POST("/teams/:team/webhooks/:webhook/deliveries/:delivery/redeliver", h.redeliverWebhook, signedIn...)
	e.POST("/teams/:team/service-accounts", h.createServiceAccount, signedIn...)
	e.GET("/teams/:team/service-accounts/:sa", h.showServiceAccount, signedIn...)
	e.POST("/teams/:team/service-accounts/:sa/delete", h.deleteServiceAccount, signedIn...)
	e.POST("/teams/:team/service-accounts/:sa/workloads", h.addWorkloadIdentity, signedIn...)
	e.POST("/teams/:team/service-accounts/:sa/keys", h.addServiceAccountKey, signedIn...)
	e.POST("/teams/:team/service-accounts/:sa/secrets", h.createServiceAccountSecret, signedIn...)
	e.POST("/teams/:team/service-accounts/:sa/credentials/:credential/remove", h.removeServiceAccountCredential, signedIn...)
	e.GET("/teams/:team/audit", h.showAudit, signedIn...)
	e.GET("/teams/:team/audit/export", h.exportAudit, signedIn...)
	e.GET("/invitations/:token", h.showInvitation, h.csrf, h.requireUserViaSignInPage)
	e.POST("/invitations/:token", h.acceptInvitation, signedIn...)

	e.GET("/projects/new", h.newProject, signedIn...)
	e.POST("/projects", h.createProject, signedIn...)
	e.GET("/projects/:project", h.showProject(views.ProjectTabOverview), signedIn...)
	for _, tab := range []string{views.ProjectTabKeys, views.ProjectTabCredentials, views.ProjectTabAccess, views.ProjectTabUsage, views.ProjectTabSettings} {
		e.GET("/projects/:project/"+tab, h.showProject(tab), signedIn...)
	}
	e.POST("/projects/:project/settings", h.updateProject, signedIn...)
	e.POST("/projects/:project/delete", h.deleteProject, signedIn...)
	e.POST("/projects/:project/secrets", h.createSecret, signedIn...)
	e.POST("/projects/:project/secrets/:id/revoke", h.revokeSecret, signedIn...)
	e.POST("/projects/:project/connected-users/:family/revoke", h.revokeConnectedUser, signedIn...) // connected_users.go
	e.POST("/projects/:project/vault", h.setVault, signedIn...)                                     // vault.go
	e.POST("/projects/:project/credential-grants", h.createCredentialGrant, signedIn...)            // vault.go
	e.POST("/projects/:project/credential-grants/:grant/revoke", h.revokeCredentialGrant, signedIn...)
	e.POST("/projects/:project/client-keys", h.addClientKey, signedIn...)
	e.POST("/projects/:project/client-keys/:id/remove", h.removeClientKey, signedIn...)
	e.POST("/projects/:project/keys", h.createKey, signedIn...)
	e.POST("/projects/:project/keys/revoke-by-value", h.revokeKeyByValue, signedIn...)
	e.POST("/projects/:project/keys/:id/revoke", h.revokeKey, signedIn...)
	e.POST("/projects/:project/requests/:request/withdraw", h.withdrawRequest, signedIn...)

	e.GET("/apis", h.listAPIs, signedIn...)
	e.GET("/apis/new", h.newAPI, signedIn...)
	e.POST("/apis", h.createAPI, signedIn...)
	e.GET("/apis/:api", h.showAPI(views.APITabOverview), signedIn...)
	for _, tab := range []string{views.APITabAccess, views.APITabVerify, views.APITabUsage, views.APITabSettings} {
		e.GET("/apis/:api/"+tab, h.showAPI(tab), signedIn...)
	}
	e.POST("/apis/:api/settings", h.updateAPI, signedIn...)
	e.POST("/apis/:api/delete", h.deleteAPI, signedIn...)
	e.POST("/apis/:api/scopes", h.addScope, signedIn...)
	e.POST("/apis/:api/scopes/remove", h.removeScope, signedIn...)
	e.POST("/apis/:api/scopes/delegation", h.setScopeDelegation, signedIn...)
	e.POST("/apis/:api/delegation", h.setDelegationTeams, signedIn...)
	e.POST("/apis/:api/grants", h.grantAccess, signedIn...)
	e.POST("/apis/:api/grants/:grant", h.updateGrant, signedIn...)
	e.POST("/apis/:api/grants/:grant/revoke", h.revokeGrant, signedIn...)
	e.POST("/apis/:api/requests", h.requestAccess, signedIn...)
	e.POST("/apis/:api/requests/:request/approve", h.approveRequest, signedIn...)
	e.POST("/apis/:api/requests/:request/deny", h.denyRequest, signedIn...)

	admin := append(signedIn, h.requireAdmin)
	e.GET("/admin/signing-keys", h.showSigningKeys, admin...)
	e.POST("/admin/signing-keys/rotate", h.rotateSigningKeys, admin...)
}
