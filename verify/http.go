package verify

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// TokenFromRequest reads the credential: "Authorization: Bearer …" (scheme matched
// case-insensitively), then X-API-Key if enabled, then the query parameter if enabled.
func (v *Verifier) TokenFromRequest(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
	}
	if v.cfg.headerAPIKey {
		if k := r.Header.Get("X-API-Key"); k != "" {
			return strings.TrimSpace(k)
		}
	}
	if v.cfg.queryParam != "" {
		return r.URL.Query().Get(v.cfg.queryParam)
	}
	return ""
}

// Middleware verifies every request's credential (VerifyRequest: a DPoP-bound token
// with its proof) and puts the Principal in the request context (FromContext). A missing or rejected credential gets 401 with an RFC 6750
// WWW-Authenticate header and a JSON body; the handler is not called.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := v.VerifyRequest(r)
		if err != nil {
			if !errors.Is(err, ErrNoToken) {
				v.cfg.logger.Info("verify: credential rejected", "path", r.URL.Path, "reason", err.Error())
			}
			v.WriteError(w, err)
			return
		}
		ctx := context.WithValue(WithPrincipal(r.Context(), p), clockKey{}, v.cfg.now)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type clockKey struct{}

// clockOf is the clock of the Verifier whose Middleware served the request (its Clock
// option), or time.Now.
func clockOf(r *http.Request) time.Time {
	if now, ok := r.Context().Value(clockKey{}).(func() time.Time); ok {
		return now()
	}
	return time.Now()
}

// RequireScope is middleware (after Middleware) that answers 403 insufficient_scope
// unless the principal carries every scope.
func RequireScope(scopes ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := FromContext(r.Context())
			for _, s := range scopes {
				if !p.HasScope(s) {
					writeChallenge(w, http.StatusForbidden, "insufficient_scope",
						"this request needs the scope "+s, strings.Join(scopes, " "))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireAuthTime is middleware (after Middleware) that answers 401
// insufficient_user_authentication with max_age (RFC 9470) unless the principal's user
// authenticated at most maxAge ago by the verifier's clock: see Principal.CheckAuthTime.
// maxAge is told to the client in whole seconds; it panics when negative.
func RequireAuthTime(maxAge time.Duration) func(http.Handler) http.Handler {
	if maxAge < 0 {
		panic("verify: RequireAuthTime needs a maxAge of zero or more")
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := FromContext(r.Context()).CheckAuthTime(clockOf(r), maxAge); err != nil {
				writeStepUp(w, err.(*StepUpError))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// RequireACR is middleware (after Middleware) that answers 401
// insufficient_user_authentication with acr_values (RFC 9470) unless the principal's
// acr is one of values: see Principal.CheckACR. It panics without values or with an
// empty one.
func RequireACR(values ...string) func(http.Handler) http.Handler {
	if len(values) == 0 || slices.Contains(values, "") {
		panic("verify: RequireACR needs at least one value, and no empty one")
	}
	values = slices.Clone(values)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := FromContext(r.Context()).CheckACR(values...); err != nil {
				writeStepUp(w, err.(*StepUpError))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// writeStepUp answers 401 with the RFC 9470 challenge.
func writeStepUp(w http.ResponseWriter, e *StepUpError) {
	w.Header().Set("WWW-Authenticate", e.challenge())
	writeJSON(w, http.StatusUnauthorized, "insufficient_user_authentication", e.Reason)
}

// WriteError answers a verification error the RFC 6750 way: 401 invalid_token (or a
// bare challenge when no credential was sent), 403 insufficient_scope, and a
// *StepUpError 401 insufficient_user_authentication (RFC 9470). DPoP errors (RFC 9449
// §7.1) get a DPoP challenge with algs: ErrDPoPProof 401 invalid_dpop_proof,
// ErrDPoPBound 401 invalid_token; with RequireDPoP every challenge is a DPoP one.
// ErrCertBound is 401 invalid_token, with a Bearer challenge (a DPoP one when the token
// is DPoP-bound too).
func (v *Verifier) WriteError(w http.ResponseWriter, err error) {
	var stepUp *StepUpError
	var status int
	var challenge, code, desc string
	switch {
	case errors.As(err, &stepUp):
		status, code, desc, challenge = http.StatusUnauthorized, "insufficient_user_authentication", stepUp.Reason, stepUp.challenge()
	case errors.Is(err, ErrNoToken):
		status, code, desc = http.StatusUnauthorized, "invalid_request", "no credential: send Authorization: Bearer <key>"
		challenge = `Bearer realm="` + quote(v.cfg.audience) + `"`
	case errors.Is(err, ErrDPoPProof):
		// RFC 9449 §7.1: a DPoP challenge naming the algorithms proofs may use.
		status, code, desc = http.StatusUnauthorized, "invalid_dpop_proof", strings.TrimPrefix(err.Error(), ErrDPoPProof.Error()+": ")
		challenge = v.dpopChallenge(code, desc)
	case errors.Is(err, ErrDPoPBound):
		status, code, desc = http.StatusUnauthorized, "invalid_token", strings.TrimPrefix(err.Error(), ErrDPoPBound.Error()+": ")
		challenge = v.dpopChallenge(code, desc)
	case errors.Is(err, ErrCertBound):
		// RFC 8705 §3 leaves the answer to RFC 6750: invalid_token, in the scheme the
		// token is used with (DPoP for a token bound to a DPoP key too).
		status, code, desc = http.StatusUnauthorized, "invalid_token", strings.TrimPrefix(err.Error(), ErrCertBound.Error()+": ")
		if cb := (*certBoundError)(nil); errors.As(err, &cb) && cb.dpop {
			challenge = v.dpopChallenge(code, desc)
		} else {
			challenge = `Bearer realm="` + quote(v.cfg.audience) + `", error="invalid_token", error_description="` + quote(desc) + `"`
		}
	case errors.Is(err, ErrInsufficientScope):
		status, code, desc = http.StatusForbidden, "insufficient_scope", err.Error()
		challenge = `Bearer error="` + code + `", error_description="` + quote(desc) + `"`
	default:
		status, code, desc = http.StatusUnauthorized, "invalid_token", describe(err)
		challenge = `Bearer realm="` + quote(v.cfg.audience) + `", error="invalid_token", error_description="` + quote(desc) + `"`
	}
	if v.cfg.requireDPoP && !strings.HasPrefix(challenge, "DPoP ") {
		// This API takes DPoP-bound tokens only: the challenge says DPoP.
		challenge = "DPoP " + strings.TrimPrefix(challenge, "Bearer ") + `, algs="` + strings.Join(DPoPAlgs, " ") + `"`
	}
	if v.cfg.resourceMetadata != "" {
		challenge += `, resource_metadata="` + quote(v.cfg.resourceMetadata) + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeJSON(w, status, code, desc)
}

// describe is the reason a client is told: the category only, never token content.
// For ErrNotAllowed it also says which list refused the credential (never the id).
func describe(err error) string {
	if errors.Is(err, ErrNotAllowed) {
		for _, reason := range []error{errProjectNotListed, errTeamNotListed, errNoTeam} {
			if errors.Is(err, reason) {
				return ErrNotAllowed.Error() + ": " + reason.Error()
			}
		}
		return ErrNotAllowed.Error()
	}
	for _, e := range []error{ErrMalformed, ErrHeader, ErrUnknownKey, ErrSignature, ErrType, ErrIssuer, ErrAudience,
		ErrExpired, ErrNotYetValid, ErrClaims, ErrRevoked, ErrStatusUnavailable} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "invalid token"
}

// dpopChallenge is an RFC 9449 §7.1 challenge.
func (v *Verifier) dpopChallenge(code, desc string) string {
	return `DPoP realm="` + quote(v.cfg.audience) + `", error="` + code + `", error_description="` + quote(desc) +
		`", algs="` + strings.Join(DPoPAlgs, " ") + `"`
}

func writeChallenge(w http.ResponseWriter, status int, code, desc, scope string) {
	h := `Bearer error="` + code + `", error_description="` + quote(desc) + `"`
	if scope != "" {
		h += `, scope="` + quote(scope) + `"`
	}
	w.Header().Set("WWW-Authenticate", h)
	writeJSON(w, status, code, desc)
}

func writeJSON(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

// quote makes s safe inside a quoted-string of an auth-param.
func quote(s string) string {
	return strings.NewReplacer(`\`, ``, `"`, ``, "\r", "", "\n", "").Replace(s)
}
