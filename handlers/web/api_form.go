package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// managedTeams are the teams where the user may register APIs.
func (h *Handler) managedTeams(c echo.Context) ([]views.Option, error) {
	teams, err := h.Store.TeamsOf(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return nil, err
	}
	var out []views.Option
	for _, m := range teams {
		if m.Role.Can(models.ActAPIManage) {
			out = append(out, views.Option{Value: m.Team.ID, Label: m.Team.Name})
		}
	}
	return out, nil
}

// renderNewAPI renders the registration form in the given state.
func (h *Handler) renderNewAPI(c echo.Context, status int, form views.APIForm) error {
	teams, err := h.managedTeams(c)
	if err != nil {
		return err
	}
	return httpx.Render(c, status, views.NewAPIPage(h.page(c, "Register an API"), views.NewAPIVM{Teams: teams, Form: form}))
}

// apiFormFrom reads an API definition form. Numbers that do not parse become -1, which
// the store refuses (once it has decided the actor may act).
func apiFormFrom(form url.Values) (views.APIForm, models.APIInput) {
	vf := views.APIForm{
		TeamID: form.Get("team_id"), Name: form.Get("name"), Identifier: form.Get("identifier"), Description: form.Get("description"),
		DocsURL: form.Get("docs_url"), AcceptsAPIKeys: form.Get("accepts_api_keys") == "1",
		AcceptsAccessTokens: form.Get("accepts_access_tokens") == "1", MaxTokenTTLMinutes: form.Get("max_token_ttl_minutes"),
		MaxKeyTTLDays: form.Get("max_key_ttl_days"), Listed: form.Get("listed") == "1", Scopes: form.Get("scopes"),
		FormToken: form.Get("form_token"),
	}
	number := func(raw string, unit time.Duration) time.Duration {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			return 0
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > 100000 {
			return -1
		}
		return time.Duration(n) * unit
	}
	in := models.APIInput{Name: vf.Name, Description: vf.Description, Identifier: vf.Identifier, DocsURL: vf.DocsURL,
		AcceptsAPIKeys: vf.AcceptsAPIKeys, AcceptsAccessTokens: vf.AcceptsAccessTokens,
		MaxTokenTTL: number(vf.MaxTokenTTLMinutes, time.Minute), MaxKeyTTL: number(vf.MaxKeyTTLDays, 24*time.Hour),
		Listed: vf.Listed, Scopes: models.ParseScopeLines(vf.Scopes)}
	return vf, in
}
