package views

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse/static"
)

// apiAt is the moment the API fixtures happen at.
var apiAt = time.Date(2025, 4, 5, 6, 7, 0, 0, time.UTC)

// apiBoxes are checkboxes for names, checked where listed in checked.
func apiBoxes(names []string, checked ...string) []Checkbox {
	out := make([]Checkbox, len(names))
	for i, n := range names {
		out[i] = Checkbox{Value: n, Label: n}
		for _, c := range checked {
			if c == n {
				out[i].Checked = true
			}
		}
	}
	return out
}

// hostileAPI is an API page as an owner sees it: every form, every section, hostile
// text in every field and ids that need escaping.
func hostileAPI() APIPageVM {
	decided := apiAt.Add(time.Hour)
	scopes := []string{"orders:read", xssScript, "orders:write"}
	return APIPageVM{
		ID: "api/1", Name: xssScript, Identifier: "https://x.example/" + xssImg, Description: xssImg,
		DocsURL: "javascript:alert(1)", TeamID: "team/1", TeamName: xssImg, MyRole: "owner", Listed: true,
		AcceptsAPIKeys: true, AcceptsAccessTokens: false, MaxTokenTTL: xssScript, MaxKeyTTL: "",
		IdentifierLocked: true,
		Scopes: []ScopeRow{
			{Name: "orders:read", Description: xssImg},
			{Name: xssScript, Description: ""},
			{Name: "orders:write", Description: "Create orders"},
		},
		Can: APIPermissions{Manage: true, Request: true},
		Grants: []GrantRow{
			{ID: "grant/1", ProjectID: "prj/1", ProjectName: xssImg, TeamID: "team/1", TeamName: xssScript, SameTeam: true,
				Scopes: []string{"orders:read", xssScript}, CreatedAt: apiAt, ScopeBoxes: apiBoxes(scopes, "orders:read", xssScript)},
			{ID: "g2", ProjectID: "prj2", ProjectName: "Billing", TeamID: "t2", TeamName: "Finance", Provisional: true,
				Scopes: nil, CreatedAt: apiAt, ScopeBoxes: apiBoxes(scopes)},
		},
		Requests: []AccessRequestRow{
			{ID: "req/1", ProjectID: "p9", ProjectName: xssScript, TeamName: xssImg, Scopes: []string{"orders:read", xssImg},
				Reason: xssScript, Status: "pending", RequestedBy: xssImg, CreatedAt: apiAt,
				ScopeBoxes: apiBoxes([]string{"orders:read", xssImg}, "orders:read", xssImg)},
			{ID: "req2", ProjectID: "p8", ProjectName: "Legacy", TeamName: "Integration", Scopes: []string{"orders:read"},
				Status: "pending", Migration: true, RequestedBy: "Gatehouse", CreatedAt: apiAt,
				ScopeBoxes: apiBoxes([]string{"orders:read"}, "orders:read")},
			{ID: "req3", ProjectName: "Checkout", TeamName: "Orders", Scopes: []string{"orders:read", "orders:write"},
				Status: "approved", GrantedScopes: []string{"orders:read"}, DecidedBy: xssScript, DecidedAt: &decided,
				DecisionNote: xssImg, CreatedAt: apiAt},
			{ID: "req4", ProjectName: "Newsletter", TeamName: "Growth", Scopes: []string{"orders:read"}, Status: "denied",
				DecidedBy: "Barbara", DecidedAt: &decided, DecisionNote: "No.", CreatedAt: apiAt},
			{ID: "req5", ProjectName: "Prototype", TeamName: "Labs", Scopes: []string{"orders:read"}, Status: "withdrawn", CreatedAt: apiAt},
		},
		GrantForm: GrantForm{Projects: []Option{{"prj/3", xssImg}, {"prj4", "Replayer"}}, Project: "prj4",
			Scopes: apiBoxes(scopes, "orders:write"), Errors: map[string]string{"project": xssScript}},
		ScopeForm: ScopeForm{Name: xssImg, Description: xssScript, Errors: map[string]string{"scope": xssImg}},
		Settings: APIForm{Name: xssScript, Identifier: "https://x.example/" + xssImg, Description: "</textarea>" + xssImg,
			DocsURL: xssImg, AcceptsAPIKeys: true, MaxTokenTTLMinutes: "15", MaxKeyTTLDays: "0", Listed: true,
			IdentifierLocked: true, Errors: map[string]string{"name": xssImg, "accepts": xssScript}},
		RequestForm: AccessRequestForm{Projects: []Option{{"p1", xssScript}}, Project: "p1", Scopes: apiBoxes(scopes),
			Reason: "</textarea>" + xssScript, FormToken: "rq-ft"},
		Kit: VerificationKit{
			Issuer: "https://portal.example.com", JWKSURL: "https://portal.example.com/.well-known/jwks.json",
			JWKSPEMURL: "https://portal.example.com/.well-known/jwks.pem", MetadataURL: "https://portal.example.com/.well-known/oauth-authorization-server",
			IntrospectionURL: "https://portal.example.com/oauth/introspect",
			Snippets:         []Snippet{{ID: "kit-go", Title: xssImg, Code: xssScript}, {ID: "kit-curl", Title: "curl", Code: "curl " + xssImg}},
		},
	}
}

// visitorAPI is the same API as a catalog visitor sees it.
func visitorAPI() APIPageVM {
	vm := hostileAPI()
	vm.MyRole = ""
	vm.Can = APIPermissions{Request: true}
	vm.Grants, vm.Requests, vm.Kit = nil, nil, VerificationKit{}
	vm.GrantForm, vm.ScopeForm, vm.Settings = GrantForm{}, ScopeForm{}, APIForm{}
	vm.MyRequests = []AccessRequestRow{
		{ID: "r/1", ProjectID: "p/1", ProjectName: xssImg, TeamName: xssScript, Scopes: []string{"orders:read"}, Status: "pending",
			RequestedBy: xssScript, CreatedAt: apiAt, CanWithdraw: true},
		{ID: "r2", ProjectID: "p2", ProjectName: "Analytics", TeamName: "Risk", Scopes: []string{"orders:read"}, Status: "pending",
			Migration: true, CreatedAt: apiAt},
		{ID: "r3", ProjectID: "p2", ProjectName: "Analytics", TeamName: "Risk", Scopes: []string{"orders:write"}, Status: "denied",
			DecisionNote: xssImg, DecidedBy: "Barbara", CreatedAt: apiAt, CanWithdraw: true},
	}
	return vm
}

// viewerAPI is the API as a viewer of its team sees it.
func viewerAPI() APIPageVM {
	vm := hostileAPI()
	vm.MyRole = "viewer"
	vm.Can = APIPermissions{}
	return vm
}

// manageOnlyIDs are the test ids of controls only owners and admins of the API's team get.
var manageOnlyIDs = []string{
	"remove-scope", "scope-form", "add-scope", "approve-form", "approve-request", "approve-scope", "deny-form",
	"deny-request", "grant-edit", "save-grant", "grant-update-form", "revoke-grant", "grant-form", "create-grant",
	"grant-form-card", "api-settings-section", "api-settings-form", "save-api-settings", "api-danger-zone", "delete-api",
}

// memberOnlyIDs are the test ids of sections only members of the API's team see.
var memberOnlyIDs = []string{"api-requests-section", "api-grants-section", "api-kit-section", "my-role", "request-row", "grant-row"}

// apiSections are the sections of an API's pages, each on one page.
var apiSections = []string{"api-identifier-section", "api-scopes-section", "api-request-section", "api-requests-section",
	"api-grants-section", "api-kit-section", "api-usage", "api-settings-section", "api-danger-zone"}

// allAPITabs are an API's pages: the overview with no tab and by name, then the others.
var allAPITabs = []string{"", APITabOverview, APITabAccess, APITabVerify, APITabUsage, APITabSettings}

// wantAPITabs are the tabs of API id's pages: the overview; for its team's members the
// access decisions, the verification kit and usage; for its managers the settings.
func wantAPITabs(id string, member, manager bool) []tabLink {
	base := "/apis/" + url.PathEscape(id)
	out := []tabLink{{"overview", base}}
	if member {
		out = append(out, tabLink{"access", base + "/access"}, tabLink{"verify", base + "/verify"}, tabLink{"usage", base + "/usage"})
	}
	if manager {
		out = append(out, tabLink{"settings", base + "/settings"})
	}
	return out
}

// apiPage renders tab of vm's API and checks what every API page has: no injected markup,
// safe forms, destructive forms that ask first, the heading (with the description on
// the overview only), the tabs when there is more than one, and the page's own sections
// and no other page's.
func apiPage(t *testing.T, vm APIPageVM, tab string) *goquery.Document {
	t.Helper()
	vm.Tab = tab
	doc, _ := render(t, APIPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	checkDestructiveForms(t, doc)
	overview := tab == "" || tab == APITabOverview
	page := wantCount(t, doc, "api-page", 1)
	if page.AttrOr("data-api-id", "") != vm.ID || page.AttrOr("data-tab", "") != tab {
		t.Errorf("%s: data-api-id %q data-tab %q", tab, page.AttrOr("data-api-id", ""), page.AttrOr("data-tab", ""))
	}
	if h := wantCount(t, doc, "api-name-heading", 1); goquery.NodeName(h) != "h1" || h.Text() != vm.Name {
		t.Errorf("%s: heading <%s> %q", tab, goquery.NodeName(h), h.Text())
	}
	if team := wantCount(t, doc, "api-team-link", 1); team.AttrOr("href", "") != "/teams/"+url.PathEscape(vm.TeamID) || team.Text() != vm.TeamName {
		t.Errorf("%s: team link %q %q", tab, team.AttrOr("href", ""), team.Text())
	}
	n := 0
	if vm.MyRole != "" {
		n = 1
	}
	if r := wantCount(t, doc, "my-role", n); n == 1 && r.Text() != vm.MyRole {
		t.Errorf("%s: role = %q", tab, r.Text())
	}
	if l := wantCount(t, doc, "api-listed-badge", 1); l.AttrOr("data-listed", "") != fmt.Sprint(vm.Listed) {
		t.Errorf("%s: listed badge %q %q", tab, l.AttrOr("data-listed", ""), l.Text())
	}
	n = 0
	if overview && vm.Description != "" {
		n = 1
	}
	if d := wantCount(t, doc, "api-description-text", n); n == 1 && d.Text() != vm.Description {
		t.Errorf("description = %q", d.Text())
	}
	if vm.DocsURL != "" {
		if href := wantCount(t, doc, "api-docs-link", 1).AttrOr("href", ""); strings.HasPrefix(strings.ToLower(href), "javascript:") {
			t.Errorf("%s: docs link not sanitised: %q", tab, href)
		}
	}
	// A call to action for those who may ask for access and are not of the API's team
	// (who see the form in the page); it leads to the form on the overview.
	n = 0
	if vm.Can.Request && vm.MyRole == "" {
		n = 1
	}
	if a := wantCount(t, doc, "request-access-link", n); n == 1 && a.AttrOr("href", "") != "/apis/"+url.PathEscape(vm.ID)+"#request" {
		t.Errorf("%s: call to action = %q", tab, a.AttrOr("href", ""))
	}
	current := tab
	if overview {
		current = APITabOverview
	}
	if want := wantAPITabs(vm.ID, vm.MyRole != "", vm.Can.Manage); len(want) > 1 {
		checkTabs(t, doc, want, current)
	} else {
		wantCount(t, doc, "tabs", 0) // one page: no navigation
	}
	var present []string
	switch current {
	case APITabOverview:
		present = []string{"api-identifier-section", "api-scopes-section"}
		if vm.Can.Request || len(vm.MyRequests) > 0 || vm.RequestForm.Sent {
			present = append(present, "api-request-section")
		}
	case APITabAccess:
		present = []string{"api-requests-section", "api-grants-section"}
	case APITabVerify:
		present = []string{"api-kit-section"}
	case APITabUsage:
		present = []string{"api-usage"}
	case APITabSettings:
		present = []string{"api-settings-section", "api-danger-zone"}
	}
	checkSections(t, doc, apiSections, present...)
	for _, id := range []string{"api-toc", "toc-pending"} { // the in-page navigation is gone: tabs instead
		wantCount(t, doc, id, 0)
	}
	return doc
}

func TestAPIPageOwner(t *testing.T) {
	vm := hostileAPI()
	pages := map[string]*goquery.Document{}
	for _, tab := range allAPITabs {
		pages[tab] = apiPage(t, vm, tab)
		// The pending requests are counted on the Access tab of every page.
		if b := wantCount(t, pages[tab], "tab-access-badge", 1); !strings.HasPrefix(b.Text(), "2") {
			t.Errorf("%s: pending badge = %q", tab, b.Text())
		}
	}

	// Overview: the identifier card.
	doc := pages[""]
	id := wantCount(t, doc, "api-identifier", 1)
	if id.Text() != vm.Identifier || doc.Find(`button[data-copy-target="`+id.AttrOr("id", "")+`"]`).Length() != 1 {
		t.Errorf("identifier %q (copy target %q)", id.Text(), id.AttrOr("id", ""))
	}
	if got := wantCount(t, doc, "api-accepts", 1).Text(); got != "API keys only" {
		t.Errorf("accepts = %q", got)
	}
	if got := wantCount(t, doc, "api-max-token-ttl-text", 1).Text(); got != xssScript {
		t.Errorf("token cap = %q", got)
	}
	if got := wantCount(t, doc, "api-max-key-ttl-text", 1).Text(); got != "no cap" {
		t.Errorf("key cap = %q", got)
	}
	wantCount(t, doc, "api-identifier-fixed", 1)
	for _, anchor := range []string{"identifier", "scopes", "request"} {
		if doc.Find("section#"+anchor).Length() != 1 {
			t.Errorf("the overview has no #%s", anchor)
		}
	}

	// Overview: scopes, one remove form each, posting the name; the add form.
	rows := wantCount(t, doc, "scope-row", 3)
	if got := rows.Eq(1).Find(`[data-testid="scope-name"]`).Text(); got != xssScript {
		t.Errorf("scope name = %q", got)
	}
	if got := rows.Eq(1).Find(`[data-testid="scope-description"]`).Text(); got != "—" {
		t.Errorf("empty description = %q", got)
	}
	removes := formByAction(doc, "/apis/api%2F1/scopes/remove")
	if removes.Length() != 3 {
		t.Fatalf("remove-scope forms: %d", removes.Length())
	}
	removes.Each(func(i int, f *goquery.Selection) {
		if v := f.Find(`input[type="hidden"][name="name"]`).AttrOr("value", ""); v != vm.Scopes[i].Name {
			t.Errorf("remove form %d name = %q", i, v)
		}
		checkConfirm(t, f, "remove-scope", scopeRemoveConfirm(vm.Scopes[i].Name, vm.Name))
		if c := confirmQuestion(f); c != "Remove scope "+vm.Scopes[i].Name+" from "+xssScript+"? Every project loses it, and API keys that carry it are revoked." {
			t.Errorf("remove form %d question = %q", i, c)
		}
	})
	add := formByAction(doc, "/apis/api%2F1/scopes")
	if add.Length() != 1 {
		t.Fatalf("add-scope form: %d", add.Length())
	}
	if in := add.Find(`input[name="name"]`); in.AttrOr("value", "") != xssImg || in.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("scope name input %q invalid %q", in.AttrOr("value", ""), in.AttrOr("aria-invalid", ""))
	}
	if v := add.Find(`input[name="description"]`).AttrOr("value", ""); v != xssScript {
		t.Errorf("scope description = %q", v)
	}
	if got := testID(doc, "form-error").First().Text(); got != xssImg {
		t.Errorf("scope form error = %q", got)
	}

	// Overview: the request form (the owner is also a developer somewhere).
	rf := formByAction(doc, "/apis/api%2F1/requests")
	if rf.Length() != 1 {
		t.Fatalf("request form: %d", rf.Length())
	}
	if v := rf.Find(`input[type="hidden"][name="form_token"]`).AttrOr("value", ""); v != "rq-ft" {
		t.Errorf("request form_token = %q", v)
	}
	if sel := rf.Find(`select[name="project"]`); selected(sel) != "p1" || sel.Find("option").Text() != xssScript {
		t.Error("request project select")
	}
	if rf.Find(`input[type="checkbox"][name="scopes"]`).Length() != 3 {
		t.Error("request scopes")
	}
	if got := rf.Find(`textarea[name="reason"]`).Text(); got != vm.RequestForm.Reason {
		t.Errorf("reason = %q", got)
	}
	wantCount(t, doc, "request-sent", 0)
	if n := checkDestructiveForms(t, doc); n != 3 {
		t.Errorf("overview: %d destructive forms, want 3 (scopes)", n)
	}

	// Access: requests, pending ones first, with decision forms; decided ones folded.
	doc = pages[APITabAccess]
	reqs := wantCount(t, doc, "request-row", 5)
	var statuses []string
	reqs.Each(func(_ int, r *goquery.Selection) { statuses = append(statuses, r.AttrOr("data-status", "")) })
	if got := strings.Join(statuses, " "); got != "pending pending approved denied withdrawn" {
		t.Errorf("request order = %q", got)
	}
	first := reqs.Eq(0)
	for sel, want := range map[string]string{
		`[data-testid="request-project"]`:   xssScript,
		`[data-testid="request-team"]`:      xssImg,
		`[data-testid="request-reason"]`:    xssScript,
		`[data-testid="request-requester"]`: xssImg,
	} {
		if got := first.Find(sel).Text(); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if first.Find(`[data-testid="request-scope-badge"]`).Length() != 2 {
		t.Error("asked scopes not shown as badges")
	}
	if first.Find(`[data-testid="request-migration"]`).Length() != 0 {
		t.Error("ordinary request flagged as migration")
	}
	mig := reqs.Eq(1).Find(`[data-testid="request-migration"]`)
	if !strings.Contains(mig.Text(), "before APIs had owners") || !strings.Contains(mig.Text(), "keeps its access until you decide") {
		t.Errorf("migration flag = %q", mig.Text())
	}
	approve := formByAction(doc, "/apis/api%2F1/requests/req%2F1/approve")
	if approve.Length() != 1 {
		t.Fatalf("approve form: %d", approve.Length())
	}
	boxes := approve.Find(`input[type="checkbox"][name="scopes"]`)
	if boxes.Length() != 2 || boxes.Eq(1).AttrOr("value", "") != xssImg || boxes.FilterFunction(func(_ int, s *goquery.Selection) bool {
		_, ok := s.Attr("checked")
		return ok
	}).Length() != 2 {
		t.Errorf("approve scopes: %d boxes", boxes.Length())
	}
	if approve.Find(`textarea[name="note"]`).Length() != 1 {
		t.Error("approve form lacks a note")
	}
	// Approving an ordinary request takes one click; a migration request, whose
	// provisional grant may narrow, asks first.
	if approve.Find("details.confirm").Length() != 0 || confirmQuestion(approve) != "" {
		t.Error("approving an ordinary request asks for confirmation")
	}
	if b := submitButtons(approve); b.Length() != 1 || b.AttrOr("data-testid", "") != "approve-request" {
		t.Errorf("approve form: %d submit buttons", b.Length())
	}
	migApprove := formByAction(doc, "/apis/api%2F1/requests/req2/approve")
	checkConfirm(t, migApprove, "approve-request", "Approve Legacy's access to "+xssScript+" with the checked scopes? Its API keys that carry a scope you leave unchecked are revoked.")
	if c := confirmQuestion(migApprove); !strings.Contains(c, "revoked") {
		t.Errorf("approving a migration request: question %q", c)
	}
	deny := formByAction(doc, "/apis/api%2F1/requests/req%2F1/deny")
	if deny.Length() != 1 || deny.Find(`textarea[name="note"]`).Length() != 1 {
		t.Fatalf("deny form: %d", deny.Length())
	}
	checkConfirm(t, deny, "deny-request", requestDenyConfirm(vm.Requests[0], vm.Name))
	if c := confirmQuestion(deny); !strings.HasPrefix(c, "Deny "+xssScript+"'s request for access to "+xssScript+"?") {
		t.Errorf("deny question = %q", c)
	}
	migDeny := formByAction(doc, "/apis/api%2F1/requests/req2/deny")
	checkConfirm(t, migDeny, "deny-request", requestDenyConfirm(vm.Requests[1], vm.Name))
	if c := confirmQuestion(migDeny); !strings.Contains(c, "API keys for this API are revoked") {
		t.Errorf("deny migration question = %q", c)
	}
	wantCount(t, doc, "approve-form", 2)
	wantCount(t, doc, "deny-form", 2)
	decided := wantCount(t, doc, "decided-requests", 1)
	if _, open := decided.Attr("open"); open {
		t.Error("decided requests unfolded while some are pending")
	}
	approved := reqs.Eq(2)
	if got := approved.Find(`[data-testid="request-granted-scopes"] .badge`).Text(); got != "orders:read" {
		t.Errorf("granted scopes = %q", got)
	}
	if got := approved.Find(`[data-testid="request-decided-by"]`).Text(); got != xssScript {
		t.Errorf("decided by = %q", got)
	}
	if got := approved.Find(`[data-testid="request-note"]`).Text(); got != xssImg {
		t.Errorf("note = %q", got)
	}
	if got := approved.Find(`[data-testid="request-status"]`).Text(); got != "approved" {
		t.Errorf("status = %q", got)
	}
	if decided.Find("form").Length() != 0 {
		t.Error("decided requests have forms")
	}

	// Access: grants, with change-scopes and revoke forms per row; the direct-grant form.
	grants := wantCount(t, doc, "grant-row", 2)
	g0 := grants.Eq(0)
	if a := g0.Find(`a[data-testid="grant-project"]`); a.AttrOr("href", "") != "/projects/prj%2F1" || a.Text() != xssImg {
		t.Errorf("same-team project link %q %q", a.AttrOr("href", ""), a.Text())
	}
	if got := g0.Find(`[data-testid="grant-team"]`).Text(); got != xssScript {
		t.Errorf("grant team = %q", got)
	}
	if g0.Find(`[data-testid="grant-scope-badge"]`).Length() != 2 || g0.Find(`[data-testid="grant-provisional"]`).Length() != 0 {
		t.Error("grant 0 badges")
	}
	g1 := grants.Eq(1)
	if g1.Find(`a[data-testid="grant-project"]`).Length() != 0 || g1.Find(`[data-testid="grant-project"]`).Text() != "Billing" {
		t.Error("other team's project is linked")
	}
	if g1.Find(`[data-testid="grant-provisional"]`).Length() != 1 {
		t.Error("provisional badge missing")
	}
	update := formByAction(doc, "/apis/api%2F1/grants/grant%2F1")
	if update.Length() != 1 || update.ParentsFiltered("details.grant-edit").Length() != 1 {
		t.Fatalf("grant update form: %d", update.Length())
	}
	ub := update.Find(`input[type="checkbox"][name="scopes"]`)
	if ub.Length() != 3 || ub.Eq(1).AttrOr("value", "") != xssScript {
		t.Errorf("grant update boxes: %d", ub.Length())
	}
	if _, ok := ub.Eq(2).Attr("checked"); ok {
		t.Error("ungranted scope checked")
	}
	checkConfirm(t, update, "save-grant", grantUpdateConfirm(xssImg, xssScript))
	if c := confirmQuestion(update); c != "Change "+xssImg+"'s scopes for "+xssScript+"? Its API keys that carry a scope you uncheck are revoked." {
		t.Errorf("update question = %q", c)
	}
	revoke := formByAction(doc, "/apis/api%2F1/grants/grant%2F1/revoke")
	checkConfirm(t, revoke, "revoke-grant", "Revoke "+xssImg+"'s access to "+xssScript+"? Its API keys for this API are revoked and it can no longer get tokens for it.")
	wantCount(t, doc, "revoke-grant", 2)
	gf := formByAction(doc, "/apis/api%2F1/grants")
	if gf.Length() != 1 {
		t.Fatalf("grant form: %d", gf.Length())
	}
	if sel := gf.Find(`select[name="project"]`); selected(sel) != "prj4" || sel.Find("option").First().Text() != xssImg || sel.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("grant project select: selected %q", selected(sel))
	}
	if gf.Find(`input[type="checkbox"][name="scopes"]`).Length() != 3 || gf.Find(`input[name="scopes"][checked]`).AttrOr("value", "") != "orders:write" {
		t.Error("grant form scopes")
	}
	// Scope checkboxes show the API's description of each scope.
	if !strings.Contains(gf.Find(`label.scope-check`).First().Text(), xssImg) {
		t.Errorf("scope description missing: %q", gf.Find(`label.scope-check`).First().Text())
	}
	for _, anchor := range []string{"requests", "grants"} {
		if doc.Find("section#"+anchor).Length() != 1 {
			t.Errorf("the access page has no #%s", anchor)
		}
	}
	// Deny ×2, revoke ×2, the migration approval asks too; saving scopes is not counted
	// (its action has no destructive suffix) but asks as well (above).
	if n := checkDestructiveForms(t, doc); n != 4 {
		t.Errorf("access: %d destructive forms, want 4 (deny ×2, revoke ×2)", n)
	}

	// Verify: the verification kit.
	doc = pages[APITabVerify]
	for id, want := range map[string]string{
		"kit-issuer": vm.Kit.Issuer, "kit-jwks-url": vm.Kit.JWKSURL, "kit-jwks-pem-url": vm.Kit.JWKSPEMURL,
		"kit-metadata-url": vm.Kit.MetadataURL, "kit-introspection-url": vm.Kit.IntrospectionURL,
	} {
		el := wantCount(t, doc, id, 1)
		if el.Text() != want || doc.Find(`button[data-copy-target="`+el.AttrOr("id", "")+`"]`).Length() != 1 {
			t.Errorf("%s = %q (copy button for %q)", id, el.Text(), el.AttrOr("id", ""))
		}
	}
	snips := wantCount(t, doc, "kit-snippet", 2)
	if _, open := snips.Eq(0).Attr("open"); !open {
		t.Error("first snippet folded")
	}
	if got := snips.Eq(0).Find("summary").Text(); got != xssImg {
		t.Errorf("snippet title = %q", got)
	}
	if code := wantCount(t, doc, "kit-go", 1); goquery.NodeName(code) != "code" || code.AttrOr("id", "") != "kit-go" || code.Text() != xssScript {
		t.Errorf("kit-go: <%s id=%q> %q", goquery.NodeName(code), code.AttrOr("id", ""), code.Text())
	}
	if got := wantCount(t, doc, "kit-aud", 1).Text(); got != vm.Identifier {
		t.Errorf("kit aud = %q", got)
	}
	if doc.Find("section#verify").Length() != 1 {
		t.Error("the verify page has no #verify")
	}
	if n := doc.Find("main form").Length(); n != 0 {
		t.Errorf("the verify page has %d forms", n)
	}

	// Usage: a page of its own, with the usage panel (and only there).
	if u := testID(pages[APITabUsage], "api-usage"); u.AttrOr("id", "") != "usage" || u.Find(`[data-testid="usage-panel"]`).Length() != 1 {
		t.Errorf("usage section id = %q, %d usage panels", u.AttrOr("id", ""), u.Find(`[data-testid="usage-panel"]`).Length())
	}
	for tab, doc := range pages {
		if tab != APITabUsage {
			wantCount(t, doc, "usage-panel", 0)
		}
	}

	// Settings and danger zone.
	doc = pages[APITabSettings]
	sf := formByAction(doc, "/apis/api%2F1/settings")
	if sf.Length() != 1 {
		t.Fatalf("settings form: %d", sf.Length())
	}
	if sf.Find(`[name="scopes"], [name="team_id"]`).Length() != 0 {
		t.Error("settings form posts scopes or team_id")
	}
	checkAPIFormFields(t, sf, vm.Settings)
	if got := sf.Find(`[data-testid="field-error"]`).Text(); !strings.Contains(got, xssImg) || !strings.Contains(got, xssScript) {
		t.Errorf("settings errors = %q", got)
	}
	// Deleting asks for the name, typed (without JavaScript too): that is the confirmation.
	del := formByAction(doc, "/apis/api%2F1/delete")
	checkTypedName(t, del, "delete-api", xssScript)
	if del.AttrOr("data-testid", "") != "delete-api-form" {
		t.Errorf("delete form data-testid = %q", del.AttrOr("data-testid", ""))
	}
	if !strings.Contains(testID(doc, "api-danger-zone").Text(), "This cannot be undone.") {
		t.Error("the danger zone does not say deleting cannot be undone")
	}
	for _, anchor := range []string{"settings", "danger"} {
		if doc.Find("section#"+anchor).Length() != 1 {
			t.Errorf("the settings page has no #%s", anchor)
		}
	}
	if n := checkDestructiveForms(t, doc); n != 1 {
		t.Errorf("settings: %d destructive forms, want 1 (delete)", n)
	}

	for _, doc := range pages {
		wantCount(t, doc, "revoked-keys", 0)
	}
}

// TestAPIPageTabsPendingBadge checks the Access tab counts the requests waiting for a
// decision, as "N pending" (what the in-page navigation said), on every page of the
// API's team, and says nothing when none waits.
func TestAPIPageTabsPendingBadge(t *testing.T) {
	vm := hostileAPI()
	for _, tab := range allAPITabs {
		doc := apiPage(t, vm, tab)
		b := wantCount(t, doc, "tab-access-badge", 1)
		if got := b.Text(); got != "2 pending" {
			t.Errorf("%s: pending badge = %q, want %q", tab, got, "2 pending")
		}
		if b.Closest(`[data-testid="tab-access"]`).Length() != 1 {
			t.Errorf("%s: the badge is not on the Access tab", tab)
		}
	}
	vm.Requests = vm.Requests[2:] // decided only
	for _, tab := range allAPITabs {
		doc := apiPage(t, vm, tab)
		wantCount(t, doc, "tab-access-badge", 0)
	}
}

// checkAPIFormFields checks the fields of APIForm in form s against f.
func checkAPIFormFields(t *testing.T, s *goquery.Selection, f APIForm) {
	t.Helper()
	if v := s.Find(`input[name="name"]`).AttrOr("value", ""); v != f.Name {
		t.Errorf("name = %q", v)
	}
	if v := s.Find(`textarea[name="description"]`).Text(); v != f.Description {
		t.Errorf("description = %q", v)
	}
	if in := s.Find(`input[name="docs_url"]`); in.AttrOr("value", "") != f.DocsURL || in.AttrOr("type", "") != "url" {
		t.Errorf("docs_url = %q", in.AttrOr("value", ""))
	}
	for name, want := range map[string]bool{"accepts_api_keys": f.AcceptsAPIKeys, "accepts_access_tokens": f.AcceptsAccessTokens, "listed": f.Listed} {
		in := s.Find(`input[type="checkbox"][name="` + name + `"]`)
		_, checked := in.Attr("checked")
		if in.Length() != 1 || in.AttrOr("value", "") != "1" || checked != want {
			t.Errorf("%s: %d boxes, value %q, checked %v", name, in.Length(), in.AttrOr("value", ""), checked)
		}
	}
	for name, want := range map[string]string{"max_token_ttl_minutes": f.MaxTokenTTLMinutes, "max_key_ttl_days": f.MaxKeyTTLDays} {
		in := s.Find(`input[name="` + name + `"]`)
		if in.AttrOr("type", "") != "number" || in.AttrOr("value", "") != want || in.AttrOr("min", "") != "0" {
			t.Errorf("%s: type %q value %q min %q", name, in.AttrOr("type", ""), in.AttrOr("value", ""), in.AttrOr("min", ""))
		}
	}
	if v := s.Find(`input[type="hidden"][name="identifier"], input[type="text"][name="identifier"]`).AttrOr("value", ""); v != f.Identifier {
		t.Errorf("identifier posted = %q", v)
	}
}

func TestAPIPageIdentifierLocked(t *testing.T) {
	for _, locked := range []bool{true, false} {
		t.Run(fmt.Sprint("locked=", locked), func(t *testing.T) {
			vm := hostileAPI()
			vm.IdentifierLocked, vm.Settings.IdentifierLocked = locked, locked
			vm.Settings.Errors = map[string]string{"identifier": xssImg}
			doc := apiPage(t, vm, APITabSettings)
			overview := apiPage(t, vm, APITabOverview)
			form := formByAction(doc, "/apis/api%2F1/settings")
			in := form.Find(`[data-testid="api-identifier-input"]`)
			_, disabled := in.Attr("disabled")
			if in.Length() != 1 || disabled != locked || in.AttrOr("value", "") != vm.Settings.Identifier {
				t.Fatalf("identifier input: %d, disabled %v, value %q", in.Length(), disabled, in.AttrOr("value", ""))
			}
			posted := form.Find(`input[name="identifier"]:not([disabled])`)
			if posted.Length() != 1 || posted.AttrOr("value", "") != vm.Settings.Identifier {
				t.Errorf("posted identifier: %d, %q", posted.Length(), posted.AttrOr("value", ""))
			}
			help := in.AttrOr("aria-describedby", "")
			if help == "" || doc.Find("#"+help).Length() != 1 {
				t.Errorf("identifier help %q missing", help)
			}
			if locked {
				if posted.AttrOr("type", "") != "hidden" {
					t.Error("locked identifier is editable")
				}
				if !strings.Contains(wantCount(t, doc, "api-identifier-locked", 1).Text(), "register a new API") {
					t.Error("locked explanation")
				}
				wantCount(t, doc, "api-identifier-help", 0)
				wantCount(t, overview, "api-identifier-fixed", 1)
			} else {
				if _, ok := in.Attr("required"); !ok || in.AttrOr("aria-invalid", "") != "true" || in.AttrOr("maxlength", "") != "200" {
					t.Errorf("editable identifier: %v", in.Nodes[0].Attr)
				}
				wantCount(t, doc, "api-identifier-locked", 0)
				wantCount(t, doc, "api-identifier-help", 1)
				wantCount(t, overview, "api-identifier-fixed", 0)
			}
		})
	}
}

func TestAPIPageViewer(t *testing.T) {
	vm := viewerAPI()
	pages := map[string]*goquery.Document{}
	// A viewer of the API's team: the team's pages, not the settings (apiPage checks the tabs).
	for _, tab := range allAPITabs[:5] {
		doc := apiPage(t, vm, tab)
		for _, id := range manageOnlyIDs {
			wantCount(t, doc, id, 0)
		}
		if n := doc.Find(`main form[method="post"]`).Length(); n != 0 {
			t.Errorf("%s: a viewer sees %d POST forms", tab, n)
		}
		wantCount(t, doc, "tab-settings", 0)
		pages[tab] = doc
	}
	doc := pages[APITabAccess]
	wantCount(t, doc, "request-row", 5)
	wantCount(t, doc, "grant-row", 2)
	if n := wantCount(t, doc, "request-decided-by-owners", 2).First().Text(); !strings.Contains(n, xssImg) {
		t.Errorf("who decides = %q", n)
	}
	// Grants' project links still work for the team's own projects.
	if testID(doc, "grant-row").First().Find(`a[href="/projects/prj%2F1"]`).Length() != 1 {
		t.Error("own project not linked")
	}
	doc = pages[APITabVerify]
	wantCount(t, doc, "api-kit-section", 1)
	wantCount(t, doc, "kit-snippet", 2)
}

func TestAPIPageVisitor(t *testing.T) {
	vm := visitorAPI()
	// One page: the overview, without tabs (apiPage checks); its sections have anchors,
	// and the call to action leads to the request form.
	doc := apiPage(t, vm, "")
	for _, id := range append(append([]string{}, manageOnlyIDs...), memberOnlyIDs...) {
		wantCount(t, doc, id, 0)
	}
	for _, id := range []string{"kit-issuer", "kit-snippet", "decided-requests", "api-identifier-fixed", "tab-access-badge"} {
		wantCount(t, doc, id, 0)
	}
	wantCount(t, doc, "api-identifier", 1)
	wantCount(t, doc, "scope-row", 3)
	if href := wantCount(t, doc, "request-access-link", 1).AttrOr("href", ""); href != "/apis/api%2F1#request" {
		t.Errorf("call to action = %q", href)
	}
	for _, anchor := range []string{"identifier", "scopes", "request"} {
		if doc.Find("section#"+anchor).Length() != 1 {
			t.Errorf("no #%s section", anchor)
		}
	}
	forms := doc.Find(`main form[method="post"]`)
	if forms.Length() != 2 {
		t.Errorf("visitor sees %d POST forms, want the request form and one withdraw form", forms.Length())
	}
	if formByAction(doc, "/apis/api%2F1/requests").Length() != 1 {
		t.Error("request form missing")
	}

	rows := wantCount(t, doc, "my-request-row", 3)
	if got := rows.Eq(0).Find(`[data-testid="my-request-project"]`).Text(); got != xssImg {
		t.Errorf("my request project = %q", got)
	}
	w := formByAction(doc, "/projects/p%2F1/requests/r%2F1/withdraw")
	checkConfirm(t, w, "withdraw-request", "Withdraw the request for "+xssImg+"'s access to this API? You can ask again later.")
	if w.AttrOr("data-testid", "") != "withdraw-request-form" {
		t.Errorf("withdraw form data-testid = %q", w.AttrOr("data-testid", ""))
	}
	// Migration requests and decided requests cannot be withdrawn.
	if rows.Eq(1).Find("form").Length() != 0 || rows.Eq(2).Find("form").Length() != 0 {
		t.Error("withdraw offered for a request that cannot be withdrawn")
	}
	for i, want := range []string{"pending", "pending", "denied"} {
		if got := rows.Eq(i).Find(`[data-testid="my-request-status"]`).Text(); got != want {
			t.Errorf("my request %d status = %q", i, got)
		}
	}
	if got := rows.Eq(2).Find(`[data-testid="my-request-note"]`).Text(); got != xssImg {
		t.Errorf("decision note = %q", got)
	}

	// Right after sending: a confirmation.
	vm.RequestForm.Sent = true
	doc = apiPage(t, vm, "")
	if !strings.Contains(wantCount(t, doc, "request-sent", 1).Text(), "Request sent") {
		t.Error("confirmation text")
	}

	// Someone who may not request sees neither form nor section.
	vm = visitorAPI()
	vm.Can.Request, vm.MyRequests = false, nil
	doc = apiPage(t, vm, "")
	for _, id := range []string{"api-request-section", "request-form", "request-access-link", "my-request-row"} {
		wantCount(t, doc, id, 0)
	}
	if doc.Find(`main form[method="post"]`).Length() != 0 {
		t.Error("forms shown to someone who may not request")
	}

	// No project to request for: said plainly, no form.
	vm = visitorAPI()
	vm.RequestForm.Projects = nil
	doc = apiPage(t, vm, "")
	wantCount(t, doc, "request-form-empty", 1)
	wantCount(t, doc, "request-form", 0)
}

func TestAPIPageRevokedKeys(t *testing.T) {
	vm := hostileAPI()
	vm.RevokedKeys = []RevokedKeyRow{
		{ID: "key_1", Name: xssScript, ProjectID: "prj/1", ProjectName: xssImg, Reason: "grant narrowed"},
		{Name: "a key of Billing", ProjectID: "prj2", ProjectName: "Billing"},
	}
	// The box is said at the top of whichever page the action returns to.
	for _, tab := range []string{APITabOverview, APITabAccess} {
		doc := apiPage(t, vm, tab)
		box := wantCount(t, doc, "revoked-keys", 1)
		if box.AttrOr("role", "") != "status" {
			t.Errorf("role = %q", box.AttrOr("role", ""))
		}
		// At the top: before the API's heading.
		if doc.Find(`main > [data-testid="revoked-keys"] + [data-testid="api-page"]`).Length() != 1 {
			t.Error("revoked keys are not at the top of the page")
		}
		text := strings.Join(strings.Fields(box.Text()), " ")
		for _, want := range []string{"2 API keys were revoked.", "new keys within the new grant"} {
			if !strings.Contains(text, want) {
				t.Errorf("box lacks %q: %q", want, text)
			}
		}
		keys := wantCount(t, doc, "revoked-key", 2)
		if keys.Eq(0).Find(`[data-testid="revoked-key-name"]`).Text() != xssScript || keys.Eq(0).Find(`[data-testid="revoked-key-id"]`).Text() != "key_1" {
			t.Error("first key")
		}
		// The project's API keys are on its keys page.
		if a := keys.Eq(0).Find(`a[data-testid="revoked-key-project"]`); a.AttrOr("href", "") != "/projects/prj%2F1/keys#api-keys" || a.Text() != xssImg {
			t.Errorf("project link %q %q", a.AttrOr("href", ""), a.Text())
		}
		// Another team's key: no id, no link to a page the viewer cannot open.
		if keys.Eq(1).Find(`[data-testid="revoked-key-id"]`).Length() != 0 || keys.Eq(1).Find("a").Length() != 0 {
			t.Error("other team's key shows an id or a link")
		}
		if got := keys.Eq(1).Find(`[data-testid="revoked-key-project"]`).Text(); got != "Billing" {
			t.Errorf("other project = %q", got)
		}
	}

	vm.RevokedKeys = vm.RevokedKeys[:1]
	doc := apiPage(t, vm, "")
	if !strings.Contains(testID(doc, "revoked-keys").Text(), "1 API key was revoked.") {
		t.Error("singular headline")
	}
}

func TestAPIPageEmpty(t *testing.T) {
	vm := APIPageVM{ID: "a1", Name: "Fresh", Identifier: "fresh-api", TeamID: "t1", TeamName: "Team", MyRole: "admin", AcceptsAPIKeys: true,
		Can: APIPermissions{Manage: true}, Settings: APIForm{Name: "Fresh", Identifier: "fresh-api", AcceptsAPIKeys: true}}
	pages := map[string]*goquery.Document{}
	for _, tab := range allAPITabs {
		pages[tab] = apiPage(t, vm, tab)
		for _, id := range []string{"tab-access-badge", "toc-pending"} {
			wantCount(t, pages[tab], id, 0)
		}
	}
	// No scopes (the overview), no requests and no grants (access).
	doc := pages[""]
	if es := wantCount(t, doc, "empty-state", 1); es.Closest(`[data-testid="api-scopes-section"]`).Length() != 1 {
		t.Errorf("overview empty state = %q", es.Text())
	}
	if got := wantCount(t, doc, "api-accepts", 1).Text(); got != "API keys only" {
		t.Errorf("accepts = %q", got)
	}
	doc = pages[APITabAccess]
	es := wantCount(t, doc, "empty-state", 2) // requests, grants
	if txt := es.Eq(0).Text(); !strings.Contains(txt, "not listed") {
		t.Errorf("unlisted requests empty state = %q", txt)
	}
	wantCount(t, doc, "grant-form-empty", 1)
	wantCount(t, doc, "grant-form", 0)
	wantCount(t, doc, "no-pending-requests", 0)
	wantCount(t, doc, "decided-requests", 0)
	doc = pages[APITabVerify]
	wantCount(t, doc, "kit-snippets", 0)
	if doc.Find(".kit-urls").Length() != 0 {
		t.Error("empty kit box rendered")
	}

	// Only decided requests: they are unfolded, and nothing waits.
	vm.Requests = []AccessRequestRow{{ID: "r1", ProjectName: "P", Status: "denied", CreatedAt: apiAt}}
	vm.Listed = true
	doc = apiPage(t, vm, APITabAccess)
	wantCount(t, doc, "no-pending-requests", 1)
	wantCount(t, doc, "tab-access-badge", 0)
	if _, open := wantCount(t, doc, "decided-requests", 1).Attr("open"); !open {
		t.Error("decided requests folded with nothing pending")
	}
}

func TestCatalogPage(t *testing.T) {
	vm := CatalogVM{
		CanRegister: true,
		Mine: []APISummaryRow{
			{ID: "a/1", Name: xssScript, Identifier: xssImg, Description: xssScript, TeamID: "t/1", TeamName: xssImg, Listed: true, Grants: 1, PendingRequests: 3},
			{ID: "a2", Name: "Stock", Identifier: "stock-api", TeamID: "t1", TeamName: "Orders", Grants: 4},
		},
		Listed: []APISummaryRow{
			{ID: "b/1", Name: xssImg, Identifier: xssScript, Description: xssImg, TeamID: "t9", TeamName: xssScript, Listed: true},
		},
	}
	doc, _ := render(t, CatalogPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	if got := doc.Find("h1").Text(); got != "APIs" {
		t.Errorf("heading = %q", got)
	}
	if href := wantCount(t, doc, "register-api", 1).AttrOr("href", ""); href != "/apis/new" {
		t.Errorf("register href = %q", href)
	}
	wantCount(t, doc, "empty-state", 0)
	rows := wantCount(t, doc, "my-api-row", 2)
	r0 := rows.Eq(0)
	for sel, want := range map[string]string{
		`[data-testid="my-api-link"]`:        xssScript,
		`[data-testid="my-api-identifier"]`:  xssImg,
		`[data-testid="my-api-team"]`:        xssImg,
		`[data-testid="my-api-grants"]`:      "1 project",
		`[data-testid="my-api-pending"]`:     "3 pending",
		`[data-testid="my-api-description"]`: xssScript,
		`[data-testid="my-api-listed"]`:      "listed",
	} {
		if got := r0.Find(sel).Text(); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if href := r0.Find(`[data-testid="my-api-link"]`).AttrOr("href", ""); href != "/apis/a%2F1" {
		t.Errorf("api link = %q", href)
	}
	if href := r0.Find(`[data-testid="my-api-team"]`).AttrOr("href", ""); href != "/teams/t%2F1" {
		t.Errorf("team link = %q", href)
	}
	// The requests are on the API's access page.
	if href := r0.Find(`[data-testid="my-api-pending"]`).AttrOr("href", ""); href != "/apis/a%2F1/access#requests" {
		t.Errorf("pending link = %q", href)
	}
	if goquery.NodeName(r0.Find(`[data-testid="my-api-identifier"]`)) != "code" {
		t.Error("identifier not in <code>")
	}
	r1 := rows.Eq(1)
	if r1.Find(`[data-testid="my-api-pending"]`).Length() != 0 || r1.Find(`[data-testid="my-api-listed"]`).Length() != 0 {
		t.Error("badges shown for zero pending / unlisted")
	}
	if got := r1.Find(`[data-testid="my-api-grants"]`).Text(); got != "4 projects" {
		t.Errorf("grants = %q", got)
	}
	card := wantCount(t, doc, "catalog-api", 1)
	for sel, want := range map[string]string{
		`[data-testid="catalog-api-link"]`:        xssImg,
		`[data-testid="catalog-api-identifier"]`:  xssScript,
		`[data-testid="catalog-api-team"]`:        xssScript,
		`[data-testid="catalog-api-description"]`: xssImg,
	} {
		if got := card.Find(sel).Text(); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	req := card.Find(`[data-testid="catalog-api-request"]`)
	if req.AttrOr("href", "") != "/apis/b%2F1#request" || !strings.Contains(req.Text(), "View and request access") {
		t.Errorf("request link %q %q", req.AttrOr("href", ""), req.Text())
	}

	for _, tc := range []struct {
		name        string
		canRegister bool
	}{{"owner", true}, {"developer", false}} {
		t.Run("empty/"+tc.name, func(t *testing.T) {
			doc, _ := render(t, CatalogPage(signedIn(), CatalogVM{CanRegister: tc.canRegister}))
			checkCSP(t, doc)
			es := wantCount(t, doc, "empty-state", 2)
			if got := es.Eq(0).Find("p").First().Text(); got != "Register an API to let projects get credentials for it." {
				t.Errorf("own empty state = %q", got)
			}
			if got := es.Eq(1).Find("p").Text(); got != "No other team lists an API yet." {
				t.Errorf("catalog empty state = %q", got)
			}
			n := 0
			if tc.canRegister {
				n = 1
			}
			wantCount(t, doc, "register-api", n)
			wantCount(t, doc, "empty-register-api", n)
			wantCount(t, doc, "register-api-hint", 1-n)
		})
	}
}

func TestNewAPIPage(t *testing.T) {
	vm := NewAPIVM{
		Teams: []Option{{"t1", "Orders"}, {"t/2", xssScript}},
		Form: APIForm{TeamID: "t/2", Name: xssImg, Identifier: xssScript, Description: "</textarea>" + xssImg, DocsURL: xssImg,
			AcceptsAPIKeys: false, AcceptsAccessTokens: true, MaxTokenTTLMinutes: "30", MaxKeyTTLDays: "90", Listed: false,
			Scopes: "orders:read Read orders\n</textarea>" + xssScript, FormToken: "api-ft",
			Errors: map[string]string{"identifier": xssImg, "scopes": xssScript, "form": "Nope."}},
	}
	doc, _ := render(t, NewAPIPage(signedIn(), vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	form := formByAction(doc, "/apis")
	if form.Length() != 1 {
		t.Fatalf("form: %d", form.Length())
	}
	if v := form.Find(`input[type="hidden"][name="form_token"]`).AttrOr("value", ""); v != "api-ft" {
		t.Errorf("form_token = %q", v)
	}
	team := form.Find(`select[name="team_id"]`)
	if selected(team) != "t/2" || team.Find("option").Eq(1).Text() != xssScript {
		t.Errorf("team select: selected %q", selected(team))
	}
	checkAPIFormFields(t, form, vm.Form)
	sc := form.Find(`textarea[name="scopes"]`)
	if sc.Text() != vm.Form.Scopes || sc.AttrOr("aria-invalid", "") != "true" {
		t.Errorf("scopes textarea %q", sc.Text())
	}
	if !strings.Contains(wantCount(t, doc, "api-scopes-help", 1).Text(), "orders:read Read orders") {
		t.Error("scopes hint lacks the format")
	}
	help := strings.Join(strings.Fields(wantCount(t, doc, "api-identifier-help", 1).Text()), " ")
	for _, want := range []string{"aud", "verify it exactly", "cannot change once access has been granted"} {
		if !strings.Contains(help, want) {
			t.Errorf("identifier help lacks %q: %q", want, help)
		}
	}
	id := wantCount(t, doc, "api-identifier-input", 1)
	if id.AttrOr("name", "") != "identifier" || id.AttrOr("aria-invalid", "") != "true" || id.AttrOr("value", "") != xssScript {
		t.Errorf("identifier input %v", id.Nodes[0].Attr)
	}
	if got := wantCount(t, doc, "form-error", 1).Text(); got != "Nope." {
		t.Errorf("form error = %q", got)
	}
	wantCount(t, doc, "create-api", 1)
	wantCount(t, doc, "empty-state", 0)

	doc, _ = render(t, NewAPIPage(signedIn(), NewAPIVM{}))
	checkCSP(t, doc)
	es := wantCount(t, doc, "empty-state", 1)
	if !strings.Contains(es.Text(), "owner or admin") || es.Find(`a[href="/teams"]`).Length() != 1 {
		t.Errorf("empty state = %q", es.Text())
	}
	if doc.Find("form[action=\"/apis\"]").Length() != 0 {
		t.Error("form shown without teams")
	}
}

func TestProjectAPIsSection(t *testing.T) {
	vm := ProjectAPIsVM{
		ProjectID: "p/1", TeamID: "t/1", CanRegisterAPI: true, CanRequest: true, CSRF: token,
		Grants: []GrantRow{
			{ID: "g1", APIID: "api/1", APIName: xssScript, Identifier: xssImg, Scopes: []string{"orders:read"}, CreatedAt: apiAt, Provisional: true},
			{ID: "g2", APIID: "", APIName: "", Identifier: "legacy-api", CreatedAt: apiAt},
		},
		Requests: []AccessRequestRow{
			{ID: "r/1", APIID: "api/2", APIName: xssImg, Identifier: "https://pay.example", ProjectName: "Mine", Scopes: []string{"pay:read"},
				Status: "pending", CanWithdraw: true, CreatedAt: apiAt},
			{ID: "r2", APIID: "api3", APIName: "Search", ProjectID: "p/1", ProjectName: "Mine", Status: "approved",
				GrantedScopes: []string{"search:read"}, CreatedAt: apiAt},
		},
	}
	doc, _ := render(t, ProjectAPIsSection(vm))
	checkNoInjection(t, doc)
	checkPostForms(t, doc)
	wantCount(t, doc, "empty-state", 0)
	rows := wantCount(t, doc, "project-grant-row", 2)
	a := rows.Eq(0).Find(`a[data-testid="project-grant-api"]`)
	if a.AttrOr("href", "") != "/apis/api%2F1" || a.Text() != xssScript {
		t.Errorf("api link %q %q", a.AttrOr("href", ""), a.Text())
	}
	if got := rows.Eq(0).Find(`[data-testid="project-grant-identifier"]`).Text(); got != xssImg {
		t.Errorf("identifier = %q", got)
	}
	wantCount(t, doc, "project-grant-provisional", 1)
	if rows.Eq(1).Find("a").Length() != 0 || rows.Eq(1).Find(`[data-testid="project-grant-api"]`).Text() != "legacy-api" {
		t.Error("grant without API id")
	}
	if href := wantCount(t, doc, "browse-catalog-link", 1).AttrOr("href", ""); href != "/apis" {
		t.Errorf("catalog link = %q", href)
	}
	reqs := wantCount(t, doc, "my-request-row", 2)
	if a := reqs.Eq(0).Find(`a[data-testid="my-request-api"]`); a.AttrOr("href", "") != "/apis/api%2F2" || a.Text() != xssImg {
		t.Errorf("request api link %q %q", a.AttrOr("href", ""), a.Text())
	}
	// A row without ProjectID is withdrawn under the section's project.
	w := formByAction(doc, "/projects/p%2F1/requests/r%2F1/withdraw")
	checkConfirm(t, w, "withdraw-request", "Withdraw the request for Mine's access to "+xssImg+"? You can ask again later.")
	if got := w.Find(`[data-testid="withdraw-request-open"] .visually-hidden`).Text(); got != " the request of Mine" {
		t.Errorf("the first step names the request for screen readers as %q", got)
	}
	wantCount(t, doc, "withdraw-request", 1)
	if n := checkDestructiveForms(t, doc); n != 1 {
		t.Errorf("%d destructive forms, want 1 (withdraw)", n)
	}

	// The project page's token is the default.
	vm.CSRF = ""
	if got := withAPIsCSRF(vm, "page-token").CSRF; got != "page-token" {
		t.Errorf("withAPIsCSRF = %q", got)
	}
	vm.CSRF = "own"
	if got := withAPIsCSRF(vm, "page-token").CSRF; got != "own" {
		t.Errorf("withAPIsCSRF kept %q", got)
	}

	for _, canRegister := range []bool{true, false} {
		t.Run(fmt.Sprint("empty/register=", canRegister), func(t *testing.T) {
			doc, _ := render(t, ProjectAPIsSection(ProjectAPIsVM{ProjectID: "p1", TeamID: "t/1", CanRegisterAPI: canRegister, CSRF: token}))
			checkCSP(t, doc)
			es := wantCount(t, doc, "empty-state", 1)
			if got := es.Find("p").First().Text(); got != "This project cannot get credentials yet: no API has granted it access." {
				t.Errorf("empty text = %q", got)
			}
			if href := wantCount(t, doc, "browse-catalog-link", 1).AttrOr("href", ""); href != "/apis" {
				t.Errorf("catalog link = %q", href)
			}
			n := 0
			if canRegister {
				n = 1
			}
			if reg := wantCount(t, doc, "register-api-link", n); canRegister && reg.AttrOr("href", "") != "/apis/new?team=t%2F1" {
				t.Errorf("register link = %q", reg.AttrOr("href", ""))
			}
			wantCount(t, doc, "my-request-row", 0)
		})
	}
}

func TestAPIFormatHelpers(t *testing.T) {
	for got, want := range map[string]string{
		APIPath("a/b?c"):                                          "/apis/a%2Fb%3Fc",
		APIScopeRemovePath("a/b"):                                 "/apis/a%2Fb/scopes/remove",
		GrantPath("a b", "g/1"):                                   "/apis/a%20b/grants/g%2F1",
		GrantRevokePath("a", "g#1"):                               "/apis/a/grants/g%231/revoke",
		RequestDenyPath("a", "r/1"):                               "/apis/a/requests/r%2F1/deny",
		RequestWithdrawPath("p/1", "r?1"):                         "/projects/p%2F1/requests/r%3F1/withdraw",
		NewAPIPath(""):                                            "/apis/new",
		NewAPIPath("t&x=1"):                                       "/apis/new?team=t%26x%3D1",
		APIAnchor("a/1", "requests"):                              "/apis/a%2F1/access#requests",
		APIAnchor("a/1", "request"):                               "/apis/a%2F1#request",
		ProjectAnchor("p/1", "api-keys"):                          "/projects/p%2F1/keys#api-keys",
		requestStatusClass("denied"):                              "badge badge-request badge-request-denied",
		requestStatusClass(`x" onclick="y`):                       "badge badge-request",
		acceptsText(true, true):                                   "API keys and access tokens",
		acceptsText(false, true):                                  "access tokens only",
		scopeBoxDescription(Checkbox{Value: "a:b", Label: "a:b"}): "",
		scopeBoxDescription(Checkbox{Value: "a:b", Label: "a:b — Read it"}):                    "Read it",
		scopeDescription([]ScopeRow{{Name: "a:b", Description: "Do"}}, Checkbox{Value: "a:b"}): "Do",
		revokedHeadline(1):                  "1 API key was revoked.",
		countNoun(0, "project", "projects"): "0 projects",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	if u := string(docsLink("javascript:alert(1)")); strings.HasPrefix(u, "javascript") {
		t.Errorf("docsLink = %q", u)
	}
}

// richAPI is an API page full of realistic, long data: long names, 30-character scope
// names, a 120-character identifier, 12 scopes, 8 grants and requests in every state.
func richAPI() APIPageVM {
	identifier := "https://orders-fulfilment-and-returns.platform.internal.example-corporation.com/api/v2/regions/eu-central-1/tenants"
	names := []string{"orders:read", "orders:write", "orders.fulfilment:dispatch-all", "returns:read", "returns:write",
		"invoices.read-with-line-items", "customers:read", "customers:write", "inventory.reservations:manage",
		"webhooks:subscribe", "reports.finance:export-monthly", "admin"}
	vm := hostileAPI()
	vm.ID, vm.Name, vm.Identifier = "api_orders", "Orders, fulfilment and returns platform API (EMEA production)", identifier
	vm.Description = strings.Repeat("The system of record for orders, their fulfilment and returns. ", 3)
	vm.DocsURL, vm.TeamName = "https://docs.example.com/orders", "Orders and fulfilment platform team"
	vm.Settings = APIForm{Name: vm.Name, Identifier: identifier, AcceptsAPIKeys: true, AcceptsAccessTokens: true,
		MaxTokenTTLMinutes: "15", MaxKeyTTLDays: "0", Listed: true, IdentifierLocked: true}
	vm.ScopeForm = ScopeForm{}
	vm.Scopes = nil
	for _, n := range names {
		vm.Scopes = append(vm.Scopes, ScopeRow{Name: n, Description: "Lets a project " + strings.ReplaceAll(n, ":", " ") + " across every warehouse and region"})
	}
	vm.Grants = nil
	for i := 0; i < 8; i++ {
		vm.Grants = append(vm.Grants, GrantRow{ID: fmt.Sprintf("g%d", i), ProjectID: fmt.Sprintf("p%d", i),
			ProjectName: "Warehouse robot fleet controller for the Rotterdam distribution centre " + fmt.Sprint(i),
			TeamName:    "Logistics and warehouse automation — EMEA", SameTeam: i%2 == 0, Scopes: names[i : i+4],
			Provisional: i == 7, CreatedAt: apiAt, ScopeBoxes: apiBoxes(names, names[i:i+4]...)})
	}
	long := "Fraud detection scoring pipeline for card-not-present payments"
	vm.Requests = []AccessRequestRow{
		{ID: "r1", ProjectName: long, TeamName: "Risk", Scopes: names[:6], Status: "pending", RequestedBy: "grace.hopper@example-corporation.com",
			Reason: strings.Repeat("We score every order before it ships. ", 4), CreatedAt: apiAt, ScopeBoxes: apiBoxes(names[:6], names[:6]...)},
		{ID: "r2", ProjectName: long, TeamName: "Integration", Scopes: names[2:5], Status: "pending", Migration: true, CreatedAt: apiAt,
			ScopeBoxes: apiBoxes(names[2:5], names[2:5]...)},
		{ID: "r3", ProjectName: long, TeamName: "Risk", Scopes: names[:4], GrantedScopes: names[:2], Status: "approved",
			DecidedBy: "barbara.liskov@example-corporation.com", DecisionNote: strings.Repeat("Read only for now. ", 4), CreatedAt: apiAt},
		{ID: "r4", ProjectName: long, TeamName: "Growth", Scopes: names[6:8], Status: "denied", DecidedBy: "Barbara", CreatedAt: apiAt},
		{ID: "r5", ProjectName: long, TeamName: "Labs", Scopes: names[:1], Status: "withdrawn", CreatedAt: apiAt},
	}
	vm.GrantForm = GrantForm{Projects: []Option{{"p9", long}}, Scopes: apiBoxes(names)}
	vm.RequestForm = AccessRequestForm{Projects: []Option{{"p1", "Risk / " + long}}, Scopes: apiBoxes(names), FormToken: "ft"}
	vm.MyRequests = []AccessRequestRow{{ID: "m1", ProjectID: "p1", ProjectName: long, TeamName: "Risk", Scopes: names[:6],
		Status: "pending", RequestedBy: "grace.hopper@example-corporation.com", CreatedAt: apiAt, CanWithdraw: true}}
	vm.RevokedKeys = []RevokedKeyRow{{ID: "key_01HZY3K4M5N6P7Q8R9S0T1U2V3", Name: "warehouse-robot-fleet-controller-rotterdam-production",
		ProjectID: "p1", ProjectName: long, Reason: "grant narrowed"}}
	vm.Kit.Issuer = "https://gatehouse.platform.example-corporation.com"
	vm.Kit.Snippets = []Snippet{{ID: "kit-go", Title: "Go (verify)", Code: "v, err := verify.New(ctx, \"" + vm.Kit.Issuer + "\", verify.Audience(\"" + identifier + "\"))"}}
	return vm
}

// TestBrowserAPIPageFitsPhone loads each of the API's pages (every tab of its owner's,
// and a visitor's), full of long data, into headless Chromium 390 px wide (with every
// <details> closed, then open: the two-step confirmations too) and checks that nothing
// overflows the page sideways and that the strict CSP blocks nothing.
func TestBrowserAPIPageFitsPhone(t *testing.T) {
	required := os.Getenv("GATEHOUSE_E2E") == "require"
	if testing.Short() && !required {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := findChromium()
	if chrome == "" {
		if required {
			t.Fatal("Chromium not found and GATEHOUSE_E2E=require: install chromium or set CHROME_PATH")
		}
		t.Skip("no Chromium installed")
	}

	// Every page of the owner's (each tab), and the visitor's one page.
	pages := map[string]APIPageVM{}
	var names []string
	for _, tab := range allAPITabs[1:] {
		vm := richAPI()
		vm.Tab = tab
		vm.UsagePanel = UsagePanelVM{Title: "Usage of " + vm.Name, Days: 30, Range7URL: "/api/owner-usage", Range30URL: "/api/owner-usage"}
		for _, m := range []string{"tokens", "keys_created", "revocations", "verifications"} {
			var points []UsagePoint
			for i := 0; i < 30; i++ {
				points = append(points, UsagePoint{Day: apiAt.AddDate(0, 0, i-29), Count: int64(i * 1234567 % 99991)})
			}
			vm.UsagePanel.Charts = append(vm.UsagePanel.Charts, NewUsageChartVM(m, points))
		}
		pages["owner-"+tab] = vm
		names = append(names, "owner-"+tab)
	}
	visitor := richAPI()
	visitor.MyRole, visitor.Can, visitor.Grants, visitor.Requests, visitor.RevokedKeys = "", APIPermissions{Request: true}, nil, nil, nil
	pages["visitor"] = visitor
	names = append(names, "visitor")
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.FS(static.FS))))
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		vm, ok := pages[strings.TrimPrefix(r.URL.Path, "/api/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", testCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := APIPage(Page{Title: vm.Name, User: &CurrentUser{Name: "Barbara Liskov", Email: "barbara.liskov@example-corporation.com"},
			CSRF: "tok", DevSignIn: true, Flashes: []Flash{{Kind: "success", Message: "Scope removed."}}}, vm).Render(r.Context(), w); err != nil {
			t.Errorf("rendering the %s API page: %v", r.URL.Path, err)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start browser: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	var (
		mu       sync.Mutex
		problems []string
		marks    consoleMarks
	)
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if marks.seen(m) {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s (%s)", m, m.URL))
				mu.Unlock()
			}
		}
	}()

	const overflowing = `[...document.querySelectorAll("main *")].filter(e => {
		const r = e.getBoundingClientRect();
		return r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !e.closest("thead, .visually-hidden");
	}).slice(0, 5).map(e => e.tagName + "." + e.className + " [" + (e.dataset.testid || "") + "] right=" + Math.round(e.getBoundingClientRect().right)).join("; ")`
	for _, name := range names {
		if err := chromedp.Do(ctx,
			chromedp.EmulateViewport(390, 844),
			chromedp.Navigate(srv.URL+"/api/"+name),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="api-name-heading"]`)),
		); err != nil {
			t.Fatalf("%s: load: %v", name, err)
		}
		for _, state := range []string{"closed", "open"} {
			if state == "open" {
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => { const d = document.querySelectorAll("details"); d.forEach(x => x.open = true); return d.length })()`)); err != nil {
					t.Fatalf("%s: open details: %v", name, err)
				}
			}
			fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
			if err != nil {
				t.Fatalf("%s: evaluate: %v", name, err)
			}
			if !fits {
				sw, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
				iw, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.innerWidth`))
				culprits, _ := chromedp.Run(ctx, chromedp.Evaluate[string](overflowing))
				t.Errorf("%s (details %s): scrollWidth %d > innerWidth %d: %s", name, state, sw, iw, culprits)
			}
		}
	}
	if err := marks.flush(ctx); err != nil {
		t.Errorf("browser console: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
}
