package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// registrationJSON is a team's dynamic client registration settings (RFC 7591).
type registrationJSON struct {
	TeamID string `json:"team_id"`
	// Policy is off, token (an initial access token is needed) or open.
	Policy string `json:"policy"`
	// Endpoint is where software registers clients.
	Endpoint string `json:"registration_endpoint"`
	// OpenHere says whether the operator names this team for registrations without a
	// token (GATEHOUSE_OPEN_REGISTRATION_TEAM): open registration needs both.
	OpenHere bool `json:"open_registration_here"`
}

// registrationPut is the body of a policy change.
type registrationPut struct {
	Policy string `json:"policy"`
}

// initialTokenJSON is an initial access token as listed: never its value.
type initialTokenJSON struct {
	ID         string     `json:"id"`
	TeamID     string     `json:"team_id"`
	Label      string     `json:"label"`
	Hint       string     `json:"hint"`
	Status     string     `json:"status"`
	Uses       int        `json:"uses"`
	MaxUses    *int       `json:"max_uses"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// initialTokenCreatedJSON carries the token's value, in the creating response only.
type initialTokenCreatedJSON struct {
	initialTokenJSON
	Value string `json:"value"`
}

// initialTokenCreate is the body of a token's creation.
type initialTokenCreate struct {
	Label         string `json:"label"`
	ExpiresInDays *int   `json:"expires_in_days"`
	MaxUses       *int   `json:"max_uses"`
}

func initialTokenOf(t *models.InitialAccessTokenInfo, now time.Time) initialTokenJSON {
	out := initialTokenJSON{ID: t.ID, TeamID: t.TeamID, Label: t.Label, Hint: t.Hint, Status: t.Status(now), Uses: t.Uses,
		MaxUses: t.MaxUses, CreatedBy: t.CreatedByLabel, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC()}
	if t.LastUsedAt != nil {
		u := t.LastUsedAt.UTC()
		out.LastUsedAt = &u
	}
	return out
}

// registrationOf answers the team's registration settings to those who decide them
// (registration.manage, as on the team's Settings page).
func (h *Handler) registrationOf(c echo.Context, teamID string) error {
	t, err := h.Store.TeamFor(c.Request().Context(), actor(c), teamID)
	if err != nil {
		return err
	}
	if !t.MyRole.Can(models.ActRegistrationManage) {
		return models.ErrForbidden
	}
	return respond(c, http.StatusOK, registrationJSON{TeamID: t.ID, Policy: t.RegistrationPolicy,
		Endpoint: h.Cfg.BaseURL.JoinPath("/oauth/register").String(), OpenHere: h.Cfg.OpenRegistrationTeam == t.ID})
}

// showRegistration handles "GET /api/v1/teams/:team/registration" (owner, admin).
func (h *Handler) showRegistration(c echo.Context) error { return h.registrationOf(c, c.Param("team")) }

// setRegistration handles "PUT /api/v1/teams/:team/registration": the policy. Setting it
// to what it is changes nothing and writes no event.
func (h *Handler) setRegistration(c echo.Context) error {
	var in registrationPut
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = registrationPut{} // no policy: the store refuses it, once it has authorized the caller
	}
	team := c.Param("team")
	if err := bodyProblem(h.Store.SetRegistrationPolicy(c.Request().Context(), actor(c), team, in.Policy), bodyErr); err != nil {
		return err
	}
	return h.registrationOf(c, team)
}

// listInitialTokens handles "GET /api/v1/teams/:team/registration/tokens": the team's
// initial access tokens, newest first, never their values.
func (h *Handler) listInitialTokens(c echo.Context) error {
	tokens, err := h.Store.InitialAccessTokens(c.Request().Context(), actor(c), c.Param("team"))
	if err != nil {
		return err
	}
	now := h.Store.Now()
	out := make([]initialTokenJSON, len(tokens))
	for i := range tokens {
		out[i] = initialTokenOf(&tokens[i], now)
	}
	return paginate(c, out, func(t initialTokenJSON) string { return timeKey(t.CreatedAt) + "\x00" + t.ID })
}

// createInitialToken handles "POST /api/v1/teams/:team/registration/tokens". The value
// is in this no-store response only (the database keeps its hash); a repeat with the
// same Idempotency-Key is 409, naming the token without its value.
func (h *Handler) createInitialToken(c echo.Context) error {
	var in initialTokenCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = initialTokenCreate{}
	}
	days := models.DefaultInitialAccessTokenDays
	if in.ExpiresInDays != nil {
		days = *in.ExpiresInDays
	}
	input := models.InitialAccessTokenInput{Label: strings.TrimSpace(in.Label), TTL: lifetime(days)}
	if in.MaxUses != nil {
		input.MaxUses = *in.MaxUses
		if input.MaxUses < 1 {
			input.MaxUses = -1 // refused by the store, once it has authorized the caller
		}
	}
	if bodyErr != nil {
		input = models.InitialAccessTokenInput{}
	}
	ctx, a, team := c.Request().Context(), actor(c), c.Param("team")
	t, value, err := h.Store.CreateInitialAccessToken(ctx, a, team, input, idempotencyKey(c))
	var dup *models.DuplicateRequestError
	if asDuplicate(err, &dup) {
		return alreadyCreated("initial access token", dup.Result)
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/teams/"+team+"/registration/tokens")
	info := models.InitialAccessTokenInfo{InitialAccessToken: *t, CreatedByLabel: a.Label()}
	return respond(c, http.StatusCreated, initialTokenCreatedJSON{initialTokenJSON: initialTokenOf(&info, h.Store.Now()), Value: value})
}

// revokeInitialToken handles "POST /api/v1/teams/:team/registration/tokens/:token/revoke":
// it registers no more clients; those it registered stay. Revoking twice is not an
// error.
func (h *Handler) revokeInitialToken(c echo.Context) error {
	if err := h.Store.RevokeInitialAccessToken(c.Request().Context(), actor(c), c.Param("team"), c.Param("token")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
