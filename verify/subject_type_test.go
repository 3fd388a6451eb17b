package verify

import (
	"context"
	"errors"
	"testing"
)

// The sub_type claim says whether sub is a project, a service account or a user, and
// the Principal keeps them apart: Project is set for projects only.
func TestSubjectType(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier(Accept(KindAccessToken))
	ctx := context.Background()
	for _, tc := range []struct {
		name, subType           string
		want                    SubjectType
		project, serviceAccount string
	}{
		{"no claim (older tokens)", "", SubjectProject, "prj_orders", ""},
		{"project", "project", SubjectProject, "prj_orders", ""},
		{"service account", "service_account", SubjectServiceAccount, "", "prj_orders"},
		{"user", "user", SubjectUser, "", ""},
	} {
		tok := f.accessTokenWith(func(c map[string]any) {
			if tc.subType != "" {
				c["sub_type"] = tc.subType
			}
		})
		p, err := v.Verify(ctx, tok)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.SubjectType != tc.want || p.Project != tc.project || p.ServiceAccount != tc.serviceAccount || p.Subject == "" {
			t.Errorf("%s: %+v", tc.name, p)
		}
	}
	for name, tok := range map[string]string{
		"unknown sub_type":                 f.accessTokenWith(func(c map[string]any) { c["sub_type"] = "robot" }),
		"an API key for a service account": f.apiKey(func(c map[string]any) { c["sub_type"] = "service_account" }),
		"a case variant of sub_type":       f.accessTokenWith(func(c map[string]any) { c["SUB_TYPE"] = "project" }),
	} {
		if _, err := f.verifier(Accept(KindAPIKey, KindAccessToken)).Verify(ctx, tok); !errors.Is(err, ErrClaims) && !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want a claims error", name, err)
		}
	}
}
