package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// credentialJSON is one way a service account authenticates: kind "key" (kid, alg or
// jwks_uri), "workload" (issuer, jwks_uri, audience, subject, claims) or "secret"
// (hint); never a secret's value.
type credentialJSON struct {
	ID         string            `json:"id"`
	Kind       string            `json:"kind"`
	Name       string            `json:"name"`
	Status     string            `json:"status"`
	KID        string            `json:"kid,omitempty"`
	Alg        string            `json:"alg,omitempty"`
	JWKSURI    string            `json:"jwks_uri,omitempty"`
	Issuer     string            `json:"issuer,omitempty"`
	Audience   string            `json:"audience,omitempty"`
	Subject    string            `json:"subject,omitempty"`
	Claims     map[string]string `json:"claims,omitempty"`
	Hint       string            `json:"hint,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	ExpiresAt  *time.Time        `json:"expires_at"`
	LastUsedAt *time.Time        `json:"last_used_at"`
}

func credentialOf(c *models.ServiceAccountCredential, now time.Time) credentialJSON {
	out := credentialJSON{ID: c.ID, Kind: c.Kind, Name: c.Name, Status: c.Status(now), KID: c.KID, Alg: c.Alg, JWKSURI: c.JWKSURI,
		Issuer: c.Issuer, Audience: c.Audience, Subject: c.Subject, Hint: c.Hint, CreatedAt: c.CreatedAt.UTC(),
		ExpiresAt: utc(c.ExpiresAt), LastUsedAt: utc(c.LastUsedAt)}
	for _, cond := range c.ClaimConditions() {
		if out.Claims == nil {
			out.Claims = map[string]string{}
		}
		out.Claims[cond.Claim] = cond.Pattern
	}
	return out
}

// workloadCreate is the body that trusts a workload issuer.
type workloadCreate struct {
	Name     string            `json:"name"`
	Issuer   string            `json:"issuer"`
	JWKSURI  string            `json:"jwks_uri"`
	Audience string            `json:"audience"`
	Subject  string            `json:"subject"`
	Claims   map[string]string `json:"claims"`
}

// listCredentials handles "GET …/service-accounts/:service_account/credentials".
func (h *Handler) listCredentials(c echo.Context) error {
	_, creds, err := h.Store.ServiceAccountFor(c.Request().Context(), actor(c), c.Param("team"), c.Param("service_account"))
	if err != nil {
		return err
	}
	out := make([]credentialJSON, len(creds))
	for i := range creds {
		out[i] = credentialOf(&creds[i], h.Store.Now())
	}
	return paginate(c, out, func(k credentialJSON) string { return timeKey(k.CreatedAt) + "\x00" + k.ID })
}

// showCredential handles "GET …/service-accounts/:service_account/credentials/:credential".
// Its ETag is what DELETE expects in If-Match.
func (h *Handler) showCredential(c echo.Context) error {
	return h.respondCredential(c, http.StatusOK, c.Param("credential"), "")
}

// respondCredential answers with one of the account's credentials (and a secret's value,
// when it was just created).
func (h *Handler) respondCredential(c echo.Context, status int, id, value string) error {
	_, creds, err := h.Store.ServiceAccountFor(c.Request().Context(), actor(c), c.Param("team"), c.Param("service_account"))
	if err != nil {
		return err
	}
	for i := range creds {
		if creds[i].ID != id {
			continue
		}
		out := credentialOf(&creds[i], h.Store.Now())
		if value != "" {
			return respond(c, status, struct {
				credentialJSON
				Value string `json:"value"`
			}{out, value})
		}
		return respond(c, status, out)
	}
	return models.ErrNotFound
}

// credentialCreated answers a credential's creation with its Location.
func (h *Handler) credentialCreated(c echo.Context, id, value string) error {
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/teams/"+c.Param("team")+"/service-accounts/"+c.Param("service_account")+"/credentials/"+id)
	return h.respondCredential(c, http.StatusCreated, id, value)
}

// addWorkloadIdentity handles "POST …/service-accounts/:service_account/workload-identities"
// (owners, admins): trust an issuer's workload tokens under conditions.
func (h *Handler) addWorkloadIdentity(c echo.Context) error {
	var in workloadCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = workloadCreate{}
	}
	if in.Claims == nil {
		in.Claims = map[string]string{}
	}
	cred, err := h.Store.AddWorkloadIdentity(c.Request().Context(), actor(c), c.Param("team"), c.Param("service_account"),
		models.WorkloadIdentityInput{Name: in.Name, Issuer: in.Issuer, JWKSURI: in.JWKSURI, Audience: in.Audience, Subject: in.Subject,
			ClaimMap: in.Claims}, idempotencyKey(c))
	if ok, err := replayed(c, err, func(id string) error { return h.respondCredential(c, http.StatusCreated, id, "") }); ok {
		return err
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	return h.credentialCreated(c, cred.ID, "")
}

// addServiceAccountKey handles "POST …/service-accounts/:service_account/keys" (owners,
// admins): a public key for private_key_jwt, as a project's client keys.
func (h *Handler) addServiceAccountKey(c echo.Context) error {
	var in clientKeyCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = clientKeyCreate{}
	}
	cred, err := h.Store.AddServiceAccountKey(c.Request().Context(), actor(c), c.Param("team"), c.Param("service_account"),
		models.ClientKeyInput{Name: in.Name, Material: in.material(), JWKSURI: in.JWKSURI, TTL: lifetime(in.ExpiresInDays)}, idempotencyKey(c))
	if ok, err := replayed(c, err, func(id string) error { return h.respondCredential(c, http.StatusCreated, id, "") }); ok {
		return err
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	return h.credentialCreated(c, cred.ID, "")
}

// createServiceAccountSecret handles "POST …/service-accounts/:service_account/secrets"
// (owners, admins): the fallback secret's value is in this no-store response only; a
// repeat with the same Idempotency-Key is 409.
func (h *Handler) createServiceAccountSecret(c echo.Context) error {
	var in secretCreate
	bodyErr := decode(c, &in)
	if bodyErr != nil {
		in = secretCreate{}
	}
	cred, value, err := h.Store.CreateServiceAccountSecret(c.Request().Context(), actor(c), c.Param("team"), c.Param("service_account"),
		in.Name, lifetime(in.ExpiresInDays), idempotencyKey(c))
	var dup *models.DuplicateRequestError
	if asDuplicate(err, &dup) {
		return alreadyCreated("service account secret", dup.Result)
	}
	if err := bodyProblem(err, bodyErr); err != nil {
		return err
	}
	return h.credentialCreated(c, cred.ID, value)
}

// removeCredential handles "DELETE …/service-accounts/:service_account/credentials/:credential"
// (owners, admins): a secret is revoked, a key or trusted issuer removed. If-Match must
// name the credential's current ETag.
func (h *Handler) removeCredential(c echo.Context) error {
	err := h.Store.RemoveServiceAccountCredential(c.Request().Context(), actor(c), c.Param("team"), c.Param("service_account"), c.Param("credential"),
		func(cr *models.ServiceAccountCredential) error {
			return ifMatch(c, func() (any, error) { return credentialOf(cr, h.Store.Now()), nil })
		})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
