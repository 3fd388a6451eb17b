package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// showAccount handles "GET /account": who the user is, where they are signed in, and
// their personal access tokens.
func (h *Handler) showAccount(c echo.Context) error {
	return h.renderAccount(c, http.StatusOK, nil)
}

// renderAccount renders the account page; edit, when set, fills the token form (a
// form sent back with its messages).
func (h *Handler) renderAccount(c echo.Context, status int, edit func(*views.PersonalTokenForm)) error {
	ctx, u := c.Request().Context(), currentUser(c)
	list, err := h.Store.UserSessions(ctx, u.ID, h.Cfg.Sessions)
	if err != nil {
		return err
	}
	current, _ := c.Get(ctxSession).(*sessions.Session)
	vm := views.AccountVM{Name: u.Name, Email: u.Email, Issuer: u.Issuer, Subject: u.Subject, CreatedAt: u.CreatedAt,
		APIBase: h.Cfg.BaseURL.JoinPath("/api/v1").String()}
	for _, s := range list {
		vm.Sessions = append(vm.Sessions, views.SessionSummary{
			Current:   current != nil && s.IsSession(current.ID),
			UserAgent: s.UserAgent, IP: s.IP, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt,
		})
	}
	tokens, err := h.Store.PersonalTokens(ctx, actor(c))
	if err != nil {
		return err
	}
	now := h.Store.Now()
	for _, t := range tokens {
		vm.Tokens = append(vm.Tokens, views.PersonalTokenRow{ID: t.ID, Name: t.Name, Hint: t.Hint, Scope: t.Scope, Team: t.TeamName,
			Status: t.Status(now), CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt})
	}
	consents, err := h.Store.UserConsents(ctx, u.ID)
	if err != nil {
		return err
	}
	vault, err := h.Store.UserVaultAccess(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, c := range consents {
		row := views.ConsentRow{ProjectID: c.ProjectID, AppName: c.ProjectName, TeamName: c.TeamName,
			APIID: c.APIID, APIName: c.APIName, Scopes: strings.Fields(c.Scopes), UpdatedAt: c.UpdatedAt}
		for _, v := range vault {
			if v.ProjectID == c.ProjectID && v.APIID == c.APIID {
				row.Offline = append(row.Offline, views.VaultUseRow{Service: v.ServiceName, API: v.APIName, Scopes: v.Scopes,
					Uses: v.Uses, LastUsedAt: v.LastUsedAt})
			}
		}
		vm.Consents = append(vm.Consents, row)
	}
	teams, err := h.Store.TeamsOf(ctx, u.ID)
	if err != nil {
		return err
	}
	vm.TokenForm = views.PersonalTokenForm{Scope: models.PersonalTokenRead, ExpiresIn: "30", FormToken: models.NewIdempotencyKey()}
	for _, m := range teams {
		vm.TokenForm.Teams = append(vm.TokenForm.Teams, views.Option{Value: m.Team.ID, Label: m.Team.Name + " (" + roleLabel(m.Role) + ")"})
	}
	for _, d := range models.PersonalTokenLifetimes {
		vm.TokenForm.ExpiryOptions = append(vm.TokenForm.ExpiryOptions, views.Option{Value: strconv.Itoa(d), Label: strconv.Itoa(d) + " days"})
	}
	if edit != nil {
		edit(&vm.TokenForm)
	}
	httpx.NoStore(c)
	return httpx.Render(c, status, views.AccountPage(h.page(c, "Account"), vm))
}
