package views

import (
	"net/url"
	"strconv"
	"time"

	"github.com/a-h/templ"
)

// withCSRF returns vm with its CSRF token defaulting to token.
func withCSRF(vm APIKeysVM, token string) APIKeysVM {
	if vm.CSRF == "" {
		vm.CSRF = token
	}
	return vm
}

// keyRevokeURL is /projects/{project}/keys/{key}/revoke.
func keyRevokeURL(projectID, keyID string) templ.SafeURL {
	return templ.URL("/projects/" + url.PathEscape(projectID) + "/keys/" + url.PathEscape(keyID) + "/revoke")
}

// keyRevokeConfirm is the question asked before revoking an API key.
func keyRevokeConfirm(name string) string {
	return "Revoke API key " + name + "? Every API will reject it within a minute."
}

// keyExpiresText renders an API key's expiry: "never" for the zero time.
func keyExpiresText(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return formatTime(t)
}

// checkboxLabel is a checkbox's label, or its value when the label is empty.
func checkboxLabel(c Checkbox) string {
	if c.Label != "" {
		return c.Label
	}
	return c.Value
}

// indexedID is prefix + "-" + i, for the ids of a checkbox group.
func indexedID(prefix string, i int) string {
	return prefix + "-" + strconv.Itoa(i)
}

// signingKeyStateClass is the badge class of a signing key's state:
// next blue, active green, retired grey.
func signingKeyStateClass(state string) string {
	switch state {
	case "next", "active", "retired":
		return "badge badge-key-state badge-key-" + state
	default:
		return "badge badge-key-state"
	}
}

// rotateConfirm is the question asked before starting a signing-key rotation.
func rotateConfirm(lead string) string {
	if lead == "" {
		lead = "the publish lead time"
	}
	return "Start a rotation? A new key is published now and starts signing after " + lead + "."
}

// timePtrText renders an optional moment, or "—" when nil.
func timePtrText(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return formatTime(*t)
}

// countText renders a count.
func countText(n int64) string {
	return strconv.FormatInt(n, 10)
}

// jwksLink sanitises the JWKS URL for an href.
func jwksLink(u string) templ.SafeURL {
	return templ.URL(u)
}

// apiKeysEmptyText is the empty state's hint, depending on who is looking.
func apiKeysEmptyText(canManage bool) string {
	if canManage {
		return "Create a key below for a service or script that calls your APIs."
	}
	return "Members with the developer role or higher can create keys for the services and scripts that call your APIs."
}
