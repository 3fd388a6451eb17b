package store_test

import (
	"context"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
)

// grantedAPI registers an API in the project's team (actor is an owner or admin there)
// defining scopes, and grants all of them to the project.
func grantedAPI(t testing.TB, s *store.Store, actor models.Actor, p *models.Project, identifier string, scopes ...string) *models.API {
	t.Helper()
	ctx := context.Background()
	in := models.APIInput{Name: identifier, Identifier: identifier, AcceptsAPIKeys: true, AcceptsAccessTokens: true}
	for _, sc := range scopes {
		in.Scopes = append(in.Scopes, models.ScopeInput{Name: sc})
	}
	api, err := s.CreateAPI(ctx, actor, p.TeamID, in, "")
	if err != nil {
		t.Fatalf("register API %s: %v", identifier, err)
	}
	if _, _, err := s.GrantAccess(ctx, actor, api.ID, p.ID, scopes); err != nil {
		t.Fatalf("grant %s to %s: %v", identifier, p.Name, err)
	}
	return api
}

// firstAPI returns the API every new user's personal team starts with.
func firstAPI(t testing.TB, s *store.Store, actor models.Actor, teamID string) *models.API {
	t.Helper()
	apis, err := s.TeamAPIs(context.Background(), actor, teamID)
	if err != nil || len(apis) != 1 {
		t.Fatalf("APIs of a personal team: %v, %v; want one", apis, err)
	}
	return &apis[0]
}

// testProject is a project with the API its key tests use.
type testProject struct {
	*models.Project
	api string // the orders-api API's id
}
