package handlers_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

// registerAPI registers an API in the team with the scopes, under identifier or, when
// another test of the same portal took it, identifier-2, identifier-3…
func registerAPI(t testing.TB, e *env, actor models.Actor, teamID, identifier string, scopes ...string) *models.API {
	t.Helper()
	in := models.APIInput{Name: identifier, AcceptsAPIKeys: true, AcceptsAccessTokens: true}
	for _, sc := range scopes {
		in.Scopes = append(in.Scopes, models.ScopeInput{Name: sc, Description: "Scope " + sc})
	}
	for i := 1; i < 50; i++ {
		in.Identifier = identifier
		if i > 1 {
			in.Identifier += "-" + strconv.Itoa(i)
		}
		api, err := e.store.CreateAPI(context.Background(), actor, teamID, in, "")
		var ve *models.ValidationError
		if errors.As(err, &ve) && ve.Fields["identifier"] != "" {
			continue
		}
		if err != nil {
			t.Fatalf("register API %s: %v", identifier, err)
		}
		return api
	}
	t.Fatalf("no free identifier like %s", identifier)
	return nil
}

// grantAPI grants the project (of the API's team) access to the API with scopes.
func grantAPI(t testing.TB, e *env, actor models.Actor, api *models.API, projectID string, scopes ...string) {
	t.Helper()
	if scopes == nil {
		scopes = []string{}
	}
	if _, _, err := e.store.GrantAccess(context.Background(), actor, api.ID, projectID, scopes); err != nil {
		t.Fatalf("grant %s to %s: %v", api.Identifier, projectID, err)
	}
}

// onlyAPI leaves the first project of a new user holding a single grant, on a new API
// of their team (the personal team's first API is deleted), and returns that API.
func onlyAPI(t testing.TB, e *env, m *member, p *models.Project, identifier string, scopes ...string) *models.API {
	t.Helper()
	ctx := context.Background()
	apis, err := e.store.TeamAPIs(ctx, m.actor, p.TeamID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apis {
		if _, err := e.store.DeleteAPI(ctx, m.actor, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	api := registerAPI(t, e, m.actor, p.TeamID, identifier, scopes...)
	grantAPI(t, e, m.actor, api, p.ID, scopes...)
	return api
}

// firstAPIOf returns the API a new user's personal team starts with.
func firstAPIOf(t testing.TB, e *env, m *member, teamID string) *models.API {
	t.Helper()
	apis, err := e.store.TeamAPIs(context.Background(), m.actor, teamID)
	if err != nil || len(apis) == 0 {
		t.Fatalf("APIs of %s: %v %v", teamID, apis, err)
	}
	return &apis[0]
}
