package api

import (
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// apiBody is the body of an API's registration (every member) or change (members left
// out keep their value).
type apiBody struct {
	Name                *string      `json:"name"`
	Description         *string      `json:"description"`
	Identifier          *string      `json:"identifier"`
	DocsURL             *string      `json:"docs_url"`
	AcceptsAPIKeys      *bool        `json:"accepts_api_keys"`
	AcceptsAccessTokens *bool        `json:"accepts_access_tokens"`
	MaxTokenTTLMinutes  *int         `json:"max_token_ttl_minutes"`
	MaxKeyTTLDays       *int         `json:"max_key_ttl_days"`
	Listed              *bool        `json:"listed"`
	Scopes              *[]scopeJSON `json:"scopes"` // at registration only
}

// apply lays the body's members over in.
func (b apiBody) apply(in *models.APIInput) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&in.Name, b.Name)
	set(&in.Description, b.Description)
	set(&in.Identifier, b.Identifier)
	set(&in.DocsURL, b.DocsURL)
	if b.AcceptsAPIKeys != nil {
		in.AcceptsAPIKeys = *b.AcceptsAPIKeys
	}
	if b.AcceptsAccessTokens != nil {
		in.AcceptsAccessTokens = *b.AcceptsAccessTokens
	}
	if b.Listed != nil {
		in.Listed = *b.Listed
	}
	if b.MaxTokenTTLMinutes != nil {
		in.MaxTokenTTL = bounded(*b.MaxTokenTTLMinutes, time.Minute)
	}
	if b.MaxKeyTTLDays != nil {
		in.MaxKeyTTL = bounded(*b.MaxKeyTTLDays, 24*time.Hour)
	}
	if b.Scopes != nil {
		in.Scopes = make([]models.ScopeInput, len(*b.Scopes))
		for i, s := range *b.Scopes {
			in.Scopes[i] = models.ScopeInput{Name: s.Name, Description: s.Description}
		}
	}
}

// bounded is n units, or -1 (which the store refuses) for a number out of any range.
func bounded(n int, unit time.Duration) time.Duration {
	if n < 0 || n > 100000 {
		return -1
	}
	return time.Duration(n) * unit
}

// inputOf is an API's current definition, for a change to start from.
func inputOf(a *models.API) models.APIInput {
	return models.APIInput{Name: a.Name, Description: a.Description, Identifier: a.Identifier, DocsURL: a.DocsURL,
		AcceptsAPIKeys: a.AcceptsAPIKeys, AcceptsAccessTokens: a.AcceptsAccessTokens,
		MaxTokenTTL: time.Duration(a.MaxTokenTTL) * time.Second, MaxKeyTTL: time.Duration(a.MaxKeyTTL) * time.Second, Listed: a.Listed}
}
