package models

import (
	"net/url"
	"strings"
)

// ProtectedResourceWellKnown is the well-known URI suffix of RFC 9728 §3.
const ProtectedResourceWellKnown = "/.well-known/oauth-protected-resource"

// IsResourceURL reports whether identifier can name a protected resource with RFC 9728
// metadata: an https URL with a host, without userinfo, query or fragment (§1.2).
func IsResourceURL(identifier string) bool {
	u, err := url.Parse(identifier)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.Opaque == "" &&
		!u.ForceQuery && u.RawQuery == "" && u.Fragment == "" && !strings.Contains(identifier, "#")
}

// ProtectedResourceMetadataURL is where RFC 9728 §3.1 says the metadata of the resource
// identifier lives, on the resource's own host: the well-known suffix inserted between
// the host and the path ("https://api.example.com/v1" gives
// "https://api.example.com/.well-known/oauth-protected-resource/v1"); a path that is
// only "/" is dropped, any other path kept as it is. "" when identifier is not a
// resource URL (IsResourceURL).
func ProtectedResourceMetadataURL(identifier string) string {
	if !IsResourceURL(identifier) {
		return ""
	}
	u, _ := url.Parse(identifier)
	path := u.EscapedPath()
	if path == "/" {
		path = ""
	}
	return "https://" + u.Host + ProtectedResourceWellKnown + path
}
