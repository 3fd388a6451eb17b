package web

import "testing"

// Rule messages become sentences a person reads on their own.
func TestSentence(t *testing.T) {
	for _, tc := range []struct{ field, msg, want string }{
		{"name", "is required", "Name is required."},
		{"description", "must be at most 500 characters", "Description must be at most 500 characters."},
		{"frobnicate", "is not valid", "This field is not valid."},
		{"role", "choose a role", "Choose a role."},
		{"scopes", "at most 50 scopes", "Use at most 50 scopes."},
		{"scopes", `"a b" is defined twice`, `"a b" is defined twice.`},
		{"key", "That is not a key.", "That is not a key."},
		{"name", "", ""},
		{"name", "étrange", "Étrange."},
	} {
		if got := sentence(tc.field, tc.msg); got != tc.want {
			t.Errorf("sentence(%q, %q) = %q, want %q", tc.field, tc.msg, got, tc.want)
		}
	}
}
