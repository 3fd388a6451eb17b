package web

import (
	"cmp"
	"crypto/subtle"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// pendingTTL bounds how long an authorization request may wait in the session for the
// user to sign in or answer the consent page.
const pendingTTL = 10 * time.Minute

// maxPending bounds how many authorization requests a session keeps at once (one per
// tab, say); keeping another forgets the oldest.
const maxPending = 5

// pendingRequest is an authorization request waiting in the session.
type pendingRequest struct {
	id       string
	at       int64 // Unix seconds
	rawQuery string
}

// pendingRequests reads the session's waiting requests: one per line, "id at query"
// (an encoded query holds neither spaces nor newlines). Malformed lines are dropped.
func pendingRequests(v any) []pendingRequest {
	raw, _ := v.(string)
	var out []pendingRequest
	for _, line := range strings.Split(raw, "\n") {
		parts := strings.SplitN(line, " ", 3)
		if len(parts) != 3 {
			continue
		}
		at, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, pendingRequest{id: parts[0], at: at, rawQuery: parts[2]})
	}
	return out
}

// encodePending is the session's form of the waiting requests.
func encodePending(ps []pendingRequest) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.id + " " + strconv.FormatInt(p.at, 10) + " " + p.rawQuery
	}
	return strings.Join(lines, "\n")
}

// mergePending is the waiting requests after this request's change (from loaded to
// mine) is applied to those stored now (stored): the ones it forgot are forgotten, the
// ones it added are added, and another request's changes meanwhile stay (one another
// request took is not brought back). As keepPending, it
// forgets those older than pendingTTL and keeps the newest maxPending.
func mergePending(stored, loaded, mine string, now time.Time) string {
	ids := func(ps []pendingRequest) map[string]bool {
		m := make(map[string]bool, len(ps))
		for _, p := range ps {
			m[p.id] = true
		}
		return m
	}
	before, after := pendingRequests(loaded), pendingRequests(mine)
	had, has := ids(before), ids(after)
	var out []pendingRequest
	seen := map[string]bool{}
	var added []pendingRequest
	for _, p := range after {
		if !had[p.id] {
			added = append(added, p)
		}
	}
	for _, p := range append(pendingRequests(stored), added...) {
		forgotten := had[p.id] && !has[p.id]
		if forgotten || seen[p.id] || now.Sub(time.Unix(p.at, 0)) > pendingTTL {
			continue
		}
		seen[p.id] = true
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b pendingRequest) int { return cmp.Compare(a.at, b.at) })
	if len(out) > maxPending {
		out = out[len(out)-maxPending:]
	}
	return encodePending(out)
}

// keepPending stores the authorization request's query in the session under a fresh
// random id, which it returns. A session keeps up to maxPending requests (several tabs
// may each be signing in to an app); a newer one makes room by forgetting the oldest,
// and those older than pendingTTL are forgotten. Sign-in returns to
// AuthorizeResumePath(id) and the consent form posts id: neither carries the request
// itself, so nothing the browser sends back can change it.
//
// req's login_hint and acr_values, when the user is sent to sign in, are passed on to
// the provider (req is nil when the user is not sent to sign in).
func (h *Handler) keepPending(c echo.Context, rawQuery string, reauth bool, req *models.AuthorizationRequest) (string, error) {
	s, err := h.session(c)
	if err != nil {
		return "", err
	}
	id := randomString()
	now := h.Store.Now()
	var kept []pendingRequest
	for _, p := range pendingRequests(s.Values[keyAuthorize]) {
		if now.Sub(time.Unix(p.at, 0)) <= pendingTTL {
			kept = append(kept, p)
		}
	}
	if len(kept) >= maxPending {
		kept = kept[len(kept)-maxPending+1:]
	}
	s.Values[keyAuthorize] = encodePending(append(kept, pendingRequest{id: id, at: now.Unix(), rawQuery: rawQuery}))
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
// id and forgets it (single use); false when there is none by that id, or it waited
// longer than pendingTTL. The session's other waiting requests stay.
func (h *Handler) takePending(c echo.Context, id string) (string, bool, error) {
	if id == "" {
		return "", false, nil
	}
	s, err := h.session(c)
	if err != nil {
		return "", false, err
	}
	ps := pendingRequests(s.Values[keyAuthorize])
	i := slices.IndexFunc(ps, func(p pendingRequest) bool { return subtle.ConstantTimeCompare([]byte(p.id), []byte(id)) == 1 })
	if i < 0 {
		return "", false, nil
	}
	p := ps[i]
	if ps = slices.Delete(ps, i, i+1); len(ps) == 0 {
		delete(s.Values, keyAuthorize)
	} else {
		s.Values[keyAuthorize] = encodePending(ps)
	}
	if err := h.saveSession(c, s); err != nil {
		return "", false, err
	}
	if h.Store.Now().Sub(time.Unix(p.at, 0)) > pendingTTL {
		return "", false, nil
	}
	return p.rawQuery, true, nil
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
