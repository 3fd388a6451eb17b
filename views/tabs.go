package views

import "strings"

// Tab is one entry of a page's navigation (Tabs).
type Tab struct {
	Key     string // "keys": the data-testid is "tab-keys"
	Label   string
	Href    string
	Badge   string // a count to call out, such as pending requests; "" for none
	Current bool
}

// A project's pages.
const (
	ProjectTabOverview    = "overview"
	ProjectTabKeys        = "keys"
	ProjectTabCredentials = "credentials"
	ProjectTabAccess      = "access"
	ProjectTabUsage       = "usage"
	ProjectTabSettings    = "settings"
)

// A team's pages.
const (
	TeamTabOverview = "overview"
	TeamTabMembers  = "members"
	TeamTabAudit    = "audit"
	TeamTabWebhooks = "webhooks"
	TeamTabSettings = "settings"
)

// An API's pages.
const (
	APITabOverview = "overview"
	APITabAccess   = "access"
	APITabVerify   = "verify"
	APITabUsage    = "usage"
	APITabSettings = "settings"
)

// tabs marks current among the given (key, label) pairs; href builds each URL.
func tabs(current string, href func(string) string, entries ...[2]string) []Tab {
	if current == "" {
		current = entries[0][0]
	}
	out := make([]Tab, 0, len(entries))
	for _, e := range entries {
		out = append(out, Tab{Key: e[0], Label: e[1], Href: href(e[0]), Current: e[0] == current})
	}
	return out
}

// projectTabs are the project's pages.
func projectTabs(vm ProjectVM) []Tab {
	return tabs(vm.Tab, func(t string) string { return ProjectTabPath(vm.ID, t) },
		[2]string{ProjectTabOverview, "Overview"},
		[2]string{ProjectTabKeys, "API keys"},
		[2]string{ProjectTabCredentials, "Client credentials"},
		[2]string{ProjectTabAccess, "API access"},
		[2]string{ProjectTabUsage, "Usage"},
		[2]string{ProjectTabSettings, "Settings"},
	)
}

// teamTabs are the team's pages the viewer may open.
func teamTabs(id, current string, canAudit bool) []Tab {
	entries := [][2]string{{TeamTabOverview, "Projects and APIs"}, {TeamTabMembers, "Members"}}
	if canAudit {
		entries = append(entries, [2]string{TeamTabAudit, "Audit log"})
	}
	entries = append(entries, [2]string{TeamTabWebhooks, "Webhooks"}, [2]string{TeamTabSettings, "Settings"})
	return tabs(current, func(t string) string { return TeamTabPath(id, t) }, entries...)
}

// apiTabs are the API's pages the viewer may open: everyone sees the overview; its
// team, the access decisions, the verification kit and usage; its managers, settings.
func apiTabs(vm APIPageVM) []Tab {
	entries := [][2]string{{APITabOverview, "Overview"}}
	if vm.MyRole != "" {
		entries = append(entries, [2]string{APITabAccess, "Access"}, [2]string{APITabVerify, "Verify credentials"},
			[2]string{APITabUsage, "Usage"})
	}
	if vm.Can.Manage {
		entries = append(entries, [2]string{APITabSettings, "Settings"})
	}
	out := tabs(vm.Tab, func(t string) string { return APITabPath(vm.ID, t) }, entries...)
	for i := range out {
		if out[i].Key == APITabAccess {
			if n := len(pendingRequests(vm.Requests)); n > 0 {
				out[i].Badge = pendingText(n)
			}
		}
	}
	return out
}

// Confirm is a two-step submit button (ConfirmButton).
type Confirm struct {
	Label    string // the first button: "Revoke"
	Hidden   string // said to screen readers after Label: the name of what it acts on
	Question string // what happens, asked before it does: "Revoke key ci? …"
	Yes      string // the second button; "Yes, " + lower-cased Label when empty
	TestID   string // the second button's data-testid; the first is TestID+"-open"
	Danger   bool   // a full danger button (a danger zone), not an outline one
}

// confirmLabel is the second button's text.
func confirmLabel(c Confirm) string {
	if c.Yes != "" {
		return c.Yes
	}
	if c.Label == "" {
		return "Yes"
	}
	return "Yes, " + strings.ToLower(c.Label[:1]) + c.Label[1:]
}
