package store

import (
	"database/sql"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
)

// clientColumns are what issuance needs of a project (aliased p) and each of its grants
// with its API (LEFT JOINed as g and a: one row per grant, NULLs for a project without
// any). Issuance reads them in the same indexed query that authenticates the client,
// with no extra round trip, scanned without reflection: this is the token endpoint's
// only database read.
const clientColumns = `p.id, p.team_id, p.name, p.grant_types, p.access_token_ttl, p.auth_methods, p.redirect_uris, p.public_client,
	p.require_pushed_authorization, p.require_dpop, p.access_token_format, p.tls_auth_field, p.tls_auth_value, p.certificate_bound_tokens,
	a.id, a.identifier, a.identifier_key, g.scopes, a.accepts_access_tokens, a.accepts_api_keys, a.max_token_ttl, a.max_key_ttl, g.impersonation`

// clientGrantJoins joins a project row (aliased p) with its grants and their APIs.
const clientGrantJoins = ` LEFT JOIN api_grants g ON g.project_id = p.id LEFT JOIN apis a ON a.id = g.api_id`

// clientScan scans one row of clientColumns (followed by extra destinations) into p,
// appending the row's grant, if any, to p.Grants.
func clientScan(rows *sql.Rows, p *models.Project, extra ...any) error {
	var (
		apiID, aud, key, scopes sql.NullString
		at, ak, imp             sql.NullBool
		ttl, kttl               sql.NullInt64
	)
	dest := append([]any{&p.ID, &p.TeamID, &p.Name, &p.GrantTypes, &p.AccessTokenTTL, &p.AuthMethods, &p.RedirectURIs, &p.PublicClient,
		&p.RequirePushedAuthorization, &p.RequireDPoP, &p.AccessTokenFormat,
		&p.TLSAuthField, &p.TLSAuthValue, &p.CertificateBoundTokens, &apiID, &aud, &key, &scopes, &at, &ak, &ttl, &kttl, &imp}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	if apiID.Valid {
		p.Grants = append(p.Grants, models.IssuableGrant{APIID: apiID.String, Identifier: aud.String, IdentifierKey: key.String,
			Scopes: scopes.String, Tokens: at.Bool, Keys: ak.Bool, MaxTokenTTL: int(ttl.Int64), MaxKeyTTL: int(kttl.Int64), Impersonation: imp.Bool})
	}
	return nil
}

// pickGrant chooses the grant a token request is for. resources are the RFC 8707
// resource values (and any audience parameter): they must all name one API the project
// holds a grant for, in any spelling of its identifier. With none, a project holding
// exactly one usable grant gets that API; with several it must name one. usable says
// which grants can serve this kind of credential.
func pickGrant(grants []models.IssuableGrant, resources []string, usable func(*models.IssuableGrant) bool, kind string) (*models.IssuableGrant, error) {
	if len(resources) == 0 {
		var ok []*models.IssuableGrant
		for i := range grants {
			if usable(&grants[i]) {
				ok = append(ok, &grants[i])
			}
		}
		switch len(ok) {
		case 1:
			return ok[0], nil
		case 0:
			return nil, oauthErr(models.ErrCodeInvalidTarget, "this client holds no grant for an API that accepts "+kind+
				"; an API's team must grant it access first")
		}
		names := make([]string, len(ok))
		for i, g := range ok {
			names[i] = g.Identifier
		}
		slices.Sort(names)
		return nil, oauthErr(models.ErrCodeInvalidTarget, "this client holds grants for several APIs: name one with the resource parameter ("+
			models.QuoteForError(strings.Join(names, " "))+")")
	}
	var want string
	for _, r := range resources {
		key, err := models.IdentifierKey(r)
		if err != nil {
			return nil, oauthErr(models.ErrCodeInvalidTarget, "the resource "+models.QuoteForError(r)+" is not an API identifier")
		}
		if want != "" && key != want {
			return nil, oauthErr(models.ErrCodeInvalidTarget, "ask for one API per token: the resources name different APIs")
		}
		want = key
	}
	for i := range grants {
		if grants[i].IdentifierKey == want {
			if !usable(&grants[i]) {
				return nil, oauthErr(models.ErrCodeInvalidTarget, "the API "+models.QuoteForError(grants[i].Identifier)+" does not accept "+kind)
			}
			return &grants[i], nil
		}
	}
	// The same answer whether or not such an API exists: nothing is learnt about others'.
	return nil, oauthErr(models.ErrCodeInvalidTarget, "the resource "+models.QuoteForError(resources[0])+" is not an API this client holds a grant for")
}

// scopesWithin returns the requested scopes (space-separated; empty means all granted
// ones), each of which must be granted.
func scopesWithin(g *models.IssuableGrant, requested string) ([]string, error) {
	granted := strings.Fields(g.Scopes)
	if strings.TrimSpace(requested) == "" {
		return granted, nil
	}
	var out []string
	for _, sc := range strings.Fields(requested) {
		if !slices.Contains(granted, sc) {
			return nil, oauthErr(models.ErrCodeInvalidScope, "the scope "+models.QuoteForError(sc)+" is not granted to this client for "+models.QuoteForError(g.Identifier))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}
