package web

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// pendingTTL bounds how long an authorization request may wait in the session for the
// user to sign in or answer the consent page.
const pendingTTL = 10 * time.Minute

// keepPending stores the authorization request's query in the session (one at a time:
// a newer request replaces an older one) under a fresh random id, which it returns.
// Sign-in returns to AuthorizeResumePath(id) and the consent form posts id: neither
// carries the request itself, so nothing the browser sends back can change it.
//
// loginHint, when the user is sent to sign in, is passed on to the provider.
func (h *Handler) keepPending(c echo.Context, rawQuery string, reauth bool, loginHint string) (string, error) {
	s, err := h.session(c)
	if err != nil {
		return "", err
	}
	id := randomString()
	s.Values[keyAuthorize] = id + "\n" + strconv.FormatInt(h.Store.Now().Unix(), 10) + "\n" + rawQuery
	if reauth {
		s.Values[keyReauth] = "1"
	}
	if hint := truncateASCII(loginHint, 256); hint != "" {
		s.Values[keyLoginHint] = hint
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

// authTime is when the signed-in user signed in (the session's creation).
func (h *Handler) authTime(c echo.Context) time.Time {
	s, err := h.session(c)
	if err != nil {
		return time.Time{}
	}
	v, _ := s.Values[keyAuthTime].(string)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(n, 0)
}
