package web

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// pendingTTL bounds how long an authorization request may wait in the session for the
// user to sign in or answer the consent page.
const pendingTTL = 10 * time.Minute

// keepPending stores the authorization request's query in the session (one at a time:
// a newer request replaces an older one) under a fresh random id, which it returns.
// Sign-in returns to AuthorizeResumePath(id) and the consent form posts id: neither
// carries the request itself, so nothing the browser sends back can change it.
//
// req's login_hint and acr_values, when the user is sent to sign in, are passed on to
// the provider (req is nil when the user is not sent to sign in).
func (h *Handler) keepPending(c echo.Context, rawQuery string, reauth bool, req *models.AuthorizationRequest) (string, error) {
	s, err := h.session(c)
	if err != nil {
		return "", err
	}
	id := randomString()
	s.Values[keyAuthorize] = id + "\n" + strconv.FormatInt(h.Store.Now().Unix(), 10) + "\n" + rawQuery
	if reauth {
		s.Values[keyReauth] = "1"
	}
	if req != nil {
		if hint := truncateASCII(req.LoginHint, 256); hint != "" {
			s.Values[keyLoginHint] = hint
		}
		if acr := truncateASCII(strings.Join(req.ACRValues, " "), 1024); acr != "" {
			s.Values[keyACRValues] = acr
		}
	}
	if _, ok := s.Values[keyCSRF]; !ok {
		s.Values[keyCSRF] = randomString()
	}
	return id, h.saveSession(c, s)
}

// takePending returns the query of the authorization request the session keeps under
// id and forgets it (single use); false when there is none, it is another one, or it
// waited longer than pendingTTL.
func (h *Handler) takePending(c echo.Context, id string) (string, bool, error) {
	if id == "" {
		return "", false, nil
	}
	s, err := h.session(c)
	if err != nil {
		return "", false, err
	}
	raw, _ := s.Values[keyAuthorize].(string)
	if raw == "" {
		return "", false, nil
	}
	parts := strings.SplitN(raw, "\n", 3)
	if len(parts) != 3 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(id)) != 1 {
		return "", false, nil
	}
	delete(s.Values, keyAuthorize)
	if err := h.saveSession(c, s); err != nil {
		return "", false, err
	}
	at, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || h.Store.Now().Sub(time.Unix(at, 0)) > pendingTTL {
		return "", false, nil
	}
	return parts[2], true, nil
}

// reauthRequested reports whether an authorization request asked for a fresh sign-in.
func (h *Handler) reauthRequested(c echo.Context) bool {
	s, err := h.session(c)
	if err != nil {
		return false
	}
	v, _ := s.Values[keyReauth].(string)
	return v == "1"
}

// authContext is how and when the signed-in user authenticated: auth_time, acr and amr
// as the upstream provider asserted them at sign-in; without an auth_time from it, when
// the session signed in.
func (h *Handler) authContext(c echo.Context) models.AuthContext {
	s, err := h.session(c)
	if err != nil {
		return models.AuthContext{}
	}
	var how models.AuthContext
	for _, k := range []string{keyUpstreamAuthTime, keyAuthTime} {
		v, _ := s.Values[k].(string)
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			how.AuthTime = time.Unix(n, 0)
			break
		}
	}
	how.ACR, _ = s.Values[keyACR].(string)
	amr, _ := s.Values[keyAMR].(string)
	how.AMR = strings.Fields(amr)
	return how
}
