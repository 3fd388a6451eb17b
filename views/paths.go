package views

// The portal's URLs, one function per route it links, posts or redirects to, so a
// route's shape lives here and nowhere else. Adding a page touches its handler (and
// handlers/routes.go), its templ file and this file; paths_test.go checks every function
// against the routes the handlers register.
//
// Ids are path-escaped (an id holding "/", "?", "#" or a space stays one segment),
// team ids in queries are query-escaped, and section anchors are fragment-escaped. The
// functions return plain strings: handlers redirect to them, and templates wrap them in
// templ.URL for href and action attributes.

import (
	"net/url"
	"strconv"
)

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// anchor appends "#section" to p, escaped as a fragment.
func anchor(p, section string) string {
	return p + "#" + (&url.URL{Fragment: section}).EscapedFragment()
}

// HomePath is the dashboard (signed in) or the sign-in page (signed out): /.
func HomePath() string { return "/" }

// SignInPath is the sign-in page, /, carrying returnTo (query-escaped) when not empty:
// the page whose button signs in and comes back to returnTo.
func SignInPath(returnTo string) string {
	if returnTo == "" {
		return "/"
	}
	return "/?return_to=" + url.QueryEscape(returnTo)
}

// LoginPath is /login, carrying returnTo (query-escaped) when not empty.
func LoginPath(returnTo string) string {
	if returnTo == "" {
		return "/login"
	}
	return "/login?return_to=" + url.QueryEscape(returnTo)
}

// LogoutPath is /logout (POST).
func LogoutPath() string { return "/logout" }

// LogoutEverywherePath is /logout/everywhere (POST).
func LogoutEverywherePath() string { return "/logout/everywhere" }

// AccountPath is /account.
func AccountPath() string { return "/account" }

// PersonalTokensPath is /account/tokens (POST: create a personal access token).
func PersonalTokensPath() string { return "/account/tokens" }

// PersonalTokenRevokePath is /account/tokens/{id}/revoke (POST).
func PersonalTokenRevokePath(id string) string { return "/account/tokens/" + seg(id) + "/revoke" }

// TeamsPath is the team list and the create-team target: /teams.
func TeamsPath() string { return "/teams" }

// TeamPath is a team's page: /teams/{team}.
func TeamPath(id string) string { return "/teams/" + seg(id) }

// TeamTabPath is one of a team's pages: its overview at /teams/{team} (tab
// TeamTabOverview or ""), the others at /teams/{team}/{tab}.
func TeamTabPath(id, tab string) string {
	if tab == "" || tab == TeamTabOverview {
		return TeamPath(id)
	}
	if tab == TeamTabAudit {
		return TeamAuditPath(id, 0)
	}
	return TeamPath(id) + "/" + tab
}

// TeamRenamePath is /teams/{team}/rename (POST).
func TeamRenamePath(id string) string { return TeamPath(id) + "/rename" }

// TeamLeakPolicyPath is /teams/{team}/leak-policy (POST).
func TeamLeakPolicyPath(id string) string { return TeamPath(id) + "/leak-policy" }

// TeamRegistrationPolicyPath is /teams/{team}/registration-policy (POST).
func TeamRegistrationPolicyPath(id string) string { return TeamPath(id) + "/registration-policy" }

// TeamRegistrationTokensPath is /teams/{team}/registration-tokens (POST: create an
// initial access token).
func TeamRegistrationTokensPath(id string) string { return TeamPath(id) + "/registration-tokens" }

// TeamRegistrationTokenRevokePath is /teams/{team}/registration-tokens/{id}/revoke (POST).
func TeamRegistrationTokenRevokePath(teamID, tokenID string) string {
	return TeamRegistrationTokensPath(teamID) + "/" + seg(tokenID) + "/revoke"
}

// TeamDeletePath is /teams/{team}/delete (POST).
func TeamDeletePath(id string) string { return TeamPath(id) + "/delete" }

// TeamLeavePath is /teams/{team}/leave (POST).
func TeamLeavePath(id string) string { return TeamPath(id) + "/leave" }

// MemberRolePath is /teams/{team}/members/{user}/role (POST).
func MemberRolePath(teamID, userID string) string {
	return TeamPath(teamID) + "/members/" + seg(userID) + "/role"
}

// MemberRemovePath is /teams/{team}/members/{user}/remove (POST).
func MemberRemovePath(teamID, userID string) string {
	return TeamPath(teamID) + "/members/" + seg(userID) + "/remove"
}

// TeamInvitationsPath is the invite target /teams/{team}/invitations (POST).
func TeamInvitationsPath(id string) string { return TeamPath(id) + "/invitations" }

// InvitationRevokePath is /teams/{team}/invitations/{id}/revoke (POST).
func InvitationRevokePath(teamID, invitationID string) string {
	return TeamInvitationsPath(teamID) + "/" + seg(invitationID) + "/revoke"
}

// TeamAuditPath is a page of a team's audit log: /teams/{team}/audit?page={page}, or
// without the query when page is below 1 (the first page, as the team page links it).
func TeamAuditPath(id string, page int) string {
	p := TeamPath(id) + "/audit"
	if page < 1 {
		return p
	}
	return p + "?page=" + strconv.Itoa(page)
}

// TeamAuditExportPath is /teams/{team}/audit/export?format={format} followed by the
// filters in query (already encoded, as url.Values.Encode gives them), if any.
func TeamAuditExportPath(id, format, query string) string {
	p := TeamPath(id) + "/audit/export?format=" + url.QueryEscape(format)
	if query != "" {
		p += "&" + query
	}
	return p
}

// InvitationPath is an invitation link's page and accept target: /invitations/{token}.
func InvitationPath(token string) string { return "/invitations/" + seg(token) }

// ProjectsPath is the create-project target: /projects (POST).
func ProjectsPath() string { return "/projects" }

// NewProjectPath is the new-project page, preselecting teamID when not empty.
func NewProjectPath(teamID string) string {
	if teamID == "" {
		return "/projects/new"
	}
	return "/projects/new?team=" + url.QueryEscape(teamID)
}

// ProjectPath is a project's page: /projects/{project}.
func ProjectPath(id string) string { return "/projects/" + seg(id) }

// ProjectTabPath is one of a project's pages: its overview at /projects/{project}
// (tab ProjectTabOverview or ""), the others at /projects/{project}/{tab}.
func ProjectTabPath(id, tab string) string {
	if tab == "" || tab == ProjectTabOverview {
		return ProjectPath(id)
	}
	return ProjectPath(id) + "/" + tab
}

// projectSectionTab is the project page that holds a section.
func projectSectionTab(section string) string {
	switch section {
	case "api-keys", "key-form", "revoke-by-value":
		return ProjectTabKeys
	case "secrets", "client-keys", "secret-form", "connected-users", "vault":
		return ProjectTabCredentials
	case "apis", "requests":
		return ProjectTabAccess
	case "settings", "danger":
		return ProjectTabSettings
	case "usage":
		return ProjectTabUsage
	}
	return ProjectTabOverview
}

// ProjectAnchor is a section on one of a project's pages: /projects/{project}/{tab}#{section}, such
// as "api-keys", "client-keys" or "apis".
func ProjectAnchor(id, section string) string {
	return anchor(ProjectTabPath(id, projectSectionTab(section)), section)
}

// ProjectSettingsPath is /projects/{project}/settings (POST).
func ProjectSettingsPath(id string) string { return ProjectPath(id) + "/settings" }

// ProjectDeletePath is /projects/{project}/delete (POST).
func ProjectDeletePath(id string) string { return ProjectPath(id) + "/delete" }

// ProjectSecretsPath is the create-secret target /projects/{project}/secrets (POST).
func ProjectSecretsPath(id string) string { return ProjectPath(id) + "/secrets" }

// SecretRevokePath is /projects/{project}/secrets/{secret}/revoke (POST).
func SecretRevokePath(projectID, secretID string) string {
	return ProjectSecretsPath(projectID) + "/" + seg(secretID) + "/revoke"
}

// ConnectedUserRevokePath is /projects/{project}/connected-users/{family}/revoke (POST):
// the team's admins revoke a user's refresh-token family.
func ConnectedUserRevokePath(projectID, familyID string) string {
	return ProjectPath(projectID) + "/connected-users/" + seg(familyID) + "/revoke"
}

// ProjectClientKeysPath is the add-key target /projects/{project}/client-keys (POST).
func ProjectClientKeysPath(id string) string { return ProjectPath(id) + "/client-keys" }

// ClientKeyRemovePath is /projects/{project}/client-keys/{key}/remove (POST).
func ClientKeyRemovePath(projectID, keyID string) string {
	return ProjectClientKeysPath(projectID) + "/" + seg(keyID) + "/remove"
}

// ProjectKeysPath is the create-API-key target /projects/{project}/keys (POST); the
// keys section of the page is ProjectAnchor(id, "api-keys").
func ProjectKeysPath(id string) string { return ProjectPath(id) + "/keys" }

// KeyRevokeByValuePath is /projects/{project}/keys/revoke-by-value (POST).
func KeyRevokeByValuePath(id string) string { return ProjectKeysPath(id) + "/revoke-by-value" }

// KeyRevokePath is /projects/{project}/keys/{key}/revoke (POST).
func KeyRevokePath(projectID, keyID string) string {
	return ProjectKeysPath(projectID) + "/" + seg(keyID) + "/revoke"
}

// RequestWithdrawPath is /projects/{project}/requests/{request}/withdraw (POST).
func RequestWithdrawPath(projectID, requestID string) string {
	return ProjectPath(projectID) + "/requests/" + seg(requestID) + "/withdraw"
}

// APIsPath is the API catalog and the register-an-API target: /apis.
func APIsPath() string { return "/apis" }

// NewAPIPath is the register-an-API page, preselecting teamID when not empty.
func NewAPIPath(teamID string) string {
	if teamID == "" {
		return "/apis/new"
	}
	return "/apis/new?team=" + url.QueryEscape(teamID)
}

// APIPath is an API's page: /apis/{api}.
func APIPath(id string) string { return "/apis/" + seg(id) }

// APITabPath is one of an API's pages: its overview at /apis/{api} (tab APITabOverview
// or ""), the others at /apis/{api}/{tab}.
func APITabPath(id, tab string) string {
	if tab == "" || tab == APITabOverview {
		return APIPath(id)
	}
	return APIPath(id) + "/" + tab
}

// apiSectionTab is the API page that holds a section.
func apiSectionTab(section string) string {
	switch section {
	case "requests", "grants", "grant-form":
		return APITabAccess
	case "verify":
		return APITabVerify
	case "settings", "danger":
		return APITabSettings
	case "usage":
		return APITabUsage
	}
	return APITabOverview
}

// APIAnchor is a section on one of an API's pages: /apis/{api}/{tab}#{section}, such as "scopes",
// "grants", "requests", "request" or "settings".
func APIAnchor(id, section string) string {
	return anchor(APITabPath(id, apiSectionTab(section)), section)
}

// APISettingsPath is /apis/{api}/settings (POST).
func APISettingsPath(id string) string { return APIPath(id) + "/settings" }

// APIDeletePath is /apis/{api}/delete (POST).
func APIDeletePath(id string) string { return APIPath(id) + "/delete" }

// APIScopesPath is the add-scope target /apis/{api}/scopes (POST).
func APIScopesPath(id string) string { return APIPath(id) + "/scopes" }

// APIScopeRemovePath is /apis/{api}/scopes/remove (POST, the scope in the form).
func APIScopeRemovePath(id string) string { return APIScopesPath(id) + "/remove" }

// APIGrantsPath is the grant-access target /apis/{api}/grants (POST).
func APIGrantsPath(id string) string { return APIPath(id) + "/grants" }

// GrantPath is a grant's update target: /apis/{api}/grants/{grant} (POST).
func GrantPath(apiID, grantID string) string { return APIGrantsPath(apiID) + "/" + seg(grantID) }

// GrantRevokePath is /apis/{api}/grants/{grant}/revoke (POST).
func GrantRevokePath(apiID, grantID string) string { return GrantPath(apiID, grantID) + "/revoke" }

// APIRequestsPath is the request-access target /apis/{api}/requests (POST).
func APIRequestsPath(id string) string { return APIPath(id) + "/requests" }

// RequestApprovePath is /apis/{api}/requests/{request}/approve (POST).
func RequestApprovePath(apiID, requestID string) string {
	return APIRequestsPath(apiID) + "/" + seg(requestID) + "/approve"
}

// RequestDenyPath is /apis/{api}/requests/{request}/deny (POST).
func RequestDenyPath(apiID, requestID string) string {
	return APIRequestsPath(apiID) + "/" + seg(requestID) + "/deny"
}

// AdminSigningKeysPath is the operators' signing-key page: /admin/signing-keys.
func AdminSigningKeysPath() string { return "/admin/signing-keys" }

// AdminRotatePath is /admin/signing-keys/rotate (POST).
func AdminRotatePath() string { return AdminSigningKeysPath() + "/rotate" }

// ServiceAccountsPath is /teams/{team}/service-accounts (POST creates one).
func ServiceAccountsPath(teamID string) string { return TeamPath(teamID) + "/service-accounts" }

// ServiceAccountPath is a service account's page.
func ServiceAccountPath(teamID, id string) string { return ServiceAccountsPath(teamID) + "/" + seg(id) }

// ServiceAccountActionPath is /teams/{team}/service-accounts/{sa}/{action}: delete,
// workloads, keys or secrets (POST).
func ServiceAccountActionPath(teamID, id, action string) string {
	return ServiceAccountPath(teamID, id) + "/" + action
}

// ServiceAccountCredentialRemovePath removes (or, for a secret, revokes) a credential.
func ServiceAccountCredentialRemovePath(teamID, id, credentialID string) string {
	return ServiceAccountPath(teamID, id) + "/credentials/" + seg(credentialID) + "/remove"
}

// ProjectVaultPath is /projects/{project}/vault (POST): the team's admins turn the
// credentials vault on or off.
func ProjectVaultPath(id string) string { return ProjectPath(id) + "/vault" }

// CredentialGrantsPath is /projects/{project}/credential-grants (POST): name a service
// that may use the project's vaulted delegations.
func CredentialGrantsPath(id string) string { return ProjectPath(id) + "/credential-grants" }

// CredentialGrantRevokePath is /projects/{project}/credential-grants/{grant}/revoke (POST).
func CredentialGrantRevokePath(projectID, grantID string) string {
	return CredentialGrantsPath(projectID) + "/" + seg(grantID) + "/revoke"
}
