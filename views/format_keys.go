package views

import (
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

// keyRevokeConfirm is the question asked before revoking an API key; ttl is the status
// lists' ttl (see RevocationDelay).
func keyRevokeConfirm(name string, ttl time.Duration) string {
	return "Revoke API key " + name + "? Every API will reject it within " + RevocationDelay(ttl) + "."
}

// defaultStatusListTTL is the ttl models.NewSigner uses when none is configured; a view
// model whose StatusListTTL is zero means that one.
const defaultStatusListTTL = time.Minute

// RevocationDelay says in words how long an API may still accept a revoked API key: the
// status lists' ttl, since an API refreshes its copy at least that often ("a minute",
// "5 minutes", "30 seconds"). The ttl is configurable (GATEHOUSE_STATUS_LIST_TTL), so no
// text may hard-code it; zero means the signer's default. Seconds are rounded up: the
// text must never promise less than the real bound.
func RevocationDelay(ttl time.Duration) string {
	if ttl <= 0 {
		ttl = defaultStatusListTTL
	}
	switch {
	case ttl == time.Minute:
		return "a minute"
	case ttl%time.Minute == 0:
		return strconv.Itoa(int(ttl/time.Minute)) + " minutes"
	case ttl <= time.Second:
		return "1 second"
	}
	return strconv.Itoa(int((ttl+time.Second-1)/time.Second)) + " seconds"
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

// shortThumbprint is a key thumbprint's first 8 characters, as the keys table shows it.
func shortThumbprint(jkt string) string {
	if len(jkt) <= 8 {
		return jkt
	}
	return jkt[:8] + "…"
}
