package models_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/models"
)

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, value string
		want           bool
	}{
		{"repo:acme/deploy:ref:refs/heads/main", "repo:acme/deploy:ref:refs/heads/main", true},
		{"repo:acme/deploy:ref:refs/heads/main", "repo:acme/deploy:ref:refs/heads/mainx", false},
		{"repo:acme/*", "repo:acme/deploy:ref:refs/heads/main", true},
		{"repo:acme/*", "repo:acmeco/deploy", false},
		{"repo:acme/*:environment:prod", "repo:acme/api:environment:prod", true},
		{"repo:acme/*:environment:prod", "repo:acme/api:environment:prod-eu", false},
		{"system:serviceaccount:payments:*", "system:serviceaccount:payments:api", true},
		{"system:serviceaccount:payments:*", "system:serviceaccount:payments-evil:api", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"*x*x", "x", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
	} {
		if got := models.GlobMatch(tc.pattern, tc.value); got != tc.want {
			t.Errorf("GlobMatch(%q, %q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
}

// FuzzGlobMatch compares GlobMatch with the regular expression the pattern stands for.
func FuzzGlobMatch(f *testing.F) {
	f.Add("repo:acme/*", "repo:acme/deploy")
	f.Add("a*b*c", "aXbYbZc")
	f.Add("*x*x", "x")
	f.Fuzz(func(t *testing.T, pattern, value string) {
		parts := strings.Split(pattern, "*")
		for i, p := range parts {
			parts[i] = regexp.QuoteMeta(p)
		}
		re, err := regexp.Compile(`^(?s:` + strings.Join(parts, ".*") + `)$`)
		if err != nil {
			t.Skip()
		}
		if got, want := models.GlobMatch(pattern, value), re.MatchString(value); got != want {
			t.Fatalf("GlobMatch(%q, %q) = %v, the regular expression says %v", pattern, value, got, want)
		}
	})
}

func TestParseClaimConditions(t *testing.T) {
	got, err := models.ParseClaimConditions("repository_owner = acme\r\n\nref=refs/heads/*\n")
	if err != nil || len(got) != 2 || got["repository_owner"] != "acme" || got["ref"] != "refs/heads/*" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"no equals", "=x", "ref=", "sub=x", "aud=x", "ref=a\nref=b", "ref=*", "ref=**"} {
		if _, err := models.ParseClaimConditions(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
