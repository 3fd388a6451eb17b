package views_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers"
	"github.com/gatehouse-dev/gatehouse/views"
)

// Hostile ids: each holds a character that would end a path segment ("/"), start a query
// ("?") or a fragment ("#"), or is not allowed in a URL (" "), so a path function that
// forgets to escape one sends the browser to another route or another object.
const (
	id1 = "a/b?c#d e"
	id2 = "x?y/z #1"
	// esc1 and esc2 are id1 and id2 path-escaped.
	esc1 = "a%2Fb%3Fc%23d%20e"
	esc2 = "x%3Fy%2Fz%20%231"
)

// pathCase is a path function's result, the exact URL it must be, and the route (as
// handlers/routes.go registers it) a request for it must reach.
type pathCase struct {
	got, want       string
	method, pattern string
	// params are the route's parameters the URL must carry, unescaped.
	params map[string]string
	// query and fragment are what the URL must carry after its path.
	query    url.Values
	fragment string
}

func pathCases() []pathCase {
	team := map[string]string{"team": id1}
	project := map[string]string{"project": id1}
	api := map[string]string{"api": id1}
	return []pathCase{
		{got: views.HomePath(), want: "/", method: http.MethodGet, pattern: "/"},
		{got: views.SignInPath(""), want: "/", method: http.MethodGet, pattern: "/"},
		{got: views.SignInPath("/invitations/a b?x=1&y=#z"), want: "/?return_to=%2Finvitations%2Fa+b%3Fx%3D1%26y%3D%23z",
			method: http.MethodGet, pattern: "/", query: url.Values{"return_to": {"/invitations/a b?x=1&y=#z"}}},
		{got: views.LoginPath(""), want: "/login", method: http.MethodGet, pattern: "/login"},
		{got: views.LoginPath("/teams/a b?x=1&y=#z"), want: "/login?return_to=%2Fteams%2Fa+b%3Fx%3D1%26y%3D%23z",
			method: http.MethodGet, pattern: "/login", query: url.Values{"return_to": {"/teams/a b?x=1&y=#z"}}},
		{got: views.LogoutPath(), want: "/logout", method: http.MethodPost, pattern: "/logout"},
		{got: views.LogoutEverywherePath(), want: "/logout/everywhere", method: http.MethodPost, pattern: "/logout/everywhere"},
		{got: views.AccountPath(), want: "/account", method: http.MethodGet, pattern: "/account"},
		{got: views.PersonalTokensPath(), want: "/account/tokens", method: http.MethodPost, pattern: "/account/tokens"},
		{got: views.PersonalTokenRevokePath(id1), want: "/account/tokens/" + esc1 + "/revoke", method: http.MethodPost,
			pattern: "/account/tokens/:id/revoke", params: map[string]string{"id": id1}},

		{got: views.TeamsPath(), want: "/teams", method: http.MethodGet, pattern: "/teams"},
		{got: views.TeamsPath(), want: "/teams", method: http.MethodPost, pattern: "/teams"},
		{got: views.TeamPath(id1), want: "/teams/" + esc1, method: http.MethodGet, pattern: "/teams/:team", params: team},
		{got: views.TeamTabPath(id1, ""), want: "/teams/" + esc1, method: http.MethodGet, pattern: "/teams/:team", params: team},
		{got: views.TeamTabPath(id1, views.TeamTabOverview), want: "/teams/" + esc1, method: http.MethodGet, pattern: "/teams/:team", params: team},
		{got: views.TeamTabPath(id1, views.TeamTabMembers), want: "/teams/" + esc1 + "/members", method: http.MethodGet,
			pattern: "/teams/:team/members", params: team},
		{got: views.TeamTabPath(id1, views.TeamTabSettings), want: "/teams/" + esc1 + "/settings", method: http.MethodGet,
			pattern: "/teams/:team/settings", params: team},
		{got: views.TeamTabPath(id1, views.TeamTabAudit), want: "/teams/" + esc1 + "/audit", method: http.MethodGet,
			pattern: "/teams/:team/audit", params: team},
		{got: views.TeamRenamePath(id1), want: "/teams/" + esc1 + "/rename", method: http.MethodPost, pattern: "/teams/:team/rename", params: team},
		{got: views.TeamLeakPolicyPath(id1), want: "/teams/" + esc1 + "/leak-policy", method: http.MethodPost, pattern: "/teams/:team/leak-policy", params: team},
		{got: views.TeamRegistrationPolicyPath(id1), want: "/teams/" + esc1 + "/registration-policy", method: http.MethodPost,
			pattern: "/teams/:team/registration-policy", params: team},
		{got: views.TeamRegistrationTokensPath(id1), want: "/teams/" + esc1 + "/registration-tokens", method: http.MethodPost,
			pattern: "/teams/:team/registration-tokens", params: team},
		{got: views.TeamRegistrationTokenRevokePath(id1, id2), want: "/teams/" + esc1 + "/registration-tokens/" + esc2 + "/revoke",
			method: http.MethodPost, pattern: "/teams/:team/registration-tokens/:id/revoke", params: map[string]string{"team": id1, "id": id2}},
		{got: views.TeamDeletePath(id1), want: "/teams/" + esc1 + "/delete", method: http.MethodPost, pattern: "/teams/:team/delete", params: team},
		{got: views.TeamLeavePath(id1), want: "/teams/" + esc1 + "/leave", method: http.MethodPost, pattern: "/teams/:team/leave", params: team},
		{got: views.MemberRolePath(id1, id2), want: "/teams/" + esc1 + "/members/" + esc2 + "/role", method: http.MethodPost,
			pattern: "/teams/:team/members/:user/role", params: map[string]string{"team": id1, "user": id2}},
		{got: views.MemberRemovePath(id1, id2), want: "/teams/" + esc1 + "/members/" + esc2 + "/remove", method: http.MethodPost,
			pattern: "/teams/:team/members/:user/remove", params: map[string]string{"team": id1, "user": id2}},
		{got: views.TeamInvitationsPath(id1), want: "/teams/" + esc1 + "/invitations", method: http.MethodPost,
			pattern: "/teams/:team/invitations", params: team},
		{got: views.InvitationRevokePath(id1, id2), want: "/teams/" + esc1 + "/invitations/" + esc2 + "/revoke", method: http.MethodPost,
			pattern: "/teams/:team/invitations/:id/revoke", params: map[string]string{"team": id1, "id": id2}},
		{got: views.WebhooksPath(id1), want: "/teams/" + esc1 + "/webhooks", method: http.MethodGet, pattern: "/teams/:team/webhooks", params: team},
		{got: views.TeamTabPath(id1, views.TeamTabWebhooks), want: "/teams/" + esc1 + "/webhooks", method: http.MethodGet, pattern: "/teams/:team/webhooks", params: team},
		{got: views.WebhooksPath(id1), want: "/teams/" + esc1 + "/webhooks", method: http.MethodPost, pattern: "/teams/:team/webhooks", params: team},
		{got: views.WebhookPath(id1, id2), want: "/teams/" + esc1 + "/webhooks/" + esc2, method: http.MethodGet, pattern: "/teams/:team/webhooks/:webhook",
			params: map[string]string{"team": id1, "webhook": id2}},
		{got: views.WebhookActionPath(id1, id2, "enable"), want: "/teams/" + esc1 + "/webhooks/" + esc2 + "/enable", method: http.MethodPost,
			pattern: "/teams/:team/webhooks/:webhook/enable", params: map[string]string{"team": id1, "webhook": id2}},
		{got: views.WebhookActionPath(id1, id2, "rotate"), want: "/teams/" + esc1 + "/webhooks/" + esc2 + "/rotate", method: http.MethodPost,
			pattern: "/teams/:team/webhooks/:webhook/rotate", params: map[string]string{"team": id1, "webhook": id2}},
		{got: views.WebhookActionPath(id1, id2, "settings"), want: "/teams/" + esc1 + "/webhooks/" + esc2 + "/settings", method: http.MethodPost,
			pattern: "/teams/:team/webhooks/:webhook/settings", params: map[string]string{"team": id1, "webhook": id2}},
		{got: views.WebhookActionPath(id1, id2, "delete"), want: "/teams/" + esc1 + "/webhooks/" + esc2 + "/delete", method: http.MethodPost,
			pattern: "/teams/:team/webhooks/:webhook/delete", params: map[string]string{"team": id1, "webhook": id2}},
		{got: views.WebhookActionPath(id1, id2, "test"), want: "/teams/" + esc1 + "/webhooks/" + esc2 + "/test", method: http.MethodPost,
			pattern: "/teams/:team/webhooks/:webhook/test", params: map[string]string{"team": id1, "webhook": id2}},
		{got: views.ServiceAccountsPath(id1), want: "/teams/" + esc1 + "/service-accounts", method: http.MethodPost, pattern: "/teams/:team/service-accounts", params: team},
		{got: views.ServiceAccountPath(id1, id2), want: "/teams/" + esc1 + "/service-accounts/" + esc2, method: http.MethodGet,
			pattern: "/teams/:team/service-accounts/:sa", params: map[string]string{"team": id1, "sa": id2}},
		{got: views.ServiceAccountActionPath(id1, id2, "delete"), want: "/teams/" + esc1 + "/service-accounts/" + esc2 + "/delete", method: http.MethodPost,
			pattern: "/teams/:team/service-accounts/:sa/delete", params: map[string]string{"team": id1, "sa": id2}},
		{got: views.ServiceAccountActionPath(id1, id2, "workloads"), want: "/teams/" + esc1 + "/service-accounts/" + esc2 + "/workloads", method: http.MethodPost,
			pattern: "/teams/:team/service-accounts/:sa/workloads", params: map[string]string{"team": id1, "sa": id2}},
		{got: views.ServiceAccountActionPath(id1, id2, "keys"), want: "/teams/" + esc1 + "/service-accounts/" + esc2 + "/keys", method: http.MethodPost,
			pattern: "/teams/:team/service-accounts/:sa/keys", params: map[string]string{"team": id1, "sa": id2}},
		{got: views.ServiceAccountActionPath(id1, id2, "secrets"), want: "/teams/" + esc1 + "/service-accounts/" + esc2 + "/secrets", method: http.MethodPost,
			pattern: "/teams/:team/service-accounts/:sa/secrets", params: map[string]string{"team": id1, "sa": id2}},
		{got: views.ServiceAccountCredentialRemovePath(id1, id2, id1), want: "/teams/" + esc1 + "/service-accounts/" + esc2 + "/credentials/" + esc1 + "/remove",
			method: http.MethodPost, pattern: "/teams/:team/service-accounts/:sa/credentials/:credential/remove",
			params: map[string]string{"team": id1, "sa": id2, "credential": id1}},
		{got: views.WebhookRedeliverPath(id1, id2, id1), want: "/teams/" + esc1 + "/webhooks/" + esc2 + "/deliveries/" + esc1 + "/redeliver",
			method: http.MethodPost, pattern: "/teams/:team/webhooks/:webhook/deliveries/:delivery/redeliver",
			params: map[string]string{"team": id1, "webhook": id2, "delivery": id1}},
		{got: views.TeamAuditPath(id1, 0), want: "/teams/" + esc1 + "/audit", method: http.MethodGet, pattern: "/teams/:team/audit", params: team},
		{got: views.TeamAuditExportPath(id1, "csv", "action=key.&actor=a%26b"), want: "/teams/" + esc1 + "/audit/export?format=csv&action=key.&actor=a%26b",
			method: http.MethodGet, pattern: "/teams/:team/audit/export", params: team,
			query: url.Values{"format": {"csv"}, "action": {"key."}, "actor": {"a&b"}}},
		{got: views.TeamAuditPath(id1, 3), want: "/teams/" + esc1 + "/audit?page=3", method: http.MethodGet, pattern: "/teams/:team/audit",
			params: team, query: url.Values{"page": {"3"}}},
		{got: views.InvitationPath(id2), want: "/invitations/" + esc2, method: http.MethodGet, pattern: "/invitations/:token",
			params: map[string]string{"token": id2}},
		{got: views.InvitationPath(id2), want: "/invitations/" + esc2, method: http.MethodPost, pattern: "/invitations/:token",
			params: map[string]string{"token": id2}},

		{got: views.NewProjectPath(""), want: "/projects/new", method: http.MethodGet, pattern: "/projects/new"},
		{got: views.NewProjectPath("t&x=1 #"), want: "/projects/new?team=t%26x%3D1+%23", method: http.MethodGet, pattern: "/projects/new",
			query: url.Values{"team": {"t&x=1 #"}}},
		{got: views.ProjectsPath(), want: "/projects", method: http.MethodPost, pattern: "/projects"},
		{got: views.ProjectPath(id1), want: "/projects/" + esc1, method: http.MethodGet, pattern: "/projects/:project", params: project},
		{got: views.ProjectTabPath(id1, ""), want: "/projects/" + esc1, method: http.MethodGet, pattern: "/projects/:project", params: project},
		{got: views.ProjectTabPath(id1, views.ProjectTabOverview), want: "/projects/" + esc1, method: http.MethodGet,
			pattern: "/projects/:project", params: project},
		{got: views.ProjectTabPath(id1, views.ProjectTabKeys), want: "/projects/" + esc1 + "/keys", method: http.MethodGet,
			pattern: "/projects/:project/keys", params: project},
		{got: views.ProjectTabPath(id1, views.ProjectTabCredentials), want: "/projects/" + esc1 + "/credentials", method: http.MethodGet,
			pattern: "/projects/:project/credentials", params: project},
		{got: views.ProjectTabPath(id1, views.ProjectTabAccess), want: "/projects/" + esc1 + "/access", method: http.MethodGet,
			pattern: "/projects/:project/access", params: project},
		{got: views.ProjectTabPath(id1, views.ProjectTabUsage), want: "/projects/" + esc1 + "/usage", method: http.MethodGet,
			pattern: "/projects/:project/usage", params: project},
		{got: views.ProjectTabPath(id1, views.ProjectTabSettings), want: "/projects/" + esc1 + "/settings", method: http.MethodGet,
			pattern: "/projects/:project/settings", params: project},
		// A section is on the page that holds it.
		{got: views.ProjectAnchor(id1, "api-keys"), want: "/projects/" + esc1 + "/keys#api-keys", method: http.MethodGet,
			pattern: "/projects/:project/keys", params: project, fragment: "api-keys"},
		{got: views.ProjectAnchor(id1, "key-form"), want: "/projects/" + esc1 + "/keys#key-form", method: http.MethodGet,
			pattern: "/projects/:project/keys", params: project, fragment: "key-form"},
		{got: views.ProjectAnchor(id1, "secrets"), want: "/projects/" + esc1 + "/credentials#secrets", method: http.MethodGet,
			pattern: "/projects/:project/credentials", params: project, fragment: "secrets"},
		{got: views.ProjectAnchor(id1, "client-keys"), want: "/projects/" + esc1 + "/credentials#client-keys", method: http.MethodGet,
			pattern: "/projects/:project/credentials", params: project, fragment: "client-keys"},
		{got: views.ProjectAnchor(id1, "secret-form"), want: "/projects/" + esc1 + "/credentials#secret-form", method: http.MethodGet,
			pattern: "/projects/:project/credentials", params: project, fragment: "secret-form"},
		{got: views.ProjectAnchor(id1, "apis"), want: "/projects/" + esc1 + "/access#apis", method: http.MethodGet,
			pattern: "/projects/:project/access", params: project, fragment: "apis"},
		{got: views.ProjectAnchor(id1, "usage"), want: "/projects/" + esc1 + "/usage#usage", method: http.MethodGet,
			pattern: "/projects/:project/usage", params: project, fragment: "usage"},
		{got: views.ProjectAnchor(id1, "settings"), want: "/projects/" + esc1 + "/settings#settings", method: http.MethodGet,
			pattern: "/projects/:project/settings", params: project, fragment: "settings"},
		{got: views.ProjectAnchor(id1, "danger"), want: "/projects/" + esc1 + "/settings#danger", method: http.MethodGet,
			pattern: "/projects/:project/settings", params: project, fragment: "danger"},
		{got: views.ProjectAnchor(id1, "connected-users"), want: "/projects/" + esc1 + "/credentials#connected-users", method: http.MethodGet,
			pattern: "/projects/:project/credentials", params: project, fragment: "connected-users"},
		{got: views.ProjectAnchor(id1, "credentials"), want: "/projects/" + esc1 + "#credentials", method: http.MethodGet,
			pattern: "/projects/:project", params: project, fragment: "credentials"},
		{got: views.ProjectAnchor(id1, "a b#"), want: "/projects/" + esc1 + "#a%20b%23", method: http.MethodGet,
			pattern: "/projects/:project", params: project, fragment: "a b#"},
		{got: views.ProjectSettingsPath(id1), want: "/projects/" + esc1 + "/settings", method: http.MethodPost,
			pattern: "/projects/:project/settings", params: project},
		{got: views.ProjectDeletePath(id1), want: "/projects/" + esc1 + "/delete", method: http.MethodPost,
			pattern: "/projects/:project/delete", params: project},
		{got: views.ProjectSecretsPath(id1), want: "/projects/" + esc1 + "/secrets", method: http.MethodPost,
			pattern: "/projects/:project/secrets", params: project},
		{got: views.SecretRevokePath(id1, id2), want: "/projects/" + esc1 + "/secrets/" + esc2 + "/revoke", method: http.MethodPost,
			pattern: "/projects/:project/secrets/:id/revoke", params: map[string]string{"project": id1, "id": id2}},
		{got: views.ConnectedUserRevokePath(id1, id2), want: "/projects/" + esc1 + "/connected-users/" + esc2 + "/revoke", method: http.MethodPost,
			pattern: "/projects/:project/connected-users/:family/revoke", params: map[string]string{"project": id1, "family": id2}},
		{got: views.ProjectVaultPath(id1), want: "/projects/" + esc1 + "/vault", method: http.MethodPost,
			pattern: "/projects/:project/vault", params: project},
		{got: views.CredentialGrantsPath(id1), want: "/projects/" + esc1 + "/credential-grants", method: http.MethodPost,
			pattern: "/projects/:project/credential-grants", params: project},
		{got: views.CredentialGrantRevokePath(id1, id2), want: "/projects/" + esc1 + "/credential-grants/" + esc2 + "/revoke", method: http.MethodPost,
			pattern: "/projects/:project/credential-grants/:grant/revoke", params: map[string]string{"project": id1, "grant": id2}},
		{got: views.ProjectClientKeysPath(id1), want: "/projects/" + esc1 + "/client-keys", method: http.MethodPost,
			pattern: "/projects/:project/client-keys", params: project},
		{got: views.ClientKeyRemovePath(id1, id2), want: "/projects/" + esc1 + "/client-keys/" + esc2 + "/remove", method: http.MethodPost,
			pattern: "/projects/:project/client-keys/:id/remove", params: map[string]string{"project": id1, "id": id2}},
		{got: views.ProjectKeysPath(id1), want: "/projects/" + esc1 + "/keys", method: http.MethodPost,
			pattern: "/projects/:project/keys", params: project},
		{got: views.KeyRevokeByValuePath(id1), want: "/projects/" + esc1 + "/keys/revoke-by-value", method: http.MethodPost,
			pattern: "/projects/:project/keys/revoke-by-value", params: project},
		{got: views.KeyRevokePath(id1, id2), want: "/projects/" + esc1 + "/keys/" + esc2 + "/revoke", method: http.MethodPost,
			pattern: "/projects/:project/keys/:id/revoke", params: map[string]string{"project": id1, "id": id2}},
		{got: views.RequestWithdrawPath(id1, id2), want: "/projects/" + esc1 + "/requests/" + esc2 + "/withdraw", method: http.MethodPost,
			pattern: "/projects/:project/requests/:request/withdraw", params: map[string]string{"project": id1, "request": id2}},

		{got: views.APIsPath(), want: "/apis", method: http.MethodGet, pattern: "/apis"},
		{got: views.APIsPath(), want: "/apis", method: http.MethodPost, pattern: "/apis"},
		{got: views.NewAPIPath(""), want: "/apis/new", method: http.MethodGet, pattern: "/apis/new"},
		{got: views.NewAPIPath("t/1?"), want: "/apis/new?team=t%2F1%3F", method: http.MethodGet, pattern: "/apis/new",
			query: url.Values{"team": {"t/1?"}}},
		{got: views.APIPath(id1), want: "/apis/" + esc1, method: http.MethodGet, pattern: "/apis/:api", params: api},
		{got: views.APITabPath(id1, ""), want: "/apis/" + esc1, method: http.MethodGet, pattern: "/apis/:api", params: api},
		{got: views.APITabPath(id1, views.APITabOverview), want: "/apis/" + esc1, method: http.MethodGet, pattern: "/apis/:api", params: api},
		{got: views.APITabPath(id1, views.APITabAccess), want: "/apis/" + esc1 + "/access", method: http.MethodGet,
			pattern: "/apis/:api/access", params: api},
		{got: views.APITabPath(id1, views.APITabVerify), want: "/apis/" + esc1 + "/verify", method: http.MethodGet,
			pattern: "/apis/:api/verify", params: api},
		{got: views.APITabPath(id1, views.APITabUsage), want: "/apis/" + esc1 + "/usage", method: http.MethodGet,
			pattern: "/apis/:api/usage", params: api},
		{got: views.APITabPath(id1, views.APITabSettings), want: "/apis/" + esc1 + "/settings", method: http.MethodGet,
			pattern: "/apis/:api/settings", params: api},
		// A section is on the page that holds it: scopes, the request form and the
		// identifier on the overview, the rest on their tab's page.
		{got: views.APIAnchor(id1, "scopes"), want: "/apis/" + esc1 + "#scopes", method: http.MethodGet, pattern: "/apis/:api",
			params: api, fragment: "scopes"},
		{got: views.APIAnchor(id1, "request"), want: "/apis/" + esc1 + "#request", method: http.MethodGet, pattern: "/apis/:api",
			params: api, fragment: "request"},
		{got: views.APIAnchor(id1, "identifier"), want: "/apis/" + esc1 + "#identifier", method: http.MethodGet, pattern: "/apis/:api",
			params: api, fragment: "identifier"},
		{got: views.APIAnchor(id1, "requests"), want: "/apis/" + esc1 + "/access#requests", method: http.MethodGet,
			pattern: "/apis/:api/access", params: api, fragment: "requests"},
		{got: views.APIAnchor(id1, "grants"), want: "/apis/" + esc1 + "/access#grants", method: http.MethodGet,
			pattern: "/apis/:api/access", params: api, fragment: "grants"},
		{got: views.APIAnchor(id1, "grant-form"), want: "/apis/" + esc1 + "/access#grant-form", method: http.MethodGet,
			pattern: "/apis/:api/access", params: api, fragment: "grant-form"},
		{got: views.APIAnchor(id1, "verify"), want: "/apis/" + esc1 + "/verify#verify", method: http.MethodGet,
			pattern: "/apis/:api/verify", params: api, fragment: "verify"},
		{got: views.APIAnchor(id1, "usage"), want: "/apis/" + esc1 + "/usage#usage", method: http.MethodGet,
			pattern: "/apis/:api/usage", params: api, fragment: "usage"},
		{got: views.APIAnchor(id1, "settings"), want: "/apis/" + esc1 + "/settings#settings", method: http.MethodGet,
			pattern: "/apis/:api/settings", params: api, fragment: "settings"},
		{got: views.APIAnchor(id1, "danger"), want: "/apis/" + esc1 + "/settings#danger", method: http.MethodGet,
			pattern: "/apis/:api/settings", params: api, fragment: "danger"},
		{got: views.APIAnchor(id1, "a b#"), want: "/apis/" + esc1 + "#a%20b%23", method: http.MethodGet, pattern: "/apis/:api",
			params: api, fragment: "a b#"},
		{got: views.APISettingsPath(id1), want: "/apis/" + esc1 + "/settings", method: http.MethodPost, pattern: "/apis/:api/settings", params: api},
		{got: views.APIDeletePath(id1), want: "/apis/" + esc1 + "/delete", method: http.MethodPost, pattern: "/apis/:api/delete", params: api},
		{got: views.APIScopesPath(id1), want: "/apis/" + esc1 + "/scopes", method: http.MethodPost, pattern: "/apis/:api/scopes", params: api},
		{got: views.APIScopeRemovePath(id1), want: "/apis/" + esc1 + "/scopes/remove", method: http.MethodPost,
			pattern: "/apis/:api/scopes/remove", params: api},
		{got: views.APIScopeDelegationPath(id1), want: "/apis/" + esc1 + "/scopes/delegation", method: http.MethodPost,
			pattern: "/apis/:api/scopes/delegation", params: api},
		{got: views.APIDelegationPath(id1), want: "/apis/" + esc1 + "/delegation", method: http.MethodPost,
			pattern: "/apis/:api/delegation", params: api},
		{got: views.AuthorizePath(), want: "/oauth/authorize", method: http.MethodGet, pattern: "/oauth/authorize"},
		{got: views.AuthorizeResumePath("a b&c=d#e"), want: "/oauth/authorize?resume=a+b%26c%3Dd%23e", method: http.MethodGet,
			pattern: "/oauth/authorize", query: url.Values{"resume": {"a b&c=d#e"}}},
		{got: views.ConsentPath(), want: "/oauth/consent", method: http.MethodPost, pattern: "/oauth/consent"},
		{got: views.PushedAuthorizationPath(), want: "/oauth/par", method: http.MethodPost, pattern: "/oauth/par"},
		{got: views.ConsentRevokePath(), want: "/account/consents/revoke", method: http.MethodPost, pattern: "/account/consents/revoke"},
		{got: views.APIGrantsPath(id1), want: "/apis/" + esc1 + "/grants", method: http.MethodPost, pattern: "/apis/:api/grants", params: api},
		{got: views.GrantPath(id1, id2), want: "/apis/" + esc1 + "/grants/" + esc2, method: http.MethodPost,
			pattern: "/apis/:api/grants/:grant", params: map[string]string{"api": id1, "grant": id2}},
		{got: views.GrantRevokePath(id1, id2), want: "/apis/" + esc1 + "/grants/" + esc2 + "/revoke", method: http.MethodPost,
			pattern: "/apis/:api/grants/:grant/revoke", params: map[string]string{"api": id1, "grant": id2}},
		{got: views.APIRequestsPath(id1), want: "/apis/" + esc1 + "/requests", method: http.MethodPost, pattern: "/apis/:api/requests", params: api},
		{got: views.RequestApprovePath(id1, id2), want: "/apis/" + esc1 + "/requests/" + esc2 + "/approve", method: http.MethodPost,
			pattern: "/apis/:api/requests/:request/approve", params: map[string]string{"api": id1, "request": id2}},
		{got: views.RequestDenyPath(id1, id2), want: "/apis/" + esc1 + "/requests/" + esc2 + "/deny", method: http.MethodPost,
			pattern: "/apis/:api/requests/:request/deny", params: map[string]string{"api": id1, "request": id2}},

		{got: views.AdminSigningKeysPath(), want: "/admin/signing-keys", method: http.MethodGet, pattern: "/admin/signing-keys"},
		{got: views.AdminRotatePath(), want: "/admin/signing-keys/rotate", method: http.MethodPost, pattern: "/admin/signing-keys/rotate"},
	}
}

// notLinked are the routes no page links, posts or redirects to by a path function:
// machine endpoints, assets and the identity provider's callback.
var notLinked = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true,
	"GET /.well-known/jwks.json": true, "GET /.well-known/jwks.pem": true, "GET /.well-known/oauth-authorization-server": true,
	"POST /oauth/token": true, "POST /oauth/introspect": true, "POST /oauth/revoke": true,
	"GET /statuslists/:id": true, "GET /statuslists/events": true, "GET /static/*": true, "GET /favicon.ico": true, "GET /auth/callback": true,
	"POST /leaks/github": true, "GET /oauth/resource-metadata": true,
	"POST /oauth/register": true, "GET /oauth/register/:client_id": true, "PUT /oauth/register/:client_id": true,
	"DELETE /oauth/register/:client_id":     true,
	"GET /.well-known/openid-configuration": true, "GET /oauth/userinfo": true, "POST /oauth/userinfo": true,
}

// router is the Echo router with every route the handlers register. Register only
// binds method values, so a zero Handler serves for reading the routing table.
func router(t *testing.T) *echo.Echo {
	t.Helper()
	e := echo.New()
	(&handlers.Handler{}).Register(e)
	return e
}

// TestPathsMatchRoutes checks each path function's exact result and that a request for
// it reaches the route handlers/routes.go registers for it, with each id whole in its
// parameter, and the query and fragment intact.
func TestPathsMatchRoutes(t *testing.T) {
	e := router(t)
	for _, tc := range pathCases() {
		if tc.got != tc.want {
			t.Errorf("%s %s: got %q, want %q", tc.method, tc.pattern, tc.got, tc.want)
			continue
		}
		u, err := url.Parse(tc.got)
		if err != nil {
			t.Errorf("%q does not parse: %v", tc.got, err)
			continue
		}
		// Route the path as Echo does for a browser's request: on the escaped path when
		// it differs from the decoded one (RawPath), then its parameters stay escaped.
		req := httptest.NewRequest(tc.method, u.RequestURI(), nil)
		c := e.NewContext(req, httptest.NewRecorder())
		e.Router().Find(tc.method, echo.GetPath(req), c)
		if c.Path() != tc.pattern {
			t.Errorf("%q (%s) routes to %q, want %q", tc.got, tc.method, c.Path(), tc.pattern)
			continue
		}
		if len(c.ParamNames()) != len(tc.params) {
			t.Errorf("%q: parameters %q, want %v", tc.got, c.ParamNames(), tc.params)
		}
		for name, want := range tc.params {
			got := c.Param(name)
			if req.URL.RawPath != "" {
				if got, err = url.PathUnescape(got); err != nil {
					t.Errorf("%q: parameter %s: %v", tc.got, name, err)
				}
			}
			if got != want {
				t.Errorf("%q: parameter %s = %q, want %q", tc.got, name, got, want)
			}
		}
		if q := u.Query(); len(q) != len(tc.query) || q.Encode() != tc.query.Encode() {
			t.Errorf("%q: query %v, want %v", tc.got, q, tc.query)
		}
		if u.Fragment != tc.fragment {
			t.Errorf("%q: fragment %q, want %q", tc.got, u.Fragment, tc.fragment)
		}
	}
}

// TestEveryPageRouteHasAPath fails when a route is added to handlers/routes.go without
// its path function here (or an entry in notLinked).
func TestEveryPageRouteHasAPath(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range pathCases() {
		covered[tc.method+" "+tc.pattern] = true
	}
	var missing []string
	for _, r := range router(t).Routes() {
		key := r.Method + " " + r.Path
		if r.Method == echo.RouteNotFound || notLinked[key] || strings.HasPrefix(r.Path, "/api/") {
			// (the management API is not linked from pages; its OpenAPI document lists it)
			continue
		}
		if !covered[key] {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("routes without a path function in views/paths.go (or a case in pathCases):\n%s", strings.Join(missing, "\n"))
	}
}
