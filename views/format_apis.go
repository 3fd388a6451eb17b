package views

import (
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

// withAPIsCSRF returns vm with its CSRF token defaulting to token.
func withAPIsCSRF(vm ProjectAPIsVM, token string) ProjectAPIsVM {
	if vm.CSRF == "" {
		vm.CSRF = token
	}
	return vm
}

// docsLink sanitises an API's documentation URL for an href (templ.URL turns anything
// but http(s), mailto and relative URLs into about:invalid).
func docsLink(u string) templ.SafeURL {
	return templ.URL(u)
}

// grantRevokeConfirm is the question asked before revoking a project's access.
func grantRevokeConfirm(project, api string) string {
	return "Revoke " + project + "'s access to " + api + "? Its API keys for this API are revoked and it can no longer get tokens for it."
}

// grantUpdateConfirm is the question asked before changing a grant's scopes.
func grantUpdateConfirm(project, api string) string {
	return "Change " + project + "'s scopes for " + api + "? Its API keys that carry a scope you uncheck are revoked."
}

// scopeRemoveConfirm is the question asked before removing a scope from an API.
func scopeRemoveConfirm(scope, api string) string {
	return "Remove scope " + scope + " from " + api + "? Every project loses it, and API keys that carry it are revoked."
}

// requestDenyConfirm is the question asked before denying an access request; denying a
// migration request ends the access the project kept meanwhile.
func requestDenyConfirm(r AccessRequestRow, api string) string {
	q := "Deny " + r.ProjectName + "'s request for access to " + api + "?"
	if r.Migration {
		q += " The project loses the access it kept since before APIs had owners, and its API keys for this API are revoked."
	} else {
		q += " The project gets no credentials for it."
	}
	return q
}

// requestApproveConfirm is the question asked before approving a migration request,
// whose provisional grant may narrow; "" (no question) for an ordinary request.
func requestApproveConfirm(r AccessRequestRow, api string) string {
	if !r.Migration {
		return ""
	}
	return "Approve " + r.ProjectName + "'s access to " + api + " with the checked scopes? Its API keys that carry a scope you leave unchecked are revoked."
}

// requestWithdrawConfirm is the question asked before withdrawing an access request.
func requestWithdrawConfirm(r AccessRequestRow) string {
	api := r.APIName
	if api == "" {
		api = "this API"
	}
	return "Withdraw the request for " + r.ProjectName + "'s access to " + api + "? You can ask again later."
}

// requestStatusClass is the badge class of an access request's status: pending amber,
// approved green, denied red, withdrawn grey.
func requestStatusClass(status string) string {
	switch status {
	case "pending", "approved", "denied", "withdrawn":
		return "badge badge-request badge-request-" + status
	default:
		return "badge badge-request"
	}
}

// isPending reports whether an access request still waits for a decision.
func isPending(r AccessRequestRow) bool {
	return r.Status == "pending"
}

// pendingRequests are the requests waiting for a decision, in their order.
func pendingRequests(rs []AccessRequestRow) []AccessRequestRow {
	var out []AccessRequestRow
	for _, r := range rs {
		if isPending(r) {
			out = append(out, r)
		}
	}
	return out
}

// decidedRequests are the requests no longer pending, in their order.
func decidedRequests(rs []AccessRequestRow) []AccessRequestRow {
	var out []AccessRequestRow
	for _, r := range rs {
		if !isPending(r) {
			out = append(out, r)
		}
	}
	return out
}

// countNoun is "1 project" or "N projects" for singular "project", plural "projects".
func countNoun(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return strconv.Itoa(n) + " " + plural
}

// pendingText is "N pending" for a badge.
func pendingText(n int) string {
	return strconv.Itoa(n) + " pending"
}

// acceptsText names the credential kinds an API accepts.
func acceptsText(keys, tokens bool) string {
	switch {
	case keys && tokens:
		return "API keys and access tokens"
	case keys:
		return "API keys only"
	case tokens:
		return "access tokens only"
	default:
		return "no credentials (neither API keys nor access tokens)"
	}
}

// listedText is the label of an API's catalog badge.
func listedText(listed bool) string {
	if listed {
		return "listed in the catalog"
	}
	return "not listed"
}

// listedClass is the class of an API's catalog badge.
func listedClass(listed bool) string {
	if listed {
		return "badge badge-listed"
	}
	return "badge badge-unlisted"
}

// scopeBoxDescription is what a scope checkbox shows under the scope's name: its label
// when that says more than the name (a description), else "".
func scopeBoxDescription(c Checkbox) string {
	l := strings.TrimSpace(c.Label)
	if l == "" || l == c.Value {
		return ""
	}
	if rest, ok := strings.CutPrefix(l, c.Value); ok {
		return strings.TrimSpace(strings.TrimLeft(rest, " -–—:"))
	}
	return l
}

// scopeBoxID is the id of checkbox j of group i under prefix: "prefix-i-j".
func scopeBoxID(prefix string, i, j int) string {
	return prefix + "-" + strconv.Itoa(i) + "-" + strconv.Itoa(j)
}

// withdrawProject is the project a request is withdrawn under: the row's, else fallback.
func withdrawProject(r AccessRequestRow, fallback string) string {
	if r.ProjectID != "" {
		return r.ProjectID
	}
	return fallback
}

// grantAPIName is the name a project's grant row shows: the API's name, else its identifier.
func grantAPIName(g GrantRow) string {
	if g.APIName != "" {
		return g.APIName
	}
	return g.Identifier
}

// requestAPIName is the name a project's request row shows: the API's name, else its identifier.
func requestAPIName(r AccessRequestRow) string {
	if r.APIName != "" {
		return r.APIName
	}
	return r.Identifier
}

// hasErr reports whether any of keys has a message in errs.
func hasErr(errs map[string]string, keys ...string) bool {
	for _, k := range keys {
		if errs[k] != "" {
			return true
		}
	}
	return false
}

// firstErr is the first non-empty message in errs among keys, or "".
func firstErr(errs map[string]string, keys ...string) string {
	for _, k := range keys {
		if errs[k] != "" {
			return errs[k]
		}
	}
	return ""
}

// boolAttr renders a boolean for a data attribute: "true" or "false".
func boolAttr(b bool) string {
	return strconv.FormatBool(b)
}

// revokedHeadline is the headline of the revoked-keys box.
func revokedHeadline(n int) string {
	if n == 1 {
		return "1 API key was revoked."
	}
	return strconv.Itoa(n) + " API keys were revoked."
}

// capText renders a lifetime cap described in words, "no cap" when empty.
func capText(s string) string {
	if s == "" {
		return "no cap"
	}
	return s
}

// scopesEmptyText is the scopes table's empty state, depending on who is looking.
func scopesEmptyText(canManage bool) string {
	if canManage {
		return "Add the scopes your API checks below; credentials for it carry none until then."
	}
	return "This API defines no scopes: credentials for it carry none."
}

// requestsEmptyText is the access requests' empty state.
func requestsEmptyText(listed, canManage bool) string {
	switch {
	case listed:
		return "When a project of another team asks for access from the catalog, its request appears here."
	case canManage:
		return "This API is not listed in the catalog, so other teams cannot ask for access. List it in the settings below if they should."
	default:
		return "This API is not listed in the catalog, so other teams cannot ask for access."
	}
}

// grantsEmptyText is the grants table's empty state.
func grantsEmptyText(canManage bool, team string) string {
	if canManage {
		return "Grant one of your team's projects access below, or approve another team's request."
	}
	return "Owners and admins of " + team + " grant projects access."
}

// scopeDescription is what a scope checkbox shows under the scope's name: what its
// label says beyond the name, else the description the API gives the scope.
func scopeDescription(scopes []ScopeRow, c Checkbox) string {
	if d := scopeBoxDescription(c); d != "" {
		return d
	}
	for _, s := range scopes {
		if s.Name == c.Value {
			return s.Description
		}
	}
	return ""
}

// pendingDecisionText says who decides a pending request.
func pendingDecisionText(r AccessRequestRow) string {
	if r.Migration {
		return "The project keeps its access until the API's team decides."
	}
	return "Waiting for the API's team."
}

// kitHasURLs reports whether the verification kit has any URL to show.
func kitHasURLs(k VerificationKit) bool {
	return k.Issuer != "" || k.JWKSURL != "" || k.JWKSPEMURL != "" || k.MetadataURL != "" || k.IntrospectionURL != ""
}
