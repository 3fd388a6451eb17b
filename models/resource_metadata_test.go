package models

import "testing"

func TestProtectedResourceMetadataURL(t *testing.T) {
	for _, tc := range []struct{ identifier, want string }{
		{"https://api.example.com", "https://api.example.com/.well-known/oauth-protected-resource"},
		{"https://api.example.com/", "https://api.example.com/.well-known/oauth-protected-resource"},
		{"https://api.example.com/v1", "https://api.example.com/.well-known/oauth-protected-resource/v1"},
		{"https://api.example.com/v1/", "https://api.example.com/.well-known/oauth-protected-resource/v1/"},
		{"https://api.example.com:8443/a/b", "https://api.example.com:8443/.well-known/oauth-protected-resource/a/b"},
		{"http://api.example.com/v1", ""},
		{"urn:example:orders", ""},
		{"orders-api", ""},
		{"https:///v1", ""},
		{"https://api.example.com/v1?x=1", ""},
		{"https://api.example.com/v1?", ""},
		{"https://api.example.com/v1#f", ""},
		{"https://u@api.example.com/v1", ""},
	} {
		if got := ProtectedResourceMetadataURL(tc.identifier); got != tc.want {
			t.Errorf("ProtectedResourceMetadataURL(%q) = %q, want %q", tc.identifier, got, tc.want)
		}
	}
}
