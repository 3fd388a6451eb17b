package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// access is who may use a route.
type access int

const (
	public   access = iota // machine endpoints and sign-in: no session needed
	signedIn               // any signed-in person (the route names no team's object)
	operator               // GATEHOUSE_ADMIN_EMAILS only; everyone else gets 404
	team                   // a team's object: the least role below, 404 for non-members
)

// routeRule is the permission matrix's answer for one route.
type routeRule struct {
	access access
	least  models.Role // for team routes
	// objectInBody: the team is named in the form (team_id), so a body that does not
	// parse names none, and the answer is 404.
	objectInBody bool
	// secretInPath: the path carries a secret (an invitation link); the test's made-up
	// one names nothing, so an allowed actor gets 404.
	secretInPath bool
}

// routeRules lists every route the router serves, by "METHOD pattern". A route missing
// here fails TestEveryRouteDecidesAuthorizationFirst, so no new route goes unchecked.
var routeRules = map[string]routeRule{
	"GET /healthz":                                {access: public},
	"GET /readyz":                                 {access: public},
	"GET /metrics":                                {access: public}, // its own bearer token (TestMetrics)
	"GET /.well-known/jwks.json":                  {access: public},
	"GET /.well-known/jwks.pem":                   {access: public},
	"GET /.well-known/oauth-authorization-server": {access: public},
	"POST /oauth/token":                           {access: public},
	"POST /oauth/par":                             {access: public}, // the client authenticates (par_test.go)
	"POST /oauth/introspect":                      {access: public},
	"POST /oauth/revoke":                          {access: public},
	"GET /statuslists/:id":                        {access: public},
	"GET /statuslists/events":                     {access: public},
	"GET /oauth/resource-metadata":                {access: public}, // listed APIs only; 404 otherwise (resource_metadata_test.go)
	"POST /oauth/register":                        {access: public}, // its own initial access token or open policy (registration_test.go)
	"GET /oauth/register/:client_id":              {access: public}, // its own registration access token (registration_test.go)
	"PUT /oauth/register/:client_id":              {access: public},
	"DELETE /oauth/register/:client_id":           {access: public},
	"POST /leaks/github":                          {access: public}, // its own signature (TestLeakReport…)
	"GET /.well-known/openid-configuration":       {access: public},
	"GET /oauth/userinfo":                         {access: public}, // its own bearer token (openid_test.go)
	"POST /oauth/userinfo":                        {access: public}, // its own bearer token (openid_test.go)
	"GET /static/*":                               {access: public},
	"GET /favicon.ico":                            {access: public},
	"GET /":                                       {access: public},
	"GET /login":                                  {access: public},
	"GET /auth/callback":                          {access: public},
	"POST /logout":                                {access: public},
	"GET /oauth/authorize":                        {access: public}, // decides itself: sign-in, consent (authorize_test.go)
	"POST /oauth/consent":                         {access: signedIn},
	"POST /account/consents/revoke":               {access: signedIn, secretInPath: true}, // a made-up or another user's consent is 404, like a made-up token id

	"POST /logout/everywhere":  {access: signedIn},
	"GET /account":             {access: signedIn},
	"GET /teams":               {access: signedIn},
	"POST /teams":              {access: signedIn},
	"GET /invitations/:token":  {access: signedIn, secretInPath: true},
	"POST /invitations/:token": {access: signedIn, secretInPath: true},
	"GET /projects/new":        {access: signedIn},

	"GET /admin/signing-keys":         {access: operator},
	"POST /admin/signing-keys/rotate": {access: operator},

	"GET /teams/:team":                                                      {access: team, least: models.RoleViewer},
	"GET /teams/:team/members":                                              {access: team, least: models.RoleViewer},
	"GET /teams/:team/settings":                                             {access: team, least: models.RoleViewer},
	"GET /teams/:team/audit":                                                {access: team, least: models.RoleAdmin},
	"GET /teams/:team/webhooks":                                             {access: team, least: models.RoleViewer},
	"POST /teams/:team/webhooks":                                            {access: team, least: models.RoleAdmin},
	"GET /teams/:team/webhooks/:webhook":                                    {access: team, least: models.RoleViewer},
	"POST /teams/:team/webhooks/:webhook/enable":                            {access: team, least: models.RoleAdmin},
	"POST /teams/:team/webhooks/:webhook/rotate":                            {access: team, least: models.RoleAdmin},
	"POST /teams/:team/webhooks/:webhook/delete":                            {access: team, least: models.RoleAdmin},
	"POST /teams/:team/webhooks/:webhook/test":                              {access: team, least: models.RoleAdmin},
	"POST /teams/:team/webhooks/:webhook/deliveries/:delivery/redeliver":    {access: team, least: models.RoleAdmin},
	"POST /teams/:team/service-accounts":                                    {access: team, least: models.RoleAdmin},
	"GET /teams/:team/service-accounts/:sa":                                 {access: team, least: models.RoleViewer},
	"POST /teams/:team/service-accounts/:sa/delete":                         {access: team, least: models.RoleAdmin},
	"POST /teams/:team/service-accounts/:sa/workloads":                      {access: team, least: models.RoleAdmin},
	"POST /teams/:team/service-accounts/:sa/keys":                           {access: team, least: models.RoleAdmin},
	"POST /teams/:team/service-accounts/:sa/secrets":                        {access: team, least: models.RoleAdmin},
	"POST /teams/:team/service-accounts/:sa/credentials/:credential/remove": {access: team, least: models.RoleAdmin},
	"GET /teams/:team/audit/export":                                         {access: team, least: models.RoleAdmin},
	"POST /teams/:team/rename":                                              {access: team, least: models.RoleAdmin},
	"POST /teams/:team/leak-policy":                                         {access: team, least: models.RoleAdmin},
	"POST /teams/:team/registration-policy":                                 {access: team, least: models.RoleAdmin},
	"POST /teams/:team/registration-tokens":                                 {access: team, least: models.RoleAdmin},
	"POST /teams/:team/registration-tokens/:id/revoke":                      {access: team, least: models.RoleAdmin},
	"POST /teams/:team/delete":                                              {access: team, least: models.RoleOwner},
	"POST /teams/:team/leave":                                               {access: team, least: models.RoleViewer},
	"POST /teams/:team/members/:user/role":                                  {access: team, least: models.RoleAdmin},
	"POST /teams/:team/members/:user/remove":                                {access: team, least: models.RoleAdmin},
	"POST /teams/:team/invitations":                                         {access: team, least: models.RoleAdmin},
	"POST /teams/:team/invitations/:id/revoke":                              {access: team, least: models.RoleAdmin},
	"POST /projects":                                                        {access: team, least: models.RoleAdmin, objectInBody: true},
	"GET /projects/:project":                                                {access: team, least: models.RoleViewer},
	"GET /projects/:project/keys":                                           {access: team, least: models.RoleViewer},
	"GET /projects/:project/credentials":                                    {access: team, least: models.RoleViewer},
	"GET /projects/:project/access":                                         {access: team, least: models.RoleViewer},
	"GET /projects/:project/usage":                                          {access: team, least: models.RoleViewer},
	"GET /projects/:project/settings":                                       {access: team, least: models.RoleViewer},
	"POST /projects/:project/settings":                                      {access: team, least: models.RoleAdmin},
	"POST /projects/:project/delete":                                        {access: team, least: models.RoleAdmin},
	"POST /projects/:project/secrets":                                       {access: team, least: models.RoleAdmin},
	"POST /projects/:project/secrets/:id/revoke":                            {access: team, least: models.RoleAdmin},
	"POST /projects/:project/connected-users/:family/revoke":                {access: team, least: models.RoleAdmin, secretInPath: true}, // a made-up family is 404
	"POST /projects/:project/client-keys":                                   {access: team, least: models.RoleAdmin},
	"POST /projects/:project/vault":                                         {access: team, least: models.RoleAdmin},
	"POST /projects/:project/credential-grants":                             {access: team, least: models.RoleAdmin},
	"POST /projects/:project/credential-grants/:grant/revoke":               {access: team, least: models.RoleAdmin, secretInPath: true}, // the fixture's :grant is an API grant, not a credentials grant: 404
	"POST /projects/:project/client-keys/:id/remove":                        {access: team, least: models.RoleAdmin},
	"POST /projects/:project/keys":                                          {access: team, least: models.RoleDeveloper},
	"POST /projects/:project/keys/revoke-by-value":                          {access: team, least: models.RoleDeveloper},
	"POST /projects/:project/keys/:id/revoke":                               {access: team, least: models.RoleDeveloper},
	"POST /projects/:project/requests/:request/withdraw":                    {access: team, least: models.RoleDeveloper},
	"POST /teams/:team/webhooks/:webhook/settings":                          {access: team, least: models.RoleAdmin},

	"GET /apis":                                 {access: signedIn},
	"GET /apis/new":                             {access: signedIn},
	"POST /apis":                                {access: team, least: models.RoleAdmin, objectInBody: true},
	"GET /apis/:api":                            {access: team, least: models.RoleViewer},
	"GET /apis/:api/access":                     {access: team, least: models.RoleViewer},
	"GET /apis/:api/verify":                     {access: team, least: models.RoleViewer},
	"GET /apis/:api/usage":                      {access: team, least: models.RoleViewer},
	"GET /apis/:api/settings":                   {access: team, least: models.RoleAdmin},
	"POST /apis/:api/settings":                  {access: team, least: models.RoleAdmin},
	"POST /apis/:api/delete":                    {access: team, least: models.RoleAdmin},
	"POST /apis/:api/scopes":                    {access: team, least: models.RoleAdmin},
	"POST /apis/:api/scopes/remove":             {access: team, least: models.RoleAdmin},
	"POST /apis/:api/scopes/delegation":         {access: team, least: models.RoleAdmin},
	"POST /apis/:api/delegation":                {access: team, least: models.RoleAdmin},
	"POST /apis/:api/grants":                    {access: team, least: models.RoleAdmin},
	"POST /apis/:api/grants/:grant":             {access: team, least: models.RoleAdmin},
	"POST /apis/:api/grants/:grant/revoke":      {access: team, least: models.RoleAdmin},
	"POST /apis/:api/requests":                  {access: team, least: models.RoleDeveloper, objectInBody: true},
	"POST /apis/:api/requests/:request/approve": {access: team, least: models.RoleAdmin},
	"POST /apis/:api/requests/:request/deny":    {access: team, least: models.RoleAdmin},

	"POST /account/tokens":            {access: signedIn},
	"POST /account/tokens/:id/revoke": {access: signedIn, secretInPath: true}, // someone else's token is 404

	// The management API: the same matrix, with a personal access token instead of a session.
	"GET /api/v1/openapi.json":                                                  {access: public},
	"GET /api/v1/teams":                                                         {access: signedIn},
	"GET /api/v1/apis":                                                          {access: signedIn},
	"GET /api/v1/teams/:team":                                                   {access: team, least: models.RoleViewer},
	"GET /api/v1/teams/:team/members":                                           {access: team, least: models.RoleViewer},
	"GET /api/v1/teams/:team/projects":                                          {access: team, least: models.RoleViewer},
	"POST /api/v1/teams/:team/projects":                                         {access: team, least: models.RoleAdmin},
	"GET /api/v1/teams/:team/audit":                                             {access: team, least: models.RoleAdmin},
	"GET /api/v1/projects/:project":                                             {access: team, least: models.RoleViewer},
	"PATCH /api/v1/projects/:project":                                           {access: team, least: models.RoleAdmin},
	"DELETE /api/v1/projects/:project":                                          {access: team, least: models.RoleAdmin},
	"GET /api/v1/projects/:project/keys":                                        {access: team, least: models.RoleViewer},
	"POST /api/v1/projects/:project/keys":                                       {access: team, least: models.RoleDeveloper},
	"POST /api/v1/projects/:project/keys/:key/revoke":                           {access: team, least: models.RoleDeveloper},
	"GET /api/v1/projects/:project/secrets":                                     {access: team, least: models.RoleViewer},
	"POST /api/v1/projects/:project/secrets":                                    {access: team, least: models.RoleAdmin},
	"POST /api/v1/projects/:project/secrets/:secret/revoke":                     {access: team, least: models.RoleAdmin},
	"PUT /api/v1/projects/:project/vault":                                       {access: team, least: models.RoleAdmin},
	"GET /api/v1/projects/:project/credential-grants":                           {access: team, least: models.RoleViewer},
	"POST /api/v1/projects/:project/credential-grants":                          {access: team, least: models.RoleAdmin},
	"POST /api/v1/projects/:project/credential-grants/:credential_grant/revoke": {access: team, least: models.RoleAdmin, secretInPath: true}, // a made-up grant is 404
	"GET /api/v1/projects/:project/usage":                                       {access: team, least: models.RoleViewer},
	"GET /api/v1/apis/:api":                                                     {access: team, least: models.RoleViewer},
	"GET /api/v1/apis/:api/grants":                                              {access: team, least: models.RoleViewer},

	"GET /api/v1/teams/:team/members/:user":                                                {access: team, least: models.RoleViewer},
	"PATCH /api/v1/teams/:team/members/:user":                                              {access: team, least: models.RoleAdmin},
	"DELETE /api/v1/teams/:team/members/:user":                                             {access: team, least: models.RoleAdmin},
	"GET /api/v1/teams/:team/invitations":                                                  {access: team, least: models.RoleAdmin},
	"POST /api/v1/teams/:team/invitations":                                                 {access: team, least: models.RoleAdmin},
	"POST /api/v1/teams/:team/invitations/:invitation/revoke":                              {access: team, least: models.RoleAdmin},
	"GET /api/v1/teams/:team/registration":                                                 {access: team, least: models.RoleAdmin},
	"PUT /api/v1/teams/:team/registration":                                                 {access: team, least: models.RoleAdmin},
	"GET /api/v1/teams/:team/registration/tokens":                                          {access: team, least: models.RoleAdmin},
	"POST /api/v1/teams/:team/registration/tokens":                                         {access: team, least: models.RoleAdmin},
	"POST /api/v1/teams/:team/registration/tokens/:token/revoke":                           {access: team, least: models.RoleAdmin},
	"POST /api/v1/teams/:team/apis":                                                        {access: team, least: models.RoleAdmin},
	"GET /api/v1/projects/:project/client-keys":                                            {access: team, least: models.RoleViewer},
	"POST /api/v1/projects/:project/client-keys":                                           {access: team, least: models.RoleAdmin},
	"GET /api/v1/projects/:project/client-keys/:client_key":                                {access: team, least: models.RoleViewer},
	"DELETE /api/v1/projects/:project/client-keys/:client_key":                             {access: team, least: models.RoleAdmin},
	"GET /api/v1/projects/:project/requests":                                               {access: team, least: models.RoleViewer},
	"POST /api/v1/projects/:project/requests/:request/withdraw":                            {access: team, least: models.RoleDeveloper},
	"PATCH /api/v1/apis/:api":                                                              {access: team, least: models.RoleAdmin},
	"DELETE /api/v1/apis/:api":                                                             {access: team, least: models.RoleAdmin},
	"POST /api/v1/apis/:api/scopes":                                                        {access: team, least: models.RoleAdmin},
	"DELETE /api/v1/apis/:api/scopes/:scope":                                               {access: team, least: models.RoleAdmin},
	"POST /api/v1/apis/:api/grants":                                                        {access: team, least: models.RoleAdmin},
	"GET /api/v1/apis/:api/grants/:grant":                                                  {access: team, least: models.RoleViewer},
	"PATCH /api/v1/apis/:api/grants/:grant":                                                {access: team, least: models.RoleAdmin},
	"POST /api/v1/apis/:api/grants/:grant/revoke":                                          {access: team, least: models.RoleAdmin},
	"GET /api/v1/apis/:api/requests":                                                       {access: team, least: models.RoleViewer},
	"GET /api/v1/teams/:team/service-accounts":                                             {access: team, least: models.RoleViewer},
	"POST /api/v1/teams/:team/service-accounts":                                            {access: team, least: models.RoleAdmin},
	"GET /api/v1/teams/:team/service-accounts/:service_account":                            {access: team, least: models.RoleViewer},
	"DELETE /api/v1/teams/:team/service-accounts/:service_account":                         {access: team, least: models.RoleAdmin},
	"GET /api/v1/teams/:team/service-accounts/:service_account/credentials":                {access: team, least: models.RoleViewer},
	"GET /api/v1/teams/:team/service-accounts/:service_account/credentials/:credential":    {access: team, least: models.RoleViewer},
	"DELETE /api/v1/teams/:team/service-accounts/:service_account/credentials/:credential": {access: team, least: models.RoleAdmin},
	"POST /api/v1/teams/:team/service-accounts/:service_account/workload-identities":       {access: team, least: models.RoleAdmin},
	"POST /api/v1/teams/:team/service-accounts/:service_account/keys":                      {access: team, least: models.RoleAdmin},
	"POST /api/v1/teams/:team/service-accounts/:service_account/secrets":                   {access: team, least: models.RoleAdmin},
	"POST /api/v1/apis/:api/requests":                                                      {access: team, least: models.RoleDeveloper, objectInBody: true},
	"POST /api/v1/apis/:api/requests/:request/approve":                                     {access: team, least: models.RoleAdmin},
	"POST /api/v1/apis/:api/requests/:request/deny":                                        {access: team, least: models.RoleAdmin},
}

// fillPath puts the fixture's ids into a route pattern; ":id" depends on what it names.
func fillPath(pattern string, f fixture) string {
	if strings.HasSuffix(pattern, "/requests/:request/withdraw") {
		pattern = strings.Replace(pattern, ":project", f.asker, 1) // the request is the asker's
	}
	parts := strings.Split(pattern, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, ":") {
			continue
		}
		switch p {
		case ":team":
			parts[i] = f.team
		case ":project":
			parts[i] = f.project
		case ":user":
			parts[i] = f.extra
		case ":api":
			parts[i] = f.api
		case ":grant":
			parts[i] = f.grant
		case ":request":
			parts[i] = f.request
		case ":webhook":
			parts[i] = f.webhook
		case ":delivery":
			parts[i] = f.delivery
		case ":sa", ":service_account":
			parts[i] = f.serviceAccount
		case ":credential":
			parts[i] = f.saCredential
		case ":token":
			parts[i] = "no-such-invitation-token"
			if parts[i-1] == "tokens" { // /api/v1/teams/:team/registration/tokens/:token
				parts[i] = f.initialToken
			}
		case ":family":
			parts[i] = "rtf_no-such-family"
		case ":credential_grant":
			parts[i] = "cgr_no-such-grant"
		case ":key":
			parts[i] = f.key
		case ":secret":
			parts[i] = f.secret
		case ":invitation":
			parts[i] = f.invitation
		case ":client_key":
			parts[i] = f.clientKey
		case ":scope":
			parts[i] = "write"
		case ":id":
			switch parts[i-1] {
			case "secrets":
				parts[i] = f.secret
			case "invitations":
				parts[i] = f.invitation
			case "keys":
				parts[i] = f.key
			case "client-keys":
				parts[i] = f.clientKey
			case "tokens":
				parts[i] = "pat_nosuchtoken"
			case "registration-tokens":
				parts[i] = f.initialToken
			default:
				panic("fillPath: no fixture id for " + pattern)
			}
		}
	}
	return strings.Join(parts, "/")
}

// garbageForm is a form whose every field a handler might read is wrong: unknown roles,
// lifetimes that are not offered, non-numbers, bad scope tokens, overlong and control
// text, a form_token too long to be one. team_id names the fixture's team (the object
// POST /projects acts on).
func garbageForm(f fixture) url.Values {
	long := strings.Repeat("x", 5000)
	return url.Values{
		"name": {"\x00<script>" + long}, "description": {"\x01" + long}, "role": {"emperor"},
		"expires_in_days": {"-5"}, "token_ttl_minutes": {"abc"}, "scopes": {`"bad\scope`}, "audiences": {""},
		"key": {"garbage"}, "jwks_uri": {"ftp://169.254.169.254/"}, "grant_types": {"password"},
		"auth_methods": {"none"}, "auth_methods_shown": {"1"}, "form_token": {long[:100]}, "team_id": {f.team},
		"project": {f.project}, "note": {"\x02" + long}, "reason": {long}, "identifier": {"https://" + long},
	}
}

// TestEveryRouteDecidesAuthorizationFirst walks every route the router serves, with
// every role, against its own team and another's, with garbage input — as a form and as
// a body that does not parse — and checks the status the permission matrix gives: a
// refused actor learns nothing about the form (403, or 404 outside the team) and
// nothing is written.
func TestEveryRouteDecidesAuthorizationFirst(t *testing.T) {
	e := newEnv(t)
	var patterns []string
	seen := map[string]bool{}
	for _, r := range e.h.Echo().Routes() {
		k := r.Method + " " + r.Path
		if seen[k] {
			continue
		}
		seen[k] = true
		if _, ok := routeRules[k]; !ok {
			t.Errorf("route %s is not in routeRules: add it with the permission the matrix gives", k)
			continue
		}
		patterns = append(patterns, k)
	}
	for k := range routeRules {
		if !seen[k] {
			t.Errorf("routeRules lists %s, which the router does not serve", k)
		}
	}
	sort.Strings(patterns)

	owner := signedInMember(t, e, "owner@walk.example")
	byRole := map[models.Role]*member{
		models.RoleAdmin:     signedInMember(t, e, "admin@walk.example"),
		models.RoleDeveloper: signedInMember(t, e, "developer@walk.example"),
		models.RoleViewer:    signedInMember(t, e, "viewer@walk.example"),
	}
	outsider := signedInMember(t, e, "outsider@walk.example")
	anonymous := &member{b: e.browser()}
	type actorCase struct {
		name string
		role models.Role // "" = not a member of the own team
		m    *member
	}
	actors := []actorCase{
		{"anonymous", "", anonymous}, {"outsider", "", outsider},
		{"viewer", models.RoleViewer, byRole[models.RoleViewer]}, {"developer", models.RoleDeveloper, byRole[models.RoleDeveloper]},
		{"admin", models.RoleAdmin, byRole[models.RoleAdmin]}, {"owner", models.RoleOwner, owner},
	}

	for _, k := range patterns {
		rule := routeRules[k]
		method, pattern, _ := strings.Cut(k, " ")
		if rule.access == public {
			continue // no permission to decide
		}
		t.Run(k, func(t *testing.T) {
			// Refused actors share one pair of fixtures (they change nothing); each
			// allowed actor gets its own, since its garbage may still succeed (delete).
			shared := [2]fixture{newFixture(t, e, owner, byRole, "Own"), newFixture(t, e, outsider, nil, "Foreign")}
			// check compares an answer with the status the matrix gives (0: allowed).
			check := func(desc string, res *http.Response, want int, target fixture) {
				t.Helper()
				body := readBody(res)
				// The names htmx's script and config went by (not "htmx" alone: a
				// random id in the page may hold those four letters).
				if strings.Contains(body, "htmx.min.js") || strings.Contains(body, "htmx-config") || strings.Contains(body, " hx-") {
					t.Errorf("%s: the answer mentions htmx, which no page uses any more", desc)
				}
				switch {
				case want != 0 && res.StatusCode != want:
					t.Errorf("%s: status %d, want %d", desc, res.StatusCode, want)
				case want == 0 && (res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusNotFound ||
					res.StatusCode == http.StatusUnauthorized || res.StatusCode >= 500):
					t.Errorf("%s may use this route, got %d", desc, res.StatusCode)
				}
				if want != 0 && strings.Contains(body, target.name+" project") && rule.access == team {
					t.Errorf("%s: the refusal shows the team's data", desc)
				}
			}
			for _, a := range actors {
				for _, other := range []bool{false, true} {
					if other && (a.m == outsider || rule.access != team) {
						continue // the outsider owns the foreign team; other routes have no team
					}
					for _, malformed := range []bool{false, true} {
						if method == http.MethodGet && malformed {
							continue
						}
						allowed := allowedFor(rule, a.role, a.m == anonymous, other)
						fx := shared
						if allowed {
							fx = [2]fixture{newFixture(t, e, owner, byRole, "Own"), newFixture(t, e, outsider, nil, "Foreign")}
						}
						// A route may have ended the session (sign out everywhere).
						if a.m != anonymous && !a.m.b.signedIn() {
							a.m.b.mustSignIn(a.name + "@walk.example")
							a.m.csrf = a.m.b.csrf()
						}
						target := fx[0]
						if other {
							target = fx[1]
						}
						var res *http.Response
						if strings.HasPrefix(pattern, "/api/") {
							res = sendAPIGarbage(t, e, a.m, method, fillPath(pattern, target), malformed)
						} else {
							res = sendGarbage(t, a.m, method, fillPath(pattern, target), garbageForm(target), malformed)
						}
						desc := a.name
						if other {
							desc += " on another team's object"
						}
						if malformed {
							desc += " (unparseable body)"
						}
						want := expectedRefusal(rule, a.role, a.m == anonymous, a.m == outsider, other, method)
						if a.m == anonymous && strings.HasPrefix(pattern, "/api/") {
							want = http.StatusUnauthorized // no token
						}
						// The API's garbage body never names the object (it names no project).
						bodyNamesNone := malformed || strings.HasPrefix(pattern, "/api/")
						if a.m != anonymous && ((rule.objectInBody && bodyNamesNone) || (rule.secretInPath && want == 0)) {
							want = http.StatusNotFound
						}
						check(desc, res, want, target)
					}
				}
			}
			// The management API once more with service accounts' tokens: the same
			// matrix decides for a machine member with each role.
			if strings.HasPrefix(pattern, "/api/") {
				for _, role := range []models.Role{models.RoleAdmin, models.RoleDeveloper, models.RoleViewer} {
					for _, other := range []bool{false, true} {
						if other && rule.access != team {
							continue
						}
						for _, malformed := range []bool{false, true} {
							if method == http.MethodGet && malformed {
								continue
							}
							fx := shared
							if allowedFor(rule, role, false, other) {
								fx = [2]fixture{newFixture(t, e, owner, byRole, "Own"), newFixture(t, e, outsider, nil, "Foreign")}
							}
							target := fx[0]
							if other {
								target = fx[1]
							}
							res := sendAPIGarbageWith(t, anonymous, fx[0].saTokens[role], method, fillPath(pattern, target), malformed)
							desc := "service account (" + string(role) + ")"
							if other {
								desc += " on another team's object"
							}
							if malformed {
								desc += " (unparseable body)"
							}
							want := expectedRefusal(rule, role, false, false, other, method)
							if rule.objectInBody || (rule.secretInPath && want == 0) { // the API's garbage body names no object; a made-up id names nothing
								want = http.StatusNotFound
							}
							check(desc, res, want, target)
						}
					}
				}
			}
			// Nothing refused was written to the shared fixtures' teams: their audit logs
			// hold exactly what newFixture wrote.
			if got, want := auditCount(t, e, owner.actor, shared[0].team), fixtureEvents(t, e, owner, byRole); got != want {
				t.Errorf("own team's audit log has %d events after refused requests, want %d", got, want)
			}
			if got, want := auditCount(t, e, outsider.actor, shared[1].team), fixtureEvents(t, e, outsider, nil); got != want {
				t.Errorf("foreign team's audit log has %d events after refused requests, want %d", got, want)
			}
		})
	}
}

// allowedFor reports whether the matrix lets this actor use the route.
func allowedFor(rule routeRule, role models.Role, anonymous, other bool) bool {
	switch rule.access {
	case signedIn:
		return !anonymous
	case operator:
		return false // no actor here is an operator
	}
	return !anonymous && !other && role != "" && role.Can(actionFor(rule.least))
}

// expectedRefusal is the status a refused actor gets, or 0 when the actor is allowed.
func expectedRefusal(rule routeRule, role models.Role, anonymous, outsider, other bool, method string) int {
	if anonymous {
		if method == http.MethodGet {
			return http.StatusSeeOther // to sign in
		}
		return http.StatusForbidden // no session, so no CSRF token
	}
	switch rule.access {
	case signedIn:
		return 0
	case operator:
		return http.StatusNotFound
	}
	switch {
	case other || outsider:
		return http.StatusNotFound
	case !role.Can(actionFor(rule.least)):
		return http.StatusForbidden
	}
	return 0
}

// sendGarbage posts form (or, malformed, a body that does not parse as a form but for
// its leading _csrf field: the token travels only as that field, so a body must carry it
// to get past the CSRF check to the route's own decision).
func sendGarbage(t *testing.T, m *member, method, path string, form url.Values, malformed bool) *http.Response {
	t.Helper()
	if method == http.MethodGet {
		return m.b.get(path)
	}
	if malformed {
		return m.b.do(method, path, strings.NewReader("_csrf="+url.QueryEscape(m.csrf)+"&%zz=%zz&name=%"), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded"})
	}
	form.Set("_csrf", m.csrf)
	return m.b.post(path, form, nil)
}

// sendAPIGarbage calls the management API as m, with m's personal access token (write
// scope, every team: the role alone decides) or none for an anonymous caller, and a
// JSON body whose every member is wrong, or a body that is not JSON; the preconditions
// are wrong too (an If-Match naming no version, an overlong Idempotency-Key).
func sendAPIGarbage(t *testing.T, e *env, m *member, method, path string, malformed bool) *http.Response {
	t.Helper()
	token := ""
	if m.actor.User != nil {
		token = patFor(t, e, m)
	}
	return sendAPIGarbageWith(t, m, token, method, path, malformed)
}

// sendAPIGarbageWith is sendAPIGarbage with a bearer token (none when empty), sent
// through m's client.
func sendAPIGarbageWith(t *testing.T, m *member, token, method, path string, malformed bool) *http.Response {
	t.Helper()
	hdr := map[string]string{"Content-Type": "application/json", "If-Match": `"not-the-etag"`,
		"Idempotency-Key": strings.Repeat("k", 100)}
	if token != "" {
		hdr["Authorization"] = "Bearer " + token
	}
	if method == http.MethodGet {
		return m.b.do(method, path+"?limit=-1&cursor=%zz&days=9", nil, hdr)
	}
	long := strings.Repeat("x", 5000)
	body := `{"name":"\u0000<script>` + long + `","description":"\u0001` + long + `","expires_in_days":-5,` +
		`"api":"api_nope","scopes":["\"bad\\scope"],"access_token_ttl_minutes":-1,"grant_types":["password"],"auth_methods":["none"]}`
	if malformed {
		body = `{"name": [1, 2` // not JSON
	}
	return m.b.do(method, path, strings.NewReader(body), hdr)
}

// patFor is m's personal access token for the walk (write, every team), made once.
func patFor(t *testing.T, e *env, m *member) string {
	t.Helper()
	if m.pat == "" {
		_, plain, err := e.store.CreatePersonalToken(context.Background(), m.actor,
			models.PersonalTokenInput{Name: "walk", Scope: models.PersonalTokenWrite, TTL: 30 * 24 * time.Hour}, "")
		if err != nil {
			t.Fatal(err)
		}
		m.pat = plain
	}
	return m.pat
}

// fixtureEvents is how many audit events newFixture writes for a team with these members.
func fixtureEvents(t *testing.T, e *env, owner *member, members map[models.Role]*member) int {
	t.Helper()
	f := newFixture(t, e, owner, members, "Count")
	return auditCount(t, e, owner.actor, f.team)
}
