package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// A refresh token introspects as active for its own client while it is the family's
// current token, and inactive once rotated, expired or revoked — and always for any
// other project, even one of the same team.
func TestIntrospectRefreshToken(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		f := newCodeFixture(t, s)
		f.setRefresh(t, s, models.RefreshOfflineAccess, 7, 30)
		tok := f.authorized(t, s, "orders:read offline_access openid")
		in, err := s.Introspect(ctx, f.p, tok.RefreshToken)
		if err != nil || !in.Active || in.TokenType != "refresh_token" || in.Sub != f.user.User.ID || in.ClientID != f.p.ClientID() ||
			!slices.Equal(in.Aud, []string{f.api.Identifier}) || !slices.Contains(strings.Fields(in.Scope), "orders:read") ||
			!slices.Contains(strings.Fields(in.Scope), "openid") || in.Exp != f.clock.Now().Add(7*24*time.Hour).Unix() {
			t.Fatalf("introspection by its client: %+v (%v)", in, err)
		}
		sibling, err := s.CreateProject(ctx, f.w.admin, f.w.team.ID, "Sibling", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if in, err := s.Introspect(ctx, sibling, tok.RefreshToken); err != nil || in.Active {
			t.Errorf("introspection by another project of the team: %+v (%v)", in, err)
		}
		for _, garbage := range []string{models.RefreshTokenPrefix + "x", models.NewRefreshToken(), strings.ToUpper(tok.RefreshToken)} {
			if in, err := s.Introspect(ctx, f.p, garbage); err != nil || in.Active {
				t.Errorf("introspecting %q: %+v (%v)", garbage, in, err)
			}
		}
		next, err := s.RefreshAccessToken(ctx, f.p, tok.RefreshToken, "")
		if err != nil {
			t.Fatal(err)
		}
		if in, err := s.Introspect(ctx, f.p, tok.RefreshToken); err != nil || in.Active {
			t.Errorf("the rotated token: %+v (%v)", in, err)
		}
		if in, err := s.Introspect(ctx, f.p, next.RefreshToken); err != nil || !in.Active {
			t.Errorf("the new token: %+v (%v)", in, err)
		}
		f.clock.Advance(7*24*time.Hour + time.Second)
		if in, err := s.Introspect(ctx, f.p, next.RefreshToken); err != nil || in.Active {
			t.Errorf("past its idle lifetime: %+v (%v)", in, err)
		}
		last := f.authorized(t, s, "orders:read offline_access")
		if ok, err := s.RevokeAsClient(ctx, f.p, last.RefreshToken); err != nil || !ok {
			t.Fatalf("revoke: %v %v", ok, err)
		}
		if in, err := s.Introspect(ctx, f.p, last.RefreshToken); err != nil || in.Active {
			t.Errorf("a revoked token: %+v (%v)", in, err)
		}
		// A public client's token bound to its DPoP key says so (cnf.jkt), as the
		// access tokens do; an unbound one carries no cnf.
		jkt := newPoPPublicKey(t, "P-256").jkt
		bound := f.authorizedIn(models.WithDPoPKey(ctx, jkt), t, s, "orders:read offline_access")
		if in, err := s.Introspect(ctx, f.p, bound.RefreshToken); err != nil || !in.Active || in.Cnf == nil || in.Cnf.JKT != jkt || in.Cnf.X5TS256 != "" {
			t.Errorf("a DPoP-bound refresh token: %+v (%v)", in, err)
		}
		if in, err := s.Introspect(ctx, f.p, f.authorized(t, s, "orders:read offline_access").RefreshToken); err != nil || in.Cnf != nil {
			t.Errorf("an unbound refresh token: %+v (%v)", in, err)
		}
	})
}
