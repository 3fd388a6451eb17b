package web

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// showAPI handles "GET /apis/:api" (the overview) and the API's other pages,
// "GET /apis/:api/{access,verify,usage,settings}". A page the viewer may not open (the
// team's pages for someone outside it) is 404, like an API they may not see.
func (h *Handler) showAPI(tab string) echo.HandlerFunc {
	return func(c echo.Context) error { return h.renderAPI(c, http.StatusOK, tab, nil) }
}

// renderAPI renders an API's page for the viewer: its team's members see grants,
// requests and the verification kit; anyone else sees a listed API's description and
// the request form. adjust may fill in form state.
func (h *Handler) renderAPI(c echo.Context, status int, tab string, adjust func(*views.APIPageVM)) error {
	ctx, a := c.Request().Context(), actor(c)
	av, err := h.Store.APIFor(ctx, a, c.Param("api"))
	if err != nil {
		return err
	}
	switch {
	case tab == views.APITabSettings && !av.Manages() && av.Member():
		return models.ErrForbidden // its team sees that it exists
	case tab != views.APITabOverview && tab != "" && !av.Member():
		return models.ErrNotFound // the API's own pages are its team's
	}
	vm := views.APIPageVM{
		Tab: tab, ID: av.ID, Name: av.Name, Identifier: av.Identifier, Description: av.Description, DocsURL: av.DocsURL,
		TeamID: av.TeamID, TeamName: av.TeamName, MyRole: string(av.MyRole), Listed: av.Listed,
		AcceptsAPIKeys: av.AcceptsAPIKeys, AcceptsAccessTokens: av.AcceptsAccessTokens,
		MaxTokenTTL:      capText(time.Duration(av.MaxTokenTTL)*time.Second, "the project's own lifetime (at most 24 hours)"),
		MaxKeyTTL:        capText(time.Duration(av.MaxKeyTTL)*time.Second, "the portal's cap ("+strconv.Itoa(int(h.Cfg.Signer.Config().KeyMaxLifetime.Hours()/24))+" days)"),
		IdentifierLocked: av.LockedAt != nil,
		Can:              views.APIPermissions{Manage: av.Manages()},
		ScopeForm:        views.ScopeForm{},
		Settings:         apiSettingsForm(av),
		StatusListTTL:    h.Cfg.Signer.Config().StatusListTTL,
	}
	for _, s := range av.Scopes {
		vm.Scopes = append(vm.Scopes, views.ScopeRow{Name: s.Name, Description: s.Description, Delegable: s.Delegable})
	}
	requestable, err := h.requestableProjects(ctx, a)
	if err != nil {
		return err
	}
	vm.Can.Request = len(requestable) > 0
	vm.RequestForm = views.AccessRequestForm{Projects: requestable, FormToken: models.NewIdempotencyKey(), Scopes: scopeBoxes(av.ScopeNames(), nil)}
	if av.Member() {
		if err := h.fillAPIMemberView(ctx, a, av, &vm); err != nil {
			return err
		}
	} else {
		mine, err := h.Store.MyAccessRequests(ctx, a, av.ID)
		if err != nil {
			return err
		}
		vm.MyRequests = requestRows(mine, nil, a.User.ID, nil)
	}
	if tab == views.APITabUsage {
		if vm.UsagePanel, err = h.usagePanel(c, models.APIUsageScope(av.ID), views.APITabPath(av.ID, tab)); err != nil {
			return err
		}
	}
	if adjust != nil {
		adjust(&vm)
	}
	return httpx.Render(c, status, views.APIPage(h.page(c, av.Name), vm))
}

// fillAPIMemberView adds what the API's team sees: grants, requests, the grant form
// and the verification kit.
func (h *Handler) fillAPIMemberView(ctx context.Context, a models.Actor, av *models.APIView, vm *views.APIPageVM) error {
	grants, err := h.Store.APIGrants(ctx, a, av.ID)
	if err != nil {
		return err
	}
	requests, err := h.Store.APIRequests(ctx, a, av.ID)
	if err != nil {
		return err
	}
	names := av.ScopeNames()
	granted := map[string]bool{}
	for _, g := range grants {
		granted[g.ProjectID] = true
		vm.Grants = append(vm.Grants, grantRow(g, names))
	}
	vm.Requests = requestRows(requests, names, a.User.ID, func(r models.AccessRequestInfo) bool { return false })
	projects, err := h.Store.TeamProjects(ctx, a, av.TeamID)
	if err != nil {
		return err
	}
	vm.GrantForm = views.GrantForm{Scopes: scopeBoxes(names, nil)}
	for _, p := range projects {
		if !granted[p.ID] {
			vm.GrantForm.Projects = append(vm.GrantForm.Projects, views.Option{Value: p.ID, Label: p.Name})
		}
	}
	vm.Kit = h.verificationKit(av.Identifier, projects)
	return h.fillDelegation(ctx, a, av, vm)
}

// fillDelegation says who may delegate the API's scopes and, for its managers, offers
// their own teams and the ones already named.
func (h *Handler) fillDelegation(ctx context.Context, a models.Actor, av *models.APIView, vm *views.APIPageVM) error {
	named, err := h.Store.DelegationTeamNames(ctx, a, av.ID)
	if err != nil {
		return err
	}
	for _, t := range named {
		vm.Delegation.Named = append(vm.Delegation.Named, t.Name)
		vm.Delegation.Teams = append(vm.Delegation.Teams, views.Checkbox{Value: t.ID, Label: t.Name, Checked: true})
	}
	if !av.Manages() {
		return nil
	}
	mine, err := h.Store.TeamsOf(ctx, a.User.ID)
	if err != nil {
		return err
	}
	for _, m := range mine {
		if !slices.ContainsFunc(named, func(t models.Team) bool { return t.ID == m.Team.ID }) {
			vm.Delegation.Teams = append(vm.Delegation.Teams, views.Checkbox{Value: m.Team.ID, Label: m.Team.Name})
		}
	}
	return nil
}

// grantRow shows a grant; scopes are the API's (for the change-scopes form).
func grantRow(g models.GrantInfo, scopes []string) views.GrantRow {
	return views.GrantRow{ID: g.ID, ProjectID: g.ProjectID, ProjectName: g.ProjectName, TeamID: g.ProjectTeamID,
		TeamName: g.ProjectTeamName, SameTeam: g.ProjectTeamID == g.APITeamID, Scopes: g.ScopeList(), Provisional: g.Provisional,
		Impersonation: g.Impersonation, CreatedAt: g.CreatedAt, ScopeBoxes: scopeBoxes(scopes, g.ScopeList()), APIID: g.APIID, APIName: g.APIName, Identifier: g.Identifier}
}

// requestRows shows requests; scopes (the API's) fill the approval checkboxes, and
// withdrawable says which the viewer may withdraw (nil: any pending, non-migration one).
func requestRows(reqs []models.AccessRequestInfo, scopes []string, viewer string, withdrawable func(models.AccessRequestInfo) bool) []views.AccessRequestRow {
	out := make([]views.AccessRequestRow, 0, len(reqs))
	for _, r := range reqs {
		asked := fields(r.Scopes)
		row := views.AccessRequestRow{ID: r.ID, APIID: r.APIID, APIName: r.APIName, Identifier: r.Identifier, ProjectID: r.ProjectID,
			ProjectName: r.ProjectName, TeamName: r.ProjectTeamName, Scopes: asked, Reason: r.Reason, Status: r.Status,
			Migration: r.Origin == "migration", RequestedBy: r.RequestedByLabel, CreatedAt: r.CreatedAt, DecidedBy: r.DecidedByLabel,
			DecidedAt: r.DecidedAt, DecisionNote: r.DecisionNote, GrantedScopes: fields(r.GrantedScopes),
			ScopeBoxes: scopeBoxes(asked, asked)}
		pending := r.Status == models.RequestPending && r.Origin != "migration"
		if withdrawable == nil {
			row.CanWithdraw = pending
		} else {
			row.CanWithdraw = pending && withdrawable(r)
		}
		out = append(out, row)
	}
	return out
}

// scopeBoxes are checkboxes for scopes, checked where listed in checked.
func scopeBoxes(scopes, checked []string) []views.Checkbox {
	out := make([]views.Checkbox, len(scopes))
	for i, s := range scopes {
		out[i] = views.Checkbox{Value: s, Label: s}
		for _, c := range checked {
			if c == s {
				out[i].Checked = true
			}
		}
	}
	return out
}

// requestableProjects are the projects for which the user may request access (developer
// or more in their team), labelled "Team / Project".
func (h *Handler) requestableProjects(ctx context.Context, a models.Actor) ([]views.Option, error) {
	teams, err := h.Store.TeamsOf(ctx, a.User.ID)
	if err != nil {
		return nil, err
	}
	may := map[string]bool{}
	for _, m := range teams {
		may[m.Team.ID] = m.Role.Can(models.ActAccessRequest)
	}
	projects, err := h.Store.ProjectsOf(ctx, a)
	if err != nil {
		return nil, err
	}
	var out []views.Option
	for _, p := range projects {
		if may[p.TeamID] {
			out = append(out, views.Option{Value: p.ID, Label: p.TeamName + " / " + p.Name})
		}
	}
	return out, nil
}

// capText says a lifetime cap in words, or what applies without one.
func capText(d time.Duration, none string) string {
	switch {
	case d <= 0:
		return "no cap of its own: " + none
	case d%(24*time.Hour) == 0:
		return plural(int(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/time.Minute), "minute")
}

// plural is "1 day", "2 days".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// apiSettingsForm fills the settings form from the stored API.
func apiSettingsForm(av *models.APIView) views.APIForm {
	return views.APIForm{TeamID: av.TeamID, Name: av.Name, Identifier: av.Identifier, Description: av.Description, DocsURL: av.DocsURL,
		AcceptsAPIKeys: av.AcceptsAPIKeys, AcceptsAccessTokens: av.AcceptsAccessTokens,
		MaxTokenTTLMinutes: strconv.Itoa(av.MaxTokenTTL / 60), MaxKeyTTLDays: strconv.Itoa(av.MaxKeyTTL / 86400),
		Listed: av.Listed, IdentifierLocked: av.LockedAt != nil}
}

// afterRevocations answers an action that may have revoked keys: with none, back to the
// API page; with some, the API page listing them, so their owners can reissue.
func (h *Handler) afterRevocations(c echo.Context, tab string, revoked []models.APIKey, done string) error {
	if len(revoked) == 0 {
		return h.redirectWithFlash(c, views.APITabPath(c.Param("api"), tab), "success", done)
	}
	rows, err := h.revokedRows(c.Request().Context(), revoked)
	if err != nil {
		return err
	}
	return h.renderAPI(c, http.StatusOK, tab, func(vm *views.APIPageVM) {
		// Other teams' key names are theirs: their owners see them on their project page.
		for i, k := range revoked {
			if k.TeamID != vm.TeamID {
				rows[i].Name, rows[i].ID = "a key of "+rows[i].ProjectName, ""
			}
		}
		vm.RevokedKeys = rows
	})
}

// revokedRows names revoked keys with their projects.
func (h *Handler) revokedRows(ctx context.Context, keys []models.APIKey) ([]views.RevokedKeyRow, error) {
	names, err := h.Store.ProjectNames(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := make([]views.RevokedKeyRow, len(keys))
	for i, k := range keys {
		out[i] = views.RevokedKeyRow{ID: k.ID, Name: k.Name, Reason: k.RevokedReason}
		if k.ProjectID != nil {
			out[i].ProjectID, out[i].ProjectName = *k.ProjectID, names[*k.ProjectID]
		}
	}
	return out, nil
}
