package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// initialTokenExpiry are the lifetimes an initial access token may be given, in days.
var initialTokenExpiry = dayOptions(models.InitialAccessTokenLifetimes...)

// registrationSection fills the Settings page's dynamic client registration section for
// an owner or admin.
func (h *Handler) registrationSection(c echo.Context, vm *views.TeamVM, tv *models.TeamView) error {
	if !tv.MyRole.Can(models.ActRegistrationManage) {
		return nil
	}
	tokens, err := h.Store.InitialAccessTokens(c.Request().Context(), actor(c), tv.ID)
	if err != nil {
		return err
	}
	now := h.Store.Now()
	r := views.RegistrationVM{Show: true, Policy: tv.RegistrationPolicy, OpenHere: h.Cfg.OpenRegistrationTeam == tv.ID,
		Endpoint: h.Cfg.BaseURL.JoinPath("/oauth/register").String(),
		Form: views.InitialTokenForm{ExpiresIn: strconv.Itoa(models.DefaultInitialAccessTokenDays), ExpiryOptions: initialTokenExpiry,
			FormToken: models.NewIdempotencyKey()}}
	for _, t := range tokens {
		row := views.InitialTokenRow{ID: t.ID, Label: t.Label, Hint: t.Hint, CreatedBy: t.CreatedByLabel, Status: t.Status(now),
			Uses: t.Uses, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt}
		if t.MaxUses != nil {
			row.MaxUses = *t.MaxUses
		}
		r.Tokens = append(r.Tokens, row)
	}
	vm.Registration = r
	return nil
}

// setRegistrationPolicy handles "POST /teams/:team/registration-policy": who may
// register OAuth clients in the team (off, token or open).
func (h *Handler) setRegistrationPolicy(c echo.Context) error {
	team, policy := c.Param("team"), c.FormValue("registration_policy")
	err := h.Store.SetRegistrationPolicy(c.Request().Context(), actor(c), team, policy)
	if f := validation(err); f != nil {
		return h.renderTeam(c, http.StatusUnprocessableEntity, views.TeamTabSettings, func(vm *views.TeamVM) {
			vm.Registration.PolicyError = f["registration_policy"]
		})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabSettings)+"#registration", "success", "Registration policy saved.")
}

// createInitialAccessToken handles "POST /teams/:team/registration-tokens". The new
// token is shown once, on a page of its own, in this no-store response.
func (h *Handler) createInitialAccessToken(c echo.Context) error {
	team := c.Param("team")
	label, expires, maxUses, formToken := c.FormValue("label"), c.FormValue("expires_in_days"), c.FormValue("max_uses"), c.FormValue("form_token")
	in := models.InitialAccessTokenInput{Label: label, TTL: lifetimeDays(expires)}
	if m := strings.TrimSpace(maxUses); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 {
			n = -1 // refused by the store, once it decided the actor may create tokens
		}
		in.MaxUses = n
	}
	t, plain, err := h.Store.CreateInitialAccessToken(c.Request().Context(), actor(c), team, in, formToken)
	if _, dup := duplicate(err); dup {
		return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabSettings)+"#registration", "info",
			"That form was already submitted. The token was shown once; create another if you did not copy it.")
	}
	if f := validation(err); f != nil {
		return h.renderTeam(c, http.StatusUnprocessableEntity, views.TeamTabSettings, func(vm *views.TeamVM) {
			form := &vm.Registration.Form
			form.Label, form.ExpiresIn, form.MaxUses, form.FormToken, form.Errors = label, expires, maxUses, formToken, f
		})
	}
	if err != nil {
		return err
	}
	tv, err := h.Store.TeamFor(c.Request().Context(), actor(c), team)
	if err != nil {
		return err
	}
	vm := views.InitialTokenCreatedVM{TeamID: tv.ID, TeamName: tv.Name, Label: t.Label, Token: plain, ExpiresAt: t.ExpiresAt,
		Endpoint: h.Cfg.BaseURL.JoinPath("/oauth/register").String()}
	if t.MaxUses != nil {
		vm.MaxUses = *t.MaxUses
	}
	httpx.NoStore(c)
	return httpx.Render(c, http.StatusOK, views.InitialTokenCreatedPage(h.page(c, "Initial access token created"), vm))
}

// revokeInitialAccessToken handles "POST /teams/:team/registration-tokens/:id/revoke".
func (h *Handler) revokeInitialAccessToken(c echo.Context) error {
	team := c.Param("team")
	if err := h.Store.RevokeInitialAccessToken(c.Request().Context(), actor(c), team, c.Param("id")); err != nil {
		return err
	}
	return h.redirectWithFlash(c, views.TeamTabPath(team, views.TeamTabSettings)+"#registration", "success",
		"Token revoked. It registers no more clients; the clients it registered stay.")
}
