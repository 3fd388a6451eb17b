package verify

import (
	"context"
	"errors"
	"testing"
)

// A user's access token (authorization code grant) is issued to a project acting for
// the user: client_id is the project, sub the user. Only sub_type user may have them
// differ; any other access token whose client_id is not its sub is refused.
func TestUserTokenClientIDDiffersFromSub(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier(Accept(KindAccessToken))
	ctx := context.Background()
	user := f.accessTokenWith(func(c map[string]any) {
		c["sub_type"], c["sub"], c["client_id"], c["auth_time"] = "user", "usr_alice", "prj_orders", 1700000000
	})
	p, err := v.Verify(ctx, user)
	if err != nil {
		t.Fatalf("user token: %v", err)
	}
	if p.SubjectType != SubjectUser || p.Subject != "usr_alice" || p.Project != "" {
		t.Errorf("user token: got %+v, want sub_type user, subject usr_alice, no Project", p)
	}
	for name, tok := range map[string]string{
		"project token, client_id not sub": f.accessTokenWith(func(c map[string]any) { c["client_id"] = "prj_other" }),
		"no sub_type, client_id not sub":   f.accessTokenWith(func(c map[string]any) { delete(c, "sub_type"); c["client_id"] = "prj_other" }),
		"service account, client_id not sub": f.accessTokenWith(func(c map[string]any) {
			c["sub_type"], c["client_id"] = "service_account", "prj_other"
		}),
		"user token without client_id": f.accessTokenWith(func(c map[string]any) {
			c["sub_type"], c["sub"] = "user", "usr_alice"
			delete(c, "client_id")
		}),
	} {
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrClaims) {
			t.Errorf("%s: %v, want ErrClaims", name, err)
		}
	}
}

// The Projects allow-list is about the client: a user's token passes when the project
// acting for the user is listed, and Principal.ClientID names that project.
func TestUserTokenAllowListNamesTheClient(t *testing.T) {
	f := newIssuer(t)
	ctx := context.Background()
	tok := f.accessTokenWith(func(c map[string]any) {
		c["sub_type"], c["sub"], c["client_id"] = "user", "usr_alice", "prj_orders"
	})
	p, err := f.verifier(Accept(KindAccessToken), Projects("prj_orders")).Verify(ctx, tok)
	if err != nil || p.ClientID != "prj_orders" || p.Subject != "usr_alice" || p.Project != "" {
		t.Fatalf("a listed app's user token: %+v %v", p, err)
	}
	if _, err := f.verifier(Accept(KindAccessToken), Projects("prj_other")).Verify(ctx, tok); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("an unlisted app's user token: %v, want ErrNotAllowed", err)
	}
}
