package api

import (
	"encoding/json"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// Representations of grants, access requests and client keys.

func grantOf(g *models.GrantInfo) grantJSON {
	return grantJSON{ID: g.ID, APIID: g.APIID, ProjectID: g.ProjectID, ProjectName: g.ProjectName, TeamID: g.ProjectTeamID,
		TeamName: g.ProjectTeamName, Scopes: fields(g.Scopes), Impersonation: g.Impersonation, CreatedAt: g.CreatedAt.UTC()}
}

type accessRequestJSON struct {
	ID            string     `json:"id"`
	APIID         string     `json:"api_id"`
	APIName       string     `json:"api_name"`
	ProjectID     string     `json:"project_id"`
	ProjectName   string     `json:"project_name"`
	TeamID        string     `json:"team_id"`
	TeamName      string     `json:"team_name"`
	Scopes        []string   `json:"scopes"`
	Note          string     `json:"note"`
	Status        string     `json:"status"`
	RequestedBy   string     `json:"requested_by"`
	CreatedAt     time.Time  `json:"created_at"`
	DecidedBy     string     `json:"decided_by"`
	DecidedAt     *time.Time `json:"decided_at"`
	DecisionNote  string     `json:"decision_note"`
	GrantedScopes []string   `json:"granted_scopes"`
}

func accessRequestOf(r *models.AccessRequestInfo) accessRequestJSON {
	return accessRequestJSON{ID: r.ID, APIID: r.APIID, APIName: r.APIName, ProjectID: r.ProjectID, ProjectName: r.ProjectName,
		TeamID: r.TeamID, TeamName: r.ProjectTeamName, Scopes: fields(r.Scopes), Note: r.Reason, Status: r.Status,
		RequestedBy: r.RequestedByLabel, CreatedAt: r.CreatedAt.UTC(), DecidedBy: r.DecidedByLabel, DecidedAt: utc(r.DecidedAt),
		DecisionNote: r.DecisionNote, GrantedScopes: fields(r.GrantedScopes)}
}

// requestsOf converts a list of requests, ordered by when they were made.
func requestsOf(reqs []models.AccessRequestInfo) ([]accessRequestJSON, func(accessRequestJSON) string) {
	out := make([]accessRequestJSON, len(reqs))
	for i := range reqs {
		out[i] = accessRequestOf(&reqs[i])
	}
	return out, func(r accessRequestJSON) string { return timeKey(r.CreatedAt) + "\x00" + r.ID }
}

// findRequest picks the request id from a list, or ErrNotFound.
func findRequest(reqs []models.AccessRequestInfo, id string) (*models.AccessRequestInfo, error) {
	for i := range reqs {
		if reqs[i].ID == id {
			return &reqs[i], nil
		}
	}
	return nil, models.ErrNotFound
}

type clientKeyJSON struct {
	ID         string         `json:"id"`
	ProjectID  string         `json:"project_id"`
	Name       string         `json:"name"`
	KID        string         `json:"kid"`
	Alg        string         `json:"alg"`
	JWK        map[string]any `json:"jwk"`
	JWKSURI    string         `json:"jwks_uri"`
	CreatedBy  string         `json:"created_by"`
	CreatedAt  time.Time      `json:"created_at"`
	ExpiresAt  *time.Time     `json:"expires_at"`
	LastUsedAt *time.Time     `json:"last_used_at"`
}

// refused is text no scope, note or name may hold (a control character): what a
// handler passes for a body that did not parse, so that the store refuses the input
// once it has decided whether the caller may act at all.
const refused = "\x00"

func clientKeyOf(k *models.ClientKeyInfo) clientKeyJSON {
	out := clientKeyJSON{ID: k.ID, ProjectID: k.ProjectID, Name: k.Name, KID: k.KID, Alg: k.Alg, JWKSURI: k.JWKSURI,
		CreatedBy: k.CreatedByLabel, CreatedAt: k.CreatedAt.UTC(), ExpiresAt: utc(k.ExpiresAt), LastUsedAt: utc(k.LastUsedAt)}
	if k.JWK != "" {
		_ = json.Unmarshal([]byte(k.JWK), &out.JWK) // stored by the store from a parsed key: always an object
	}
	return out
}
