package models

import "testing"

// Redirect URIs match exactly, except for the port of a loopback http URI (RFC 8252 §7.3).
func TestMatchesRedirectURI(t *testing.T) {
	p := &Project{RedirectURIs: "https://app.example/cb\nhttp://127.0.0.1/cb\nhttp://[::1]:8080/native\ncom.example.app:/oauth"}
	for uri, want := range map[string]bool{
		"https://app.example/cb":             true,
		"https://app.example/cb/":            false,
		"https://app.example:443/cb":         false,
		"https://App.example/cb":             false,
		"https://app.example/cb?x=1":         false,
		"https://app.example/cb#x":           false,
		"https://u@app.example/cb":           false,
		"http://127.0.0.1/cb":                true,
		"http://127.0.0.1:49152/cb":          true,
		"http://127.0.0.1:49152/cb/":         false,
		"http://127.0.0.1:49152/other":       false,
		"http://127.0.0.1:x/cb":              false,
		"http://127.0.0.1:1@evil.example/cb": false,
		"http://127.0.0.1.evil.example/cb":   false,
		"http://[::1]/native":                true,
		"http://[::1]:1/native":              true,
		"http://localhost/cb":                false,
		"https://127.0.0.1/cb":               false,
		"com.example.app:/oauth":             true,
		"com.example.app:/oauth/":            false,
		"":                                   false,
	} {
		if got := p.MatchesRedirectURI(uri); got != want {
			t.Errorf("MatchesRedirectURI(%q) = %v, want %v", uri, got, want)
		}
	}
}

func TestCheckRedirectURI(t *testing.T) {
	for _, ok := range []string{"https://app.example/cb", "https://app.example:8443/cb?x=1", "http://127.0.0.1/cb", "http://127.0.0.1:8080",
		"http://[::1]:9/cb", "com.example.app:/oauth2redirect"} {
		if msg := CheckRedirectURI(ok); msg != "" {
			t.Errorf("%q refused: %s", ok, msg)
		}
	}
	for _, bad := range []string{"http://app.example/cb", "http://localhost/cb", "https://app.example/cb#x", "https://*.example/cb",
		"https://u:p@app.example/cb", "https:///cb", "/cb", "cb", "javascript:alert(1)", "data:text/html,x", "myapp:/cb",
		"com.example.app:cb", "https://app.example/a b", "https://app.example/\u00e9"} {
		if msg := CheckRedirectURI(bad); msg == "" {
			t.Errorf("%q accepted", bad)
		}
	}
}
