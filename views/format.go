package views

import (
	"net/http"
	"strconv"
	"time"
)

// DateTimeLayout is how the views show a moment: always in UTC, e.g. "2 Jan 2006 15:04 UTC".
const DateTimeLayout = "2 Jan 2006 15:04 UTC"

// formatTime renders t in UTC with DateTimeLayout, or "—" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(DateTimeLayout)
}

// isoTime renders t for a <time datetime> attribute, or "" for the zero time.
func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// pageTitle is the document title: "<title> · Gatehouse", or "Gatehouse".
func pageTitle(title string) string {
	if title == "" {
		return "Gatehouse"
	}
	return title + " · Gatehouse"
}

// flashClass maps a flash kind to its CSS class; unknown kinds render as info.
func flashClass(kind string) string {
	switch kind {
	case "success", "error", "info":
		return "flash flash-" + kind
	default:
		return "flash flash-info"
	}
}

// flashRole makes errors assertive alerts and everything else a polite status.
func flashRole(kind string) string {
	if kind == "error" {
		return "alert"
	}
	return "status"
}

// signInLabel is the sign-in button's text.
func signInLabel(provider string) string {
	if provider == "" {
		return "Sign in"
	}
	return "Sign in with " + provider
}

// signInToAccept is the sign-in page's closing words to an invitee.
func signInToAccept(provider string) string {
	if provider == "" {
		return "Sign in to accept."
	}
	return "Sign in with " + provider + " to accept."
}

// memberCount is "1 member" or "N members".
func memberCount(n int) string {
	if n == 1 {
		return "1 member"
	}
	return strconv.Itoa(n) + " members"
}

// displayName is the user's name, or their email when the name is empty.
func displayName(u *CurrentUser) string {
	if u == nil {
		return ""
	}
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// errorTitle is the error page's title, defaulting to the status text.
func errorTitle(vm ErrorVM) string {
	if vm.Title != "" {
		return vm.Title
	}
	if t := http.StatusText(vm.Status); t != "" {
		return t
	}
	return "Something went wrong"
}

// orDash returns s, or "—" when s is empty.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// statusCode renders an HTTP status for the error page.
func statusCode(n int) string {
	return strconv.Itoa(n)
}
