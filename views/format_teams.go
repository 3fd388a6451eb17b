package views

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
)

// pageURL sanitises a server-built link such as a pagination URL.
func pageURL(u string) templ.SafeURL {
	return templ.URL(u)
}

// knownRoles are the roles that have their own badge colour.
var knownRoles = map[string]bool{"owner": true, "admin": true, "developer": true, "viewer": true}

// roleBadgeClass is the badge class of a role; unknown roles get the plain badge.
func roleBadgeClass(role string) string {
	if knownRoles[role] {
		return "badge badge-role badge-role-" + role
	}
	return "badge badge-role"
}

// statusBadgeClass is the badge class of a credential status.
func statusBadgeClass(status string) string {
	switch status {
	case "active", "expired", "revoked":
		return "badge badge-status badge-status-" + status
	default:
		return "badge badge-status"
	}
}

// expiresText renders an optional expiry: "never" when nil.
func expiresText(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return formatTime(*t)
}

// isoTimePtr is isoTime for an optional time.
func isoTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return isoTime(*t)
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// memberName is a member's name, or their email when the name is empty.
func memberName(m MemberRow) string {
	if m.Name != "" {
		return m.Name
	}
	return m.Email
}

// tokenCurl is the getting-started command that fetches an access token.
func tokenCurl(clientID, tokenURL, resource string) string {
	return TokenCurl(clientID, "", tokenURL, resource)
}

// TokenCurl is a command that asks the token endpoint for an access token with the
// client credentials grant. With a secret it starts by exporting it; without one it
// expects GATEHOUSE_CLIENT_SECRET to be set. resource, when not empty, names the API.
func TokenCurl(clientID, secret, tokenURL, resource string) string {
	var b strings.Builder
	if secret != "" {
		b.WriteString("export GATEHOUSE_CLIENT_SECRET=" + ShellQuote(secret) + "\n")
	} else {
		b.WriteString("# export GATEHOUSE_CLIENT_SECRET=<a client secret of this project>\n")
	}
	b.WriteString("curl -s -u \"" + clientID + ":$GATEHOUSE_CLIENT_SECRET\" \\\n  -d grant_type=client_credentials")
	if resource != "" {
		b.WriteString(" \\\n  --data-urlencode " + ShellQuote("resource="+resource))
	}
	b.WriteString(" \\\n  " + ShellQuote(tokenURL) + "\n")
	return b.String()
}

// ShellQuote quotes s for a POSIX shell, leaving it bare when it holds only characters
// no shell treats specially.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// firstIdentifier is the identifier of the first API granted, or "".
func firstIdentifier(grants []GrantRow) string {
	if len(grants) == 0 {
		return ""
	}
	return grants[0].Identifier
}

// jwksURL is the portal's JSON Web Key Set under baseURL.
func jwksURL(baseURL string) string {
	return strings.TrimRight(baseURL, "/") + "/.well-known/jwks.json"
}

// pageNumber is "Page N".
func pageNumber(n int) string {
	if n < 1 {
		n = 1
	}
	return "Page " + strconv.Itoa(n)
}

// checkedGrantTypes lists the labels of the checked grant types, or "none".
func checkedGrantTypes(boxes []Checkbox) string {
	var out []string
	for _, b := range boxes {
		if b.Checked {
			if b.Label != "" {
				out = append(out, b.Label)
			} else {
				out = append(out, b.Value)
			}
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// ttlText renders the access-token lifetime in minutes.
func ttlText(minutes string) string {
	if minutes == "" {
		return "—"
	}
	if minutes == "1" {
		return "1 minute"
	}
	return minutes + " minutes"
}

// renameValue is the rename form's name: what was typed, else the current name.
func renameValue(vm TeamVM) string {
	if vm.RenameForm.Name != "" || len(vm.RenameForm.Errors) > 0 {
		return vm.RenameForm.Name
	}
	return vm.Name
}

// grantTypeID is the id of the i-th grant-type checkbox.
func grantTypeID(i int) string {
	return "settings-grant-" + strconv.Itoa(i)
}

// grantTypeLabel is a checkbox's label, or its value when the label is empty.
func grantTypeLabel(c Checkbox) string {
	if c.Label != "" {
		return c.Label
	}
	return c.Value
}

// refreshText summarises the refresh-token settings for the read-only view.
func refreshText(f SettingsForm) string {
	label := f.RefreshTokens
	for _, o := range f.RefreshOptions {
		if o.Value == f.RefreshTokens {
			label = o.Label
		}
	}
	if f.RefreshTokens == "off" {
		return label
	}
	return label + "; idle " + f.RefreshIdleDays + " days, absolute " + f.RefreshAbsoluteDays + " days"
}
