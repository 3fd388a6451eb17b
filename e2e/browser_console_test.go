package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/gatehouse-dev/gatehouse/models"
)

// The console's pages, as a realistic team fills them, in headless Chromium: every page
// fits every window (checkFits), a value shown once is in view as its page opens, and
// every destructive action asks first, in two steps on the page.

// consoleLong repeats s until it has n runes at least, then cuts it to n runes at most,
// at a space: about the longest text a field takes.
func consoleLong(s string, n int) string {
	long := s
	for utf8.RuneCountInString(long) < n {
		long += " " + s
	}
	r := []rune(long)
	if len(r) <= n {
		return long
	}
	cut := string(r[:n])
	if r[n] != ' ' {
		if i := strings.LastIndexByte(cut, ' '); i > n/2 {
			cut = cut[:i]
		}
	}
	return strings.TrimRight(cut, " ,;:—-")
}

// consoleUnbroken is a word of n letters without a space, as some languages and
// some people's naming habits make them.
func consoleUnbroken(n int) string {
	const w = "Zahlungsverkehrsinfrastrukturplattformbetriebsabteilung"
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(w)
	}
	return b.String()[:n]
}

// createTeamHTTP creates a team through the form and returns its id.
func createTeamHTTP(t *testing.T, u *vfUser, name string) string {
	t.Helper()
	res, _ := u.do(t, http.MethodPost, "/teams", url.Values{"_csrf": {u.csrf}, "name": {name}, "form_token": {models.NewIdempotencyKey()}}, http.StatusSeeOther)
	id, ok := strings.CutPrefix(res.Header.Get("Location"), "/teams/")
	if !ok || id == "" || strings.Contains(id, "/") {
		t.Fatalf("POST /teams: redirected to %q, want /teams/ID", res.Header.Get("Location"))
	}
	return id
}

// createProjectHTTP creates a project in team through the form and returns it as its
// page shows it.
func createProjectHTTP(t *testing.T, u *vfUser, teamID, name, description string) vfProject {
	t.Helper()
	res, _ := u.do(t, http.MethodPost, "/projects", url.Values{"_csrf": {u.csrf}, "team_id": {teamID}, "name": {name},
		"description": {description}, "form_token": {models.NewIdempotencyKey()}}, http.StatusSeeOther)
	id, ok := strings.CutPrefix(res.Header.Get("Location"), "/projects/")
	if !ok || !strings.HasPrefix(id, "prj_") {
		t.Fatalf("POST /projects: redirected to %q, want /projects/prj_…", res.Header.Get("Location"))
	}
	return u.project(t, id)
}

// registerListedAPI registers an API of team, listed in the catalog, through the form;
// scopes are "name description" lines. It returns the API's id.
func registerListedAPI(t *testing.T, u *vfUser, teamID, name, identifier, description, docsURL string, scopes []string) string {
	t.Helper()
	res, _ := u.do(t, http.MethodPost, "/apis", url.Values{
		"_csrf": {u.csrf}, "team_id": {teamID}, "name": {name}, "identifier": {identifier}, "description": {description},
		"docs_url": {docsURL}, "scopes": {strings.Join(scopes, "\n")}, "accepts_api_keys": {"1"}, "accepts_access_tokens": {"1"},
		"max_token_ttl_minutes": {"60"}, "max_key_ttl_days": {"365"}, "listed": {"1"}, "form_token": {models.NewIdempotencyKey()},
	}, http.StatusSeeOther)
	id, ok := strings.CutPrefix(res.Header.Get("Location"), "/apis/")
	if !ok || !strings.HasPrefix(id, "api_") {
		t.Fatalf("POST /apis: redirected to %q, want /apis/api_…", res.Header.Get("Location"))
	}
	return id
}

// createSecretHTTP creates a client secret of pr through the form and returns its value.
func createSecretHTTP(t *testing.T, u *vfUser, pr vfProject, name string) string {
	t.Helper()
	_, body := u.do(t, http.MethodPost, "/projects/"+pr.ID+"/secrets", url.Values{"_csrf": {u.csrf}, "name": {name},
		"expires_in_days": {"90"}, "form_token": {models.NewIdempotencyKey()}}, http.StatusOK)
	secret := strings.TrimSpace(vfDoc(t, body).Find(`[data-testid="shown-once"] [data-testid="secret"]`).Text())
	if !strings.HasPrefix(secret, "ghcs_") {
		t.Fatalf("new client secret %q: the page shows %q", name, secret)
	}
	return secret
}

// addClientKeyHTTP registers a new P-256 public key (PEM) as a client key of pr.
func addClientKeyHTTP(t *testing.T, u *vfUser, pr vfProject, name string) {
	t.Helper()
	u.do(t, http.MethodPost, "/projects/"+pr.ID+"/client-keys", url.Values{"_csrf": {u.csrf}, "name": {name}, "key": {consolePublicKeyPEM(t)},
		"expires_in_days": {"365"}, "form_token": {models.NewIdempotencyKey()}}, http.StatusSeeOther)
}

// consolePublicKeyPEM is a new P-256 public key in PEM.
func consolePublicKeyPEM(t *testing.T) string {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// inviteHTTP creates an invitation link to team for role and returns it.
func inviteHTTP(t *testing.T, u *vfUser, teamID, role string) string {
	t.Helper()
	_, body := u.do(t, http.MethodPost, "/teams/"+teamID+"/invitations", url.Values{"_csrf": {u.csrf}, "role": {role},
		"expires_in_days": {"7"}, "form_token": {models.NewIdempotencyKey()}}, http.StatusOK)
	link := strings.TrimSpace(vfDoc(t, body).Find(`[data-testid="shown-once"] [data-testid="invite-link"]`).Text())
	if !strings.HasPrefix(link, u.base+"/invitations/") {
		t.Fatalf("new %s invitation to %s: the page shows the link %q", role, teamID, link)
	}
	return link
}

// acceptHTTP accepts the invitation link as u.
func acceptHTTP(t *testing.T, u *vfUser, link string) {
	t.Helper()
	u.do(t, http.MethodPost, strings.TrimPrefix(link, u.base), url.Values{"_csrf": {u.csrf}}, http.StatusSeeOther)
}

// requestHTTP asks, as u, for access to the API for project with scopes.
func requestHTTP(t *testing.T, u *vfUser, apiID, projectID, reason string, scopes ...string) {
	t.Helper()
	u.do(t, http.MethodPost, "/apis/"+apiID+"/requests", url.Values{"_csrf": {u.csrf}, "project": {projectID}, "scopes": scopes,
		"reason": {reason}, "form_token": {models.NewIdempotencyKey()}}, http.StatusSeeOther)
}

// rowAttr reads the page at path as u and returns the attribute attr of the first
// element that matches rowSel and holds an element matching textSel whose text is text.
func rowAttr(t *testing.T, u *vfUser, path, rowSel, textSel, text, attr string) string {
	t.Helper()
	var v string
	u.page(t, path).Find(rowSel).EachWithBreak(func(_ int, row *goquery.Selection) bool {
		if strings.TrimSpace(row.Find(textSel).First().Text()) == text {
			v = row.AttrOr(attr, "")
			return false
		}
		return true
	})
	if v == "" {
		t.Fatalf("%s: no %s with %s %q (or no %s on it)", path, rowSel, textSel, text, attr)
	}
	return v
}

// TestBrowserEveryPageFits fills one portal the way a busy team does, with long names
// and many rows (a 60-character team name with a long unbroken word, a project with
// the longest name and description, an API with a 120-character identifier and many
// scopes with long descriptions, 50 API keys, several client secrets, a client key,
// members and invitations, access requests pending, approved and denied, and the audit
// events all this leaves), then opens every page of the console in Chromium and checks
// that each fits the window at 1280, 1440, 1920 and 390 pixels (checkFits; screenshots
// at 1280 and 390 with GATEHOUSE_E2E_SCREENSHOTS). No page may log a console error.
func TestBrowserEveryPageFits(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)

	// The owner and the team.
	const ownerEmail = "maximiliane.wolkenstein-oberhausen@platform-engineering.example.com"
	owner := vfSignIn(t, p, ownerEmail, "Maximiliane Wolkenstein-Oberhausen")
	teamName := consoleUnbroken(44) + " Operations EU" // 58 characters: a team name takes 60 at most
	teamID := createTeamHTTP(t, owner, teamName)

	// The project: the longest name and description, with a long URL in it.
	projectName := consoleLong("Kundenbenachrichtigungsdienstverwaltungsplattform customer notifications hub (EU)", 80)
	description := consoleLong("Sends order, shipping and payment notifications to customers by e-mail, SMS and push, "+
		"in 24 languages. Runbook: https://wiki.platform-engineering.example.com/display/NOTIFY/Customer-Notifications-Hub-Runbook-and-Escalation-Policy-2025 "+
		"— on call: #notify-oncall. Owners: the platform engineering team in Frankfurt, Lisbon and Warsaw.", 500)
	pr := createProjectHTTP(t, owner, teamID, projectName, description)

	// The API: a 120-character identifier, many scopes with long descriptions.
	identifier := "https://payments-settlement-reconciliation.internal.platform-engineering.example.com/v2/settlements/reconciliation/runs"
	var scopeLines, scopeNames []string
	for i, area := range []string{"accounts", "adjustments", "chargebacks", "disputes", "exports", "invoices", "ledgers",
		"payouts", "refunds", "reports", "settlements", "webhooks"} {
		for _, verb := range []string{"read", "write"} {
			name := "payments:" + area + ":" + verb
			desc := consoleLong(fmt.Sprintf("%s the %s of every merchant account in every region, including the archived ones kept for audits (retention %d years)",
				map[string]string{"read": "Read", "write": "Create, change and cancel"}[verb], area, 7+i), 120+i*12)
			if area == "exports" {
				desc = "Export to " + consoleUnbroken(70) + " and other storage buckets"
			}
			scopeLines = append(scopeLines, name+" "+desc)
			scopeNames = append(scopeNames, name)
		}
	}
	slices.Sort(scopeNames)
	apiName := consoleLong("Zahlungsverkehrsabwicklungsschnittstelle — payments settlement and reconciliation API", 80)
	apiID := registerListedAPI(t, owner, teamID, apiName, identifier,
		consoleLong("Settles card and bank payments every night and reconciles them against the acquirers' reports. "+
			"Read the docs before asking for write scopes: https://docs.platform-engineering.example.com/payments/settlement/v2/reconciliation/getting-started", 1000),
		"https://docs.platform-engineering.example.com/payments/settlement/v2/reconciliation/getting-started-with-the-api", scopeLines)
	pr = owner.grant(t, apiID, pr, scopeNames...)

	// 50 API keys, some with the longest names and many scopes, five of them revoked.
	var keyIDs []string
	for i := range 50 {
		name := fmt.Sprintf("billing-worker-%02d", i)
		switch i % 10 {
		case 3:
			name = consoleLong(fmt.Sprintf("settlement-reconciliation-nightly-batch-exporter-eu-west-%d", i), 60)
		case 7:
			name = consoleLong(fmt.Sprintf("Reporting service for the finance team, region %d, production", i), 60)
		}
		scopes := scopeNames[i%len(scopeNames) : i%len(scopeNames)+1]
		if i%5 == 0 {
			scopes = scopeNames[:min(len(scopeNames), 8+i%7)]
		}
		keyIDs = append(keyIDs, owner.createKey(t, pr, name, scopes...).ID)
	}
	for _, i := range []int{1, 12, 23, 34, 45} {
		owner.revokeKey(t, pr, keyIDs[i])
	}

	// Client secrets (one revoked) and a client key.
	for _, name := range []string{"production", "staging", consoleLong("canary deployment in the second region for the migration", 60), "ci"} {
		createSecretHTTP(t, owner, pr, name)
	}
	secretID := rowAttr(t, owner, "/projects/"+pr.ID+"/credentials", `[data-testid="secret-row"]`, `[data-testid="secret-row-name"]`, "ci", "data-secret-id")
	owner.do(t, http.MethodPost, "/projects/"+pr.ID+"/secrets/"+secretID+"/revoke", url.Values{"_csrf": {owner.csrf}}, http.StatusSeeOther)
	addClientKeyHTTP(t, owner, pr, consoleLong("notification-dispatcher signing key, rotated every quarter", 60))
	// Mutual TLS with the longest certificate value (a SPIFFE ID) and bound tokens.
	owner.do(t, http.MethodPost, "/projects/"+pr.ID+"/settings", url.Values{"_csrf": {owner.csrf}, "name": {projectName},
		"description": {description}, "token_ttl_minutes": {"15"}, "grant_types": {models.GrantClientCredentials},
		"auth_methods_shown": {"1"}, "auth_methods": {"client_secret", "tls_client_auth"}, "mtls_shown": {"1"},
		"tls_auth_field": {"san_uri"}, "tls_auth_value": {"spiffe://platform-engineering.example.com/ns/notifications-eu/sa/" + consoleUnbroken(60)},
		"certificate_bound_tokens": {"on"}}, http.StatusSeeOther)

	// Members: two join, two invitations wait.
	bart := vfSignIn(t, p, "bartholomaeus.fitzgerald-montgomery@subsidiary-with-a-long-domain.example.org",
		"Bartholomäus Fitzgerald-Montgomery von Hohenzollern-Sigmaringen")
	acceptHTTP(t, bart, inviteHTTP(t, owner, teamID, "developer"))
	cleo := vfSignIn(t, p, "cleo@example.com", "Cleo")
	acceptHTTP(t, cleo, inviteHTTP(t, owner, teamID, "viewer"))
	inviteHTTP(t, owner, teamID, "admin")
	inviteHTTP(t, owner, teamID, "viewer")

	// Other teams ask for access: Dora's request waits, Erin's is approved, Finn's is
	// denied; and the project asks Dora's API for access.
	asks := map[string]*vfUser{}
	for _, who := range []string{"dora", "erin", "finn"} {
		u := vfSignIn(t, p, who+"@example.com", strings.ToUpper(who[:1])+who[1:]+" Requester")
		asks[who] = u
		other := u.projectNamed(t, models.FirstProjectName)
		requestHTTP(t, u, apiID, other.ID, consoleLong("We reconcile the marketplace's payouts against the settlements every night and need to read them; "+
			"the export scope is for the monthly report to the auditors.", 400), scopeNames[:6]...)
	}
	accessPath := "/apis/" + apiID + "/access"
	erinReq := rowAttr(t, owner, accessPath, `[data-testid="request-row"]`, `[data-testid="request-team"]`, "Erin Requester's team", "data-request-id")
	owner.do(t, http.MethodPost, "/apis/"+apiID+"/requests/"+erinReq+"/approve", url.Values{"_csrf": {owner.csrf},
		"scopes": scopeNames[:3], "note": {"Approved for reading; ask again for the export scope with the auditors' letter."}}, http.StatusSeeOther)
	finnReq := rowAttr(t, owner, accessPath, `[data-testid="request-row"]`, `[data-testid="request-team"]`, "Finn Requester's team", "data-request-id")
	owner.do(t, http.MethodPost, "/apis/"+apiID+"/requests/"+finnReq+"/deny", url.Values{"_csrf": {owner.csrf},
		"note": {"Not for test projects, sorry: " + consoleUnbroken(50)}}, http.StatusSeeOther)
	doraTeam := asks["dora"].projectNamed(t, models.FirstProjectName).TeamID
	doraAPI := registerListedAPI(t, asks["dora"], doraTeam, "Dora's ledger", "https://ledger.dora.example.com", "The ledger.", "",
		[]string{"ledger:read Read the ledger", "ledger:write Post to the ledger"})
	requestHTTP(t, owner, doraAPI, pr.ID, "The hub records the notifications it sends for billing.", "ledger:read", "ledger:write")

	// A service account with every kind of credential, each with long values.
	res, _ := owner.do(t, http.MethodPost, "/teams/"+teamID+"/service-accounts", url.Values{"_csrf": {owner.csrf},
		"name": {consoleLong("payments settlement deploy pipeline", 60)}, "role": {"developer"},
		"description": {consoleLong("Deploys the settlement services from the payments namespace", 300)}}, http.StatusSeeOther)
	saPath := res.Header.Get("Location")
	issuer := newK8sIssuer(t)
	owner.do(t, http.MethodPost, saPath+"/workloads", url.Values{"_csrf": {owner.csrf}, "name": {consoleLong("payments namespace pods", 60)},
		"issuer":   {"https://container.googleapis.com/v1/projects/payments-settlement-production/locations/europe-west3/clusters/" + consoleUnbroken(40)},
		"jwks_uri": {issuer.srv.URL}, "audience": {"https://gatehouse.payments.example.com/" + consoleUnbroken(60)},
		"subject": {"system:serviceaccount:payments-settlement-" + consoleUnbroken(80) + ":*"},
		"claims":  {"kubernetes.io=" + consoleUnbroken(100) + "\nnamespace_owner=payments-" + consoleUnbroken(60)}}, http.StatusSeeOther)
	owner.do(t, http.MethodPost, saPath+"/keys", url.Values{"_csrf": {owner.csrf}, "name": {consoleLong("settlement signer", 60)},
		"key": {consolePublicKeyPEM(t)}}, http.StatusSeeOther)
	owner.do(t, http.MethodPost, saPath+"/secrets", url.Values{"_csrf": {owner.csrf}, "name": {consoleLong("break glass", 60)}, "expires_in": {"30"}}, http.StatusOK)

	// Every page, in the browser.
	b := newBrowser(t, chrome)
	b.open(t, p.URL+"/login", http.StatusOK)
	b.signInDev(t, ownerEmail, "Maximiliane Wolkenstein-Oberhausen")
	b.do(t, "wait for the dashboard", chromedp.WaitVisible(chromedp.CSS(testid("dashboard"))))
	projectPath, teamPath, apiPath := "/projects/"+pr.ID, "/teams/"+teamID, "/apis/"+apiID
	pages := []struct{ name, path, tab string }{
		{"dashboard", "/", ""},
		{"teams", "/teams", ""},
		{"team-overview", teamPath, "tab-overview"},
		{"team-members", teamPath + "/members", "tab-members"},
		{"service-account", saPath, "tab-members"},
		{"team-audit", teamPath + "/audit", "tab-audit"},
		{"team-webhooks", teamPath + "/webhooks", "tab-webhooks"},
		{"team-settings", teamPath + "/settings", "tab-settings"},
		{"project-overview", projectPath, "tab-overview"},
		{"project-keys", projectPath + "/keys", "tab-keys"},
		{"project-credentials", projectPath + "/credentials", "tab-credentials"},
		{"project-access", projectPath + "/access", "tab-access"},
		{"project-usage", projectPath + "/usage", "tab-usage"},
		{"project-settings", projectPath + "/settings", "tab-settings"},
		{"api-overview", apiPath, "tab-overview"},
		{"api-access", apiPath + "/access", "tab-access"},
		{"api-verify", apiPath + "/verify", "tab-verify"},
		{"api-usage", apiPath + "/usage", "tab-usage"},
		{"api-settings", apiPath + "/settings", "tab-settings"},
		{"api-visitor", "/apis/" + doraAPI, ""},
		{"catalog", "/apis", ""},
		{"project-new", "/projects/new?team=" + url.QueryEscape(teamID), ""},
		{"api-new", "/apis/new?team=" + url.QueryEscape(teamID), ""},
		{"account", "/account", ""},
	}
	for _, pg := range pages {
		b.open(t, p.URL+pg.path, http.StatusOK)
		if pg.tab != "" {
			if got := b.attr(t, testid("tabs")+` [aria-current="page"]`, "data-testid"); got != pg.tab {
				t.Errorf("%s: got the current tab %q, want %q", pg.path, got, pg.tab)
			}
		}
		checkFits(t, b, "fits-"+pg.name)
	}
	// The busiest rows' confirmation, open.
	b.open(t, p.URL+projectPath+"/keys", http.StatusOK)
	if got := b.count(t, testid("key-row")); got != 50 {
		t.Errorf("key rows: got %d, want 50", got)
	}
	b.openConfirm(t, "open a key's revoke confirmation", "", "revoke-key")
	checkFits(t, b, "fits-project-keys-confirm-open")

	// The pages that show a value once, from the forms.
	b.open(t, p.URL+projectPath+"/keys", http.StatusOK)
	b.do(t, "fill in the key form",
		chromedp.SendKeys(chromedp.CSS(testid("key-name")), consoleLong("one more key with the longest name there is for a key", 60)),
		chromedp.Click(chromedp.CSS(`fieldset:not([disabled]) `+testid("key-scope"))),
	)
	b.submit(t, "create a key", testid("create-key"), http.StatusOK)
	b.do(t, "wait for the new key", chromedp.WaitVisible(chromedp.CSS("#shown-once-value")))
	checkFits(t, b, "fits-key-created")
	b.open(t, p.URL+projectPath+"/credentials", http.StatusOK)
	b.do(t, "name the secret", chromedp.SendKeys(chromedp.CSS(testid("secret-name")), consoleLong("one more secret with the longest name", 60)))
	b.submit(t, "create a secret", testid("create-secret"), http.StatusOK)
	b.do(t, "wait for the new secret", chromedp.WaitVisible(chromedp.CSS("#shown-once-value")))
	checkFits(t, b, "fits-secret-created")
	b.open(t, p.URL+teamPath+"/members", http.StatusOK)
	b.submit(t, "create an invitation", testid("create-invite"), http.StatusOK)
	b.do(t, "wait for the invitation link", chromedp.WaitVisible(chromedp.CSS("#shown-once-value")))
	checkFits(t, b, "fits-invite-created")
	b.open(t, p.URL+teamPath+"/webhooks", http.StatusOK)
	b.do(t, "fill in the webhook form",
		chromedp.SendKeys(chromedp.CSS(testid("webhook-form")+` input[name="url"]`), "https://hooks.example.com/"+strings.ReplaceAll(consoleLong("gatehouse-events-for-the-payments-settlement-team", 90), " ", "-")),
		chromedp.Click(chromedp.CSS(testid("webhook-form")+` input[name="events"]`)),
	)
	b.submit(t, "add a webhook endpoint", testid("webhook-create"), http.StatusOK)
	b.do(t, "wait for the endpoint's secret", chromedp.WaitVisible(chromedp.CSS("#shown-once-value")))
	checkFits(t, b, "fits-webhook-created")
	b.open(t, p.URL+teamPath+"/webhooks", http.StatusOK)
	b.submit(t, "open the endpoint", testid("webhook-row")+" a", http.StatusOK)
	checkFits(t, b, "fits-webhook")
	// Its edit form, open, and refused (an internal address) with the form's errors.
	b.do(t, "open the endpoint's edit form", chromedp.Click(chromedp.CSS(testid("webhook-edit")+" summary")),
		chromedp.WaitVisible(chromedp.CSS(testid("webhook-edit-form"))))
	checkFits(t, b, "fits-webhook-edit")
	b.do(t, "type an internal address", chromedp.SetValue(chromedp.CSS(testid("webhook-edit-form")+` input[name="url"]`),
		"https://10.0.0.8/"+strings.ReplaceAll(consoleLong("internal-hooks-for-the-payments-settlement-team", 90), " ", "-")))
	b.expectErrorStatus(b.location(t).String() + "/settings")
	b.submit(t, "save the refused change", testid("webhook-save"), http.StatusUnprocessableEntity)
	if got := b.count(t, testid("webhook-edit-form")+" "+testid("field-error")); got != 1 {
		t.Errorf("the refused edit shows %d field errors, want 1", got)
	}
	checkFits(t, b, "fits-webhook-edit-refused")
	// Past the limit of test events, the page says when to try again.
	hook := strings.TrimSuffix(b.location(t).String(), "/settings")
	for i := range models.WebhookManualSends {
		b.submit(t, fmt.Sprintf("send test event %d", i+1), testid("webhook-test"), http.StatusOK)
	}
	b.expectErrorStatus(hook + "/test")
	b.submit(t, "one test event too many", testid("webhook-test"), http.StatusTooManyRequests)
	if got := b.count(t, testid("webhook-notice")); got != 1 {
		t.Errorf("the refused test event shows %d notices, want 1", got)
	}
	checkFits(t, b, "fits-webhook-limited")
	b.open(t, p.URL+saPath, http.StatusOK)
	b.do(t, "name the service account's secret", chromedp.SendKeys(chromedp.CSS(`#sas-name`), consoleLong("one more secret for the pipeline", 60)))
	b.submit(t, "create a service account secret", testid("sa-secret-create"), http.StatusOK)
	b.do(t, "wait for the new secret", chromedp.WaitVisible(chromedp.CSS("#shown-once-value")))
	checkFits(t, b, "fits-service-account-secret-created")
	b.open(t, p.URL+"/account", http.StatusOK)
	b.do(t, "name the personal access token", chromedp.SendKeys(chromedp.CSS(testid("token-name-input")), consoleLong("deploy pipeline for payments", 60)))
	b.submit(t, "create a personal access token", testid("create-token"), http.StatusOK)
	b.do(t, "wait for the new token", chromedp.WaitVisible(chromedp.CSS("#shown-once-value")))
	checkFits(t, b, "fits-token-created")
	b.open(t, p.URL+"/account", http.StatusOK)
	if got := b.count(t, testid("token-row")); got != 1 {
		t.Errorf("token rows on the account page: got %d, want 1", got)
	}
	checkFits(t, b, "fits-account-tokens")

	b.checkConsole(t)
	if got := b.acceptedDialogs(); len(got) != 0 {
		t.Errorf("JavaScript dialogs: got %q, want none", got)
	}
	expectNoServerErrors(t, p)
}

// TestBrowserShownOnceInView creates, at 1280 and at 390 pixels, an API key, a client
// secret and an invitation link through their forms, and checks the page that shows
// each once: the value (#shown-once-value) is wholly in the window as the page opens,
// with its Copy button, and Done leads back to the list, which holds the new item.
func TestBrowserShownOnceInView(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)
	b := newBrowser(t, chrome)

	b.open(t, p.URL+"/login", http.StatusOK)
	b.signInDev(t, "una@example.com", "Una Once")
	b.do(t, "wait for the dashboard", chromedp.WaitVisible(chromedp.CSS(testid("dashboard"))))
	b.load(t, "open My first project", http.StatusOK, chromedp.Click(chromedp.Search(
		`//*[@data-testid="project-card"]//a[@data-testid="project-link"][normalize-space()="My first project"]`)))
	projectPath := b.location(t).Path
	teamPath := b.attr(t, testid("project-team-link"), "href")
	if !strings.HasPrefix(projectPath, "/projects/prj_") || !strings.HasPrefix(teamPath, "/teams/") {
		t.Fatalf("project page %s: team link %q, want /projects/prj_… and /teams/…", b.location(t), teamPath)
	}
	keysPath, credentialsPath, membersPath := projectPath+"/keys", projectPath+"/credentials", teamPath+"/members"

	for _, width := range []int64{1280, 390} {
		if _, err := chromedp.Run(b.ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}

		// An API key.
		keyName := "key-at-" + strconv.FormatInt(width, 10)
		b.open(t, p.URL+keysPath, http.StatusOK)
		b.do(t, "fill in the key form",
			chromedp.SendKeys(chromedp.CSS(testid("key-name")), keyName),
			chromedp.Click(chromedp.CSS(`fieldset:not([disabled]) `+testid("key-scope"))),
		)
		b.submit(t, "create "+keyName, testid("create-key"), http.StatusOK)
		shownOnceInView(t, b, width, "key", "secret")
		keyID := b.textContent(t, testid("new-key-id"))
		b.done(t, fmt.Sprintf("at %d px, done with %s", width, keyName), keysPath, "")
		if got := b.texts(t, `[data-testid="key-row"][data-key-id=`+strconv.Quote(keyID)+`] [data-testid="key-row-name"]`); !slices.Equal(got, []string{keyName}) {
			t.Errorf("at %d px, the keys after Done: got rows named %q for %s, want [%q]", width, got, keyID, keyName)
		}

		// A client secret.
		secretName := "secret-at-" + strconv.FormatInt(width, 10)
		b.open(t, p.URL+credentialsPath, http.StatusOK)
		b.do(t, "name the secret", chromedp.SendKeys(chromedp.CSS(testid("secret-name")), secretName))
		b.submit(t, "create "+secretName, testid("create-secret"), http.StatusOK)
		shownOnceInView(t, b, width, "secret", "secret")
		b.done(t, fmt.Sprintf("at %d px, done with %s", width, secretName), credentialsPath, "secrets")
		if got := b.texts(t, testid("secret-row-name")); !slices.Contains(got, secretName) {
			t.Errorf("at %d px, the secrets after Done: got %q, want %q among them", width, got, secretName)
		}

		// An invitation link.
		b.open(t, p.URL+membersPath, http.StatusOK)
		before := b.count(t, testid("invitation-row"))
		b.submit(t, "create an invitation", testid("create-invite"), http.StatusOK)
		shownOnceInView(t, b, width, "invitation", "invite-link")
		b.done(t, fmt.Sprintf("at %d px, done with the invitation", width), membersPath, "")
		if got := b.count(t, testid("invitation-row")); got != before+1 {
			t.Errorf("at %d px, pending invitations after Done: got %d, want %d", width, got, before+1)
		}
	}
	if _, err := chromedp.Run(b.ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	b.checkConsole(t)
	if got := b.acceptedDialogs(); len(got) != 0 {
		t.Errorf("JavaScript dialogs: got %q, want none", got)
	}
	expectNoServerErrors(t, p)
}

// shownOnceInView checks the page that shows a value once, as it opened: the value,
// #shown-once-value with the data-testid valueID, is wholly inside the window, and its
// Copy button is there. It saves the first screen (saveViewport).
func shownOnceInView(t *testing.T, b *browser, width int64, what, valueID string) {
	t.Helper()
	b.do(t, "wait for the new "+what, chromedp.WaitVisible(chromedp.CSS(testid("shown-once")+" #shown-once-value")))
	saveViewport(t, b, fmt.Sprintf("shown-once-%s-first-screen-%d.png", what, width))
	if got := b.attr(t, "#shown-once-value", "data-testid"); got != valueID {
		t.Errorf("at %d px, the new %s: got data-testid %q on #shown-once-value, want %q", width, what, got, valueID)
	}
	if got := b.textContent(t, "#shown-once-value"); got == "" {
		t.Errorf("at %d px, the new %s: #shown-once-value is empty", width, what)
	}
	type rect struct{ Top, Bottom, Left, Right, Height, Width, ScrollY float64 }
	r, err := chromedp.Run(b.ctx, chromedp.Evaluate[rect](`(r => ({top: r.top, bottom: r.bottom, left: r.left, right: r.right,
		height: window.innerHeight, width: window.innerWidth, scrollY: window.scrollY}))(document.getElementById("shown-once-value").getBoundingClientRect())`))
	if err != nil {
		t.Fatalf("at %d px, where the new %s is: %v", width, what, err)
	}
	if r.Top < 0 || r.Bottom > r.Height || r.Left < 0 || r.Right > r.Width {
		t.Errorf("at %d px, the new %s is not wholly in view as the page opens: %+v", width, what, r)
	}
	copyButton := `button[data-copy-target="shown-once-value"]`
	if got := b.count(t, copyButton); got != 1 {
		t.Errorf("at %d px, the new %s: got %d Copy buttons for it, want 1", width, what, got)
	} else if got := b.renderState(t, copyButton); got != "visible" {
		t.Errorf("at %d px, the new %s: its Copy button is %s, want visible", width, what, got)
	}
}

// TestBrowserConfirmations checks every destructive action the console offers in two
// steps, without JavaScript dialogs: revoking an API key, a client secret and an
// invitation, removing a client key and a member, withdrawing an access request,
// removing a scope, revoking a grant, denying an access request and leaving a team. Before it is opened the final button is not shown;
// opening it shows the question, which names what it acts on; Escape closes it again;
// opened again and confirmed, it acts, as the page then shows. Deleting a project with
// a wrong name typed is refused (422) and the project stays.
func TestBrowserConfirmations(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t)

	// The setup, over HTTP as the same user the browser signs in as.
	const email = "conrad@example.com"
	u := vfSignIn(t, p, email, "Conrad Confirm")
	pr := u.projectNamed(t, models.FirstProjectName)
	key := u.createKey(t, pr, "doomed-key", "read")
	createSecretHTTP(t, u, pr, "doomed-secret")
	secretID := rowAttr(t, u, "/projects/"+pr.ID+"/credentials", `[data-testid="secret-row"]`, `[data-testid="secret-row-name"]`, "doomed-secret", "data-secret-id")
	addClientKeyHTTP(t, u, pr, "doomed-client-key")
	clientKeyID := rowAttr(t, u, "/projects/"+pr.ID+"/credentials", `[data-testid="client-key-row"]`, `[data-testid="client-key-row-name"]`, "doomed-client-key", "data-client-key-id")
	inviteHTTP(t, u, pr.TeamID, "viewer")
	membersPath := "/teams/" + pr.TeamID + "/members"
	invitationID := rowAttr(t, u, membersPath, `[data-testid="invitation-row"]`, `[data-testid="invitation-role"]`, "viewer", "data-invitation-id")
	mallory := vfSignIn(t, p, "mallory@example.com", "Mallory Member")
	acceptHTTP(t, mallory, inviteHTTP(t, u, pr.TeamID, "developer"))
	malloryID := rowAttr(t, u, membersPath, `[data-testid="member-row"]`, `[data-testid="member-email"]`, "mallory@example.com", "data-user-id")

	ledger := registerListedAPI(t, u, pr.TeamID, "Ledger", "https://ledger.example.com", "", "", []string{"ledger:read Read the ledger", "ledger:write Post to it"})
	granted := createProjectHTTP(t, u, pr.TeamID, "Granted project", "Holds a grant on Ledger.")
	u.grant(t, ledger, granted, "ledger:read")
	accessPath := "/apis/" + ledger + "/access"
	grantID := rowAttr(t, u, accessPath, `[data-testid="grant-row"]`, `[data-testid="grant-project"]`, "Granted project", "data-grant-id")
	nina := vfSignIn(t, p, "nina@example.com", "Nina Asker")
	ninaProject := createProjectHTTP(t, nina, nina.projectNamed(t, models.FirstProjectName).TeamID, "Nina's billing", "Bills.")
	requestHTTP(t, nina, ledger, ninaProject.ID, "Billing reads the ledger.", "ledger:read")
	requestID := rowAttr(t, u, accessPath, `[data-testid="request-row"]`, `[data-testid="request-project"]`, "Nina's billing", "data-request-id")

	ninaAPI := registerListedAPI(t, nina, ninaProject.TeamID, "Nina's API", "https://nina.example.com", "", "", []string{"nina:read Read"})
	requestHTTP(t, u, ninaAPI, pr.ID, "We read Nina's data.", "nina:read")
	withdrawID := rowAttr(t, u, "/projects/"+pr.ID+"/access", `[data-testid="my-request-row"]`, `[data-testid="my-request-api"]`, "Nina's API", "data-request-id")

	quinn := vfSignIn(t, p, "quinn@example.com", "Quinn Guild")
	guild := createTeamHTTP(t, quinn, "Quinn's guild")
	acceptHTTP(t, u, inviteHTTP(t, quinn, guild, "developer"))

	b := newBrowser(t, chrome)
	b.open(t, p.URL+"/login", http.StatusOK)
	b.signInDev(t, email, "")
	b.do(t, "wait for the dashboard", chromedp.WaitVisible(chromedp.CSS(testid("dashboard"))))

	// twoSteps opens the confirmation id inside scope, checks its question names each of
	// names, closes it with Escape, and then opens and confirms it; the answer's status
	// must be want.
	twoSteps := func(step, scope, id string, want int64, names ...string) {
		t.Helper()
		q := b.openConfirm(t, step, scope, id)
		for _, n := range names {
			if !strings.Contains(q, n) {
				t.Errorf("%s: got the question %q, want it to name %q", step, q, n)
			}
		}
		final := inScope(scope, testid(id))
		b.do(t, step+": press Escape", chromedp.KeyEvent(kb.Escape))
		b.waitRendered(t, step+": press Escape", final, false)
		state, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(d => (d.open ? "open" : "closed") + " " + (document.activeElement === d.querySelector("summary") ? "focus on its button" : "focus elsewhere"))(document.querySelector(`+
			strconv.Quote(final)+`).closest("details.confirm"))`))
		if err != nil || state != "closed focus on its button" {
			t.Errorf("%s: after Escape the confirmation is %q (%v), want \"closed focus on its button\"", step, state, err)
		}
		if again := b.confirmIn(t, step, scope, id, want); again != q {
			t.Errorf("%s: opened again, got the question %q, want %q", step, again, q)
		}
	}
	flash := func(step, want string) {
		t.Helper()
		if got := b.texts(t, testid("flash")); len(got) != 1 || !strings.HasPrefix(got[0], want) {
			t.Errorf("%s: got the messages %q, want one that starts %q", step, got, want)
		}
	}

	// Revoke an API key.
	projectPath := "/projects/" + pr.ID
	b.open(t, p.URL+projectPath+"/keys", http.StatusOK)
	keyRow := `[data-testid="key-row"][data-key-id=` + strconv.Quote(key.ID) + `]`
	twoSteps("revoke the API key", keyRow, "revoke-key", http.StatusOK, "doomed-key")
	if loc := b.location(t); loc.Path != projectPath+"/keys" {
		t.Errorf("after revoking the key: got %s, want %s/keys", loc, projectPath)
	}
	if got := b.texts(t, keyRow+" "+testid("key-status")); !slices.Equal(got, []string{"revoked"}) {
		t.Errorf("the key after revoking it: got the status %q, want revoked", got)
	}
	flash("revoking the key", "Key revoked.")

	// Revoke a client secret: the answer is the list it was in.
	b.open(t, p.URL+projectPath+"/credentials", http.StatusOK)
	secretRow := `[data-testid="secret-row"][data-secret-id=` + strconv.Quote(secretID) + `]`
	twoSteps("revoke the client secret", secretRow, "revoke-secret", http.StatusOK, "doomed-secret")
	if loc := b.location(t); loc.Path != projectPath+"/credentials" {
		t.Errorf("after revoking the secret: got %s, want %s/credentials (the list of secrets)", loc, projectPath)
	}
	flash("revoking the secret", "Secret revoked.")
	b.open(t, p.URL+projectPath+"/credentials", http.StatusOK)
	if got := b.texts(t, secretRow+" "+testid("secret-status")); !slices.Equal(got, []string{"revoked"}) {
		t.Errorf("the secret after revoking it: got the status %q, want revoked", got)
	}

	// Remove a client key.
	clientKeyRow := `[data-testid="client-key-row"][data-client-key-id=` + strconv.Quote(clientKeyID) + `]`
	twoSteps("remove the client key", clientKeyRow, "remove-client-key", http.StatusOK, "doomed-client-key")
	if loc := b.location(t); loc.Path != projectPath+"/credentials" {
		t.Errorf("after removing the client key: got %s, want %s/credentials", loc, projectPath)
	}
	if got := b.count(t, clientKeyRow); got != 0 {
		t.Errorf("after removing the client key: got %d rows of it, want none", got)
	}
	flash("removing the client key", "Key removed.")

	// Revoke an invitation, then remove a member.
	b.open(t, p.URL+membersPath, http.StatusOK)
	invitationRow := `[data-testid="invitation-row"][data-invitation-id=` + strconv.Quote(invitationID) + `]`
	twoSteps("revoke the invitation", invitationRow, "revoke-invite", http.StatusOK, "viewer invitation")
	if loc := b.location(t); loc.Path != membersPath {
		t.Errorf("after revoking the invitation: got %s, want %s", loc, membersPath)
	}
	if got := b.count(t, invitationRow); got != 0 {
		t.Errorf("after revoking the invitation: got %d rows of it, want none", got)
	}
	flash("revoking the invitation", "Invitation revoked")
	memberRow := `[data-testid="member-row"][data-user-id=` + strconv.Quote(malloryID) + `]`
	twoSteps("remove the member", memberRow, "remove-member", http.StatusOK, "Mallory Member", "Conrad Confirm's team")
	if loc := b.location(t); loc.Path != membersPath {
		t.Errorf("after removing the member: got %s, want %s", loc, membersPath)
	}
	if got := b.count(t, memberRow); got != 0 {
		t.Errorf("after removing the member: got %d rows of Mallory, want none", got)
	}
	flash("removing the member", "Member removed.")

	// Withdraw an access request.
	b.open(t, p.URL+projectPath+"/access", http.StatusOK)
	withdrawRow := `[data-testid="my-request-row"][data-request-id=` + strconv.Quote(withdrawID) + `]`
	twoSteps("withdraw the request", withdrawRow, "withdraw-request", http.StatusOK, "My first project", "Nina's API")
	if loc := b.location(t); loc.Path != projectPath+"/access" {
		t.Errorf("after withdrawing the request: got %s, want %s/access", loc, projectPath)
	}
	if got := b.texts(t, withdrawRow+" "+testid("my-request-status")); !slices.Equal(got, []string{"withdrawn"}) {
		t.Errorf("the request after withdrawing it: got the status %q, want withdrawn", got)
	}
	flash("withdrawing the request", "Request withdrawn.")

	// Remove a scope; revoke a grant, then deny an access request.
	b.open(t, p.URL+"/apis/"+ledger, http.StatusOK)
	scopeRow := `[data-testid="scope-row"][data-scope="ledger:write"]`
	twoSteps("remove the scope", scopeRow, "remove-scope", http.StatusOK, "ledger:write", "Ledger")
	if got := b.count(t, scopeRow); got != 0 {
		t.Errorf("after removing the scope: got %d rows of it, want none", got)
	}
	if got := b.texts(t, testid("scope-name")); !slices.Equal(got, []string{"ledger:read"}) {
		t.Errorf("scopes after removing ledger:write: got %q, want [ledger:read]", got)
	}
	b.open(t, p.URL+accessPath, http.StatusOK)
	grantRow := `[data-testid="grant-row"][data-grant-id=` + strconv.Quote(grantID) + `]`
	twoSteps("revoke the grant", grantRow, "revoke-grant", http.StatusOK, "Granted project", "Ledger")
	if loc := b.location(t); loc.Path != accessPath {
		t.Errorf("after revoking the grant: got %s, want %s", loc, accessPath)
	}
	if got := b.count(t, grantRow); got != 0 {
		t.Errorf("after revoking the grant: got %d rows of it, want none", got)
	}
	flash("revoking the grant", "Access revoked.")
	requestRow := `[data-testid="request-row"][data-request-id=` + strconv.Quote(requestID) + `]`
	if got := b.text(t, testid("tab-access-badge")); got != "1 pending" {
		t.Errorf("the access tab's pending count before denying: got %q, want \"1 pending\"", got)
	}
	twoSteps("deny the request", requestRow, "deny-request", http.StatusOK, "Nina's billing", "Ledger")
	if loc := b.location(t); loc.Path != accessPath {
		t.Errorf("after denying the request: got %s, want %s", loc, accessPath)
	}
	if got := b.texts(t, requestRow+" "+testid("request-status")); !slices.Equal(got, []string{"denied"}) {
		t.Errorf("the request after denying it: got the status %q, want denied", got)
	}
	if got := b.count(t, testid("tab-access-badge")); got != 0 {
		t.Errorf("the access tab's pending count after denying: got %d badges, want none", got)
	}
	flash("denying the request", "Request denied.")

	// Leave a team.
	b.open(t, p.URL+"/teams/"+guild+"/settings", http.StatusOK)
	twoSteps("leave the team", "", "leave-team", http.StatusOK, "Quinn's guild")
	if loc := b.location(t); loc.Path != "/" {
		t.Errorf("after leaving the team: got %s, want the dashboard", loc)
	}
	flash("leaving the team", "You left the team.")
	b.open(t, p.URL+"/teams", http.StatusOK)
	if got := b.texts(t, testid("team-card")); slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, "Quinn's guild") }) {
		t.Errorf("teams after leaving Quinn's guild: got %q, want it gone", got)
	}

	// Deleting a project with a wrong name typed is refused, and the project stays.
	grantedPath := "/projects/" + granted.ID
	b.open(t, p.URL+grantedPath+"/settings", http.StatusOK)
	b.expectErrorStatus(p.URL + grantedPath + "/delete") // the 422 is the answer
	b.do(t, "type a wrong name", chromedp.SendKeys(chromedp.CSS(testid("confirm-name")), "Granted projet"))
	b.submit(t, "delete the project with a wrong name", testid("delete-project"), http.StatusUnprocessableEntity)
	if got := b.count(t, testid("project-danger-zone")+" "+testid("field-error")); got != 1 {
		t.Errorf("deleting with a wrong name: got %d field errors in the danger zone, want 1", got)
	}
	if got := b.attr(t, testid("confirm-name"), "aria-invalid"); got != "true" {
		t.Errorf("deleting with a wrong name: got aria-invalid %q on the name, want \"true\"", got)
	}
	if got := b.text(t, testid("project-name-heading")); got != "Granted project" {
		t.Errorf("deleting with a wrong name: got the heading %q, want the project's page", got)
	}
	b.open(t, p.URL+grantedPath, http.StatusOK)

	b.checkConsole(t)
	if got := b.acceptedDialogs(); len(got) != 0 {
		t.Errorf("JavaScript dialogs: got %q, want none", got)
	}
	expectNoServerErrors(t, p)
}
