package oauth

import (
	"cmp"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// maxRegistrationBody bounds a registration request's body.
const maxRegistrationBody = 64 << 10

// defaultOpenRegistrationsPerIP bounds registrations without a token per source address
// per minute when the configuration does not say.
const defaultOpenRegistrationsPerIP = 10

// registerClient handles "POST /oauth/register" (RFC 7591): with an initial access token
// as a bearer token, or without one where the operator and the team both allow open
// registration. The client lands in the team as a project with no grant.
func (h *Handler) registerClient(c echo.Context) error {
	ctx := c.Request().Context()
	ip := c.RealIP()
	token, err := bearer(c)
	if err != nil {
		return writeRegistrationError(c, err)
	}
	body, err := registrationBody(c)
	if err != nil {
		return writeRegistrationError(c, err)
	}
	openTeam := ""
	if token == "" && h.Cfg.OpenRegistrationTeam != "" {
		openTeam = h.Cfg.OpenRegistrationTeam
		// Every registration without a token counts against its source address, made or
		// refused: registering costs the portal a project.
		key := "register:" + ip
		if err := h.throttled(key); err != nil {
			h.Metrics.Throttled.Inc()
			return writeRegistrationError(c, err)
		}
		h.recordFailure(ctx, key, cmp.Or(h.Cfg.OpenRegistrationsPerIP, defaultOpenRegistrationsPerIP))
	}
	rc, err := h.Store.RegisterClient(ctx, models.Actor{IP: ip, UserAgent: c.Request().UserAgent()}, token, openTeam, body)
	if errors.Is(err, models.ErrRegistrationToken) && token != "" {
		err = h.refuse(ctx, "", ip, err) // a guessed token counts like a guessed secret
	}
	if err != nil {
		return writeRegistrationError(c, err)
	}
	rc.RegistrationClientURI = h.registrationURI(rc.ClientID)
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	return c.JSON(http.StatusCreated, rc)
}

// readRegistration handles "GET /oauth/register/:client_id" (RFC 7592 §2.1).
func (h *Handler) readRegistration(c echo.Context) error {
	token, err := h.registrationToken(c)
	if err != nil {
		return writeRegistrationError(c, err)
	}
	rc, err := h.Store.ReadClientRegistration(c.Request().Context(), c.Param("client_id"), token)
	if err != nil {
		return writeRegistrationError(c, h.refuseRegistration(c, err))
	}
	return h.registrationAnswer(c, rc)
}

// updateRegistration handles "PUT /oauth/register/:client_id" (RFC 7592 §2.2): the
// body replaces the client's metadata.
func (h *Handler) updateRegistration(c echo.Context) error {
	token, err := h.registrationToken(c)
	if err != nil {
		return writeRegistrationError(c, err)
	}
	body, err := registrationBody(c)
	if err != nil {
		return writeRegistrationError(c, err)
	}
	caller := models.Actor{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	rc, err := h.Store.UpdateClientRegistration(c.Request().Context(), caller, c.Param("client_id"), token, body)
	if err != nil {
		return writeRegistrationError(c, h.refuseRegistration(c, err))
	}
	return h.registrationAnswer(c, rc)
}

// deleteRegistration handles "DELETE /oauth/register/:client_id" (RFC 7592 §2.3): the
// project goes, as when it is deleted in the portal.
func (h *Handler) deleteRegistration(c echo.Context) error {
	token, err := h.registrationToken(c)
	if err != nil {
		return writeRegistrationError(c, err)
	}
	caller := models.Actor{IP: c.RealIP(), UserAgent: c.Request().UserAgent()}
	if err := h.Store.DeleteClientRegistration(c.Request().Context(), caller, c.Param("client_id"), token); err != nil {
		return writeRegistrationError(c, h.refuseRegistration(c, err))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.NoContent(http.StatusNoContent)
}

// registrationToken reads the registration access token a management request must carry.
func (h *Handler) registrationToken(c echo.Context) (string, error) {
	token, err := bearer(c)
	if err == nil && token == "" {
		err = models.ErrRegistrationToken
	}
	return token, err
}

// refuseRegistration counts a refused registration access token against the source
// address, as a wrong client secret is counted (and answers 429 past the limit).
func (h *Handler) refuseRegistration(c echo.Context, err error) error {
	if errors.Is(err, models.ErrRegistrationToken) {
		return h.refuse(c.Request().Context(), "", c.RealIP(), err)
	}
	return err
}

// registrationAnswer is a registration read back (RFC 7592 §3), never cached.
func (h *Handler) registrationAnswer(c echo.Context, rc *models.RegisteredClient) error {
	rc.RegistrationClientURI = h.registrationURI(rc.ClientID)
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
	return c.JSON(http.StatusOK, rc)
}

// registrationURI is where a client manages its registration (RFC 7592).
func (h *Handler) registrationURI(clientID string) string {
	return h.Cfg.BaseURL.JoinPath("/oauth/register", clientID).String()
}

// bearer reads an "Authorization: Bearer …" token; "" when there is no Authorization
// header. Another scheme, or a Bearer header without a token, is refused.
func bearer(c echo.Context) (string, error) {
	auth := c.Request().Header.Get("Authorization")
	if auth == "" {
		return "", nil
	}
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", models.ErrRegistrationToken
	}
	return token, nil
}

// registrationBody reads a JSON body of at most maxRegistrationBody bytes.
func registrationBody(c echo.Context) ([]byte, error) {
	r := c.Request()
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return nil, &statusError{status: http.StatusUnsupportedMediaType, code: models.ErrCodeInvalidRequest,
			desc: "The body must be JSON, sent as Content-Type: application/json."}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRegistrationBody+1))
	if err != nil {
		return nil, &statusError{status: http.StatusBadRequest, code: models.ErrCodeInvalidRequest, desc: "The body could not be read."}
	}
	if len(body) > maxRegistrationBody {
		return nil, &statusError{status: http.StatusRequestEntityTooLarge, code: models.ErrCodeInvalidClientMetadata,
			desc: "The client metadata is larger than 64 KiB."}
	}
	return body, nil
}

// statusError is a refusal with its own status (415, 413).
type statusError struct {
	status     int
	code, desc string
}

func (e *statusError) Error() string { return e.code + ": " + e.desc }

// writeRegistrationError answers the registration endpoints' refusals: a refused token
// is 401 with WWW-Authenticate: Bearer (RFC 6750 §3), bad metadata 400 with RFC 7591
// §3.2.2's JSON; the rest as the other OAuth endpoints answer.
func writeRegistrationError(c echo.Context, err error) error {
	var se *statusError
	if errors.As(err, &se) {
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(se.status, oauthErrorBody{se.code, se.desc})
	}
	var oe *models.OAuthError
	if !errors.As(err, &oe) || oe.Code != models.ErrCodeInvalidToken {
		return writeOAuthError(c, err)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	challenge := `Bearer realm="gatehouse"`
	if c.Request().Header.Get("Authorization") != "" {
		// RFC 6750 §3.1: an error code only when a token was sent.
		challenge += `, error="invalid_token", error_description=` + strconv.Quote(oe.Description)
	}
	h.Set("WWW-Authenticate", challenge)
	return c.JSON(http.StatusUnauthorized, oauthErrorBody{oe.Code, oe.Description})
}

// oauthErrorBody is the JSON of an OAuth error.
type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}
