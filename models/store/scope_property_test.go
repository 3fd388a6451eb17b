package store_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// The permission combination as a property: for random states of the API's delegable
// scopes, the project's grant, who may delegate (anyone or the API's team) and which
// user signs in (a member of that team or not), with all three changed at random between
// the authorization and the redemption, no token ever carries a scope outside
// requested ∩ granted ∩ delegable as they stand at redemption, and no token is issued
// for a user who may not delegate then. Every refusal is one of the expected kinds.
func TestScopeCombinationProperty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		all := []string{"a:read", "a:write", "b:read", "b:write", "admin", "audit"}
		api := grantedAPI(t, s, f.w.admin, f.p, "https://prop.example.com", all...)
		grants, err := s.APIGrants(ctx, f.w.admin, api.ID)
		if err != nil || len(grants) != 1 {
			t.Fatalf("grants: %v %v", grants, err)
		}
		grantID := grants[0].ID
		seed := rand.Uint64()
		t.Logf("seed %d", seed)
		r := rand.New(rand.NewPCG(seed, 1))
		// subset picks each of from with probability n/4.
		subset := func(from []string, n int) []string {
			var out []string
			for _, sc := range from {
				if r.IntN(4) < n {
					out = append(out, sc)
				}
			}
			return out
		}
		// state applies a random state and returns it: granted, delegable, the team.
		state := func() (granted, delegable []string, teamOnly bool) {
			granted, delegable, teamOnly = subset(all, 3), subset(all, 3), r.IntN(2) == 0
			if len(granted) == 0 {
				granted = all[:1]
			}
			if _, err := s.UpdateGrant(ctx, f.w.admin, api.ID, grantID, granted); err != nil {
				t.Fatalf("grant %v: %v", granted, err)
			}
			for _, sc := range all {
				if err := s.SetScopeDelegable(ctx, f.w.admin, api.ID, sc, slices.Contains(delegable, sc)); err != nil {
					t.Fatal(err)
				}
			}
			var teams []string
			if teamOnly {
				teams = []string{f.w.team.ID}
			}
			if err := s.SetDelegationTeams(ctx, f.w.admin, api.ID, teams); err != nil {
				t.Fatal(err)
			}
			return granted, delegable, teamOnly
		}
		const runs = 60
		issued := 0
		for i := range runs {
			granted, delegable, _ := state()
			user := f.w.developer // a member of the API's team
			if r.IntN(2) == 0 {
				user = f.w.outsider
			}
			// Mostly what may be asked for (none: all of it), sometimes anything.
			var requested []string
			switch r.IntN(5) {
			case 0:
				requested = append(subset(all, 2), "undefined:scope")
			case 1:
				requested = subset(all, 2)
			default:
				requested = subset(intersect(granted, delegable), 2)
			}
			p, err := s.AuthorizationClient(ctx, f.p.ID)
			if err != nil {
				t.Fatal(err)
			}
			a, err := s.PrepareAuthorization(ctx, p, []string{api.Identifier}, strings.Join(requested, " "))
			within := intersect(granted, delegable)
			if len(requested) > 0 {
				within = intersect(within, requested)
			}
			if err != nil {
				var oe *models.OAuthError
				if !errors.As(err, &oe) || oe.Code != models.ErrCodeInvalidScope {
					t.Fatalf("run %d: prepare: %v, want invalid_scope or success", i, err)
				}
				if len(requested) > 0 && isSubset(requested, intersect(granted, delegable)) && len(within) > 0 {
					t.Fatalf("run %d: refused %v although granted %v and delegable %v", i, requested, granted, delegable)
				}
				continue
			}
			if got := a.ScopeNames(); len(got) == 0 || !isSubset(got, within) {
				t.Fatalf("run %d: asks the user for %v, outside %v", i, got, within)
			}
			req := &models.AuthorizationRequest{RedirectURI: testRedirect, CodeChallenge: store.S256Challenge(testVerifier)}
			code, err := s.IssueAuthorizationCode(ctx, a, req, user.User.ID, models.AuthContext{AuthTime: f.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			// Everything may change before the app redeems the code.
			granted2, delegable2, teamOnly2 := granted, delegable, false
			if r.IntN(2) == 0 {
				granted2, delegable2, teamOnly2 = state()
			} else if err := s.SetDelegationTeams(ctx, f.w.admin, api.ID, nil); err != nil {
				t.Fatal(err)
			}
			if p, err = s.AuthorizationClient(ctx, f.p.ID); err != nil {
				t.Fatal(err)
			}
			tok, err := s.RedeemAuthorizationCode(ctx, p, code, testRedirect, testVerifier)
			allowed := intersect(intersect(a.ScopeNames(), granted2), delegable2)
			mayDelegate := !teamOnly2 || user.User.ID == f.w.developer.User.ID
			if err != nil {
				var oe *models.OAuthError
				if !errors.As(err, &oe) || oe.Code != models.ErrCodeInvalidGrant {
					t.Fatalf("run %d: redeem: %v, want invalid_grant or a token", i, err)
				}
				if len(allowed) > 0 && mayDelegate {
					t.Fatalf("run %d: refused although %v stay allowed and the user may delegate", i, allowed)
				}
				continue
			}
			got := strings.Fields(jwtClaims(t, tok.Token)["scope"].(string))
			if !mayDelegate || len(got) == 0 || !isSubset(got, allowed) {
				t.Fatalf("run %d: token scopes %v; allowed %v (asked %v, granted %v, delegable %v), user may delegate: %v",
					i, got, allowed, a.ScopeNames(), granted2, delegable2, mayDelegate)
			}
			issued++
		}
		if issued < runs/5 {
			t.Fatalf("%d tokens in %d runs: the property was hardly exercised past refusals", issued, runs)
		}
	})
}

func intersect(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func isSubset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
