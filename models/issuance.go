package models

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// IssuableGrant is one of an authenticated project's grants, as issuance reads it: the
// API's identifier (and its folded key), the granted scopes and the API's rules.
type IssuableGrant struct {
	APIID         string   `json:"api"`
	Identifier    string   `json:"aud"`
	IdentifierKey string   `json:"key"`
	Scopes        string   `json:"scopes"`
	Tokens        jsonBool `json:"at"`
	Keys          jsonBool `json:"ak"`
	// MaxTokenTTL and MaxKeyTTL are in seconds; 0 means no cap of the API's own.
	MaxTokenTTL int `json:"ttl"`
	MaxKeyTTL   int `json:"kttl"`
}

// jsonBool reads a JSON boolean, or the 0/1 SQLite's JSON functions write for one.
type jsonBool bool

func (b *jsonBool) UnmarshalJSON(raw []byte) error {
	switch string(raw) {
	case "true", "1":
		*b = true
	case "false", "0", "null":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %s", raw)
	}
	return nil
}

// grantsColumn is a correlated subquery yielding, as one JSON array per project row
// (aliased p), the project's grants with their APIs: issuance reads them in the same
// indexed query that authenticates the client, with no extra round trip.
func (s *Store) grantsColumn() string {
	if s.dialect == Postgres {
		return `(SELECT COALESCE(json_agg(json_build_object('api', a.id, 'aud', a.identifier, 'key', a.identifier_key,
			'scopes', g.scopes, 'at', a.accepts_access_tokens, 'ak', a.accepts_api_keys, 'ttl', a.max_token_ttl,
			'kttl', a.max_key_ttl)), '[]'::json) FROM api_grants g JOIN apis a ON a.id = g.api_id WHERE g.project_id = p.id) AS grants_json`
	}
	return `(SELECT json_group_array(json_object('api', a.id, 'aud', a.identifier, 'key', a.identifier_key,
		'scopes', g.scopes, 'at', a.accepts_access_tokens, 'ak', a.accepts_api_keys, 'ttl', a.max_token_ttl,
		'kttl', a.max_key_ttl)) FROM api_grants g JOIN apis a ON a.id = g.api_id WHERE g.project_id = p.id) AS grants_json`
}

// parseGrants decodes grantsColumn's value.
func parseGrants(raw string) ([]IssuableGrant, error) {
	if raw == "" {
		return nil, nil
	}
	var out []IssuableGrant
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, fmt.Errorf("reading grants: %w", err)
	}
	return out, nil
}

// pickGrant chooses the grant a token request is for. resources are the RFC 8707
// resource values (and any audience parameter): they must all name one API the project
// holds a grant for, in any spelling of its identifier. With none, a project holding
// exactly one usable grant gets that API; with several it must name one. usable says
// which grants can serve this kind of credential.
func pickGrant(grants []IssuableGrant, resources []string, usable func(*IssuableGrant) bool, kind string) (*IssuableGrant, error) {
	if len(resources) == 0 {
		var ok []*IssuableGrant
		for i := range grants {
			if usable(&grants[i]) {
				ok = append(ok, &grants[i])
			}
		}
		switch len(ok) {
		case 1:
			return ok[0], nil
		case 0:
			return nil, oauthErr(ErrCodeInvalidTarget, "this client holds no grant for an API that accepts "+kind+
				"; an API's team must grant it access first")
		}
		names := make([]string, len(ok))
		for i, g := range ok {
			names[i] = g.Identifier
		}
		slices.Sort(names)
		return nil, oauthErr(ErrCodeInvalidTarget, "this client holds grants for several APIs: name one with the resource parameter ("+
			QuoteForError(strings.Join(names, " "))+")")
	}
	var want string
	for _, r := range resources {
		key, err := IdentifierKey(r)
		if err != nil {
			return nil, oauthErr(ErrCodeInvalidTarget, "the resource "+QuoteForError(r)+" is not an API identifier")
		}
		if want != "" && key != want {
			return nil, oauthErr(ErrCodeInvalidTarget, "ask for one API per token: the resources name different APIs")
		}
		want = key
	}
	for i := range grants {
		if grants[i].IdentifierKey == want {
			if !usable(&grants[i]) {
				return nil, oauthErr(ErrCodeInvalidTarget, "the API "+QuoteForError(grants[i].Identifier)+" does not accept "+kind)
			}
			return &grants[i], nil
		}
	}
	// The same answer whether or not such an API exists: nothing is learnt about others'.
	return nil, oauthErr(ErrCodeInvalidTarget, "the resource "+QuoteForError(resources[0])+" is not an API this client holds a grant for")
}

// scopesWithin returns the requested scopes (space-separated; empty means all granted
// ones), each of which must be granted.
func scopesWithin(g *IssuableGrant, requested string) ([]string, error) {
	granted := strings.Fields(g.Scopes)
	if strings.TrimSpace(requested) == "" {
		return granted, nil
	}
	var out []string
	for _, sc := range strings.Fields(requested) {
		if !slices.Contains(granted, sc) {
			return nil, oauthErr(ErrCodeInvalidScope, "the scope "+QuoteForError(sc)+" is not granted to this client for "+QuoteForError(g.Identifier))
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}
