package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserOperatorRotation signs in as an operator (GATEHOUSE_ADMIN_EMAILS), starts
// a signing-key rotation through its two-step confirmation, and reads the rotation history:
// the operator's publication first, the portal's own first key last, "by scheduled
// rotation". The page fits at 1280 and 390 pixels.
func TestBrowserOperatorRotation(t *testing.T) {
	t.Parallel()
	chrome := requireChromium(t)
	p := startPortal(t, "GATEHOUSE_ADMIN_EMAILS=ops@example.com")
	b := newBrowser(t, chrome)

	b.open(t, p.URL+"/login?return_to=/admin/signing-keys", 0)
	b.signInDev(t, "ops@example.com", "Olga Ops")
	b.do(t, "wait for the signing keys page", chromedp.WaitVisible(chromedp.CSS(testid("signing-keys"))))
	if got := b.texts(t, testid("rotation-event-by")); len(got) != 1 || got[0] != "scheduled rotation" {
		t.Errorf("rotation history before any rotation: got %q, want the first key, by the schedule", got)
	}
	if q := b.confirm(t, "rotate now", "rotate-signing-keys", 0); !strings.HasPrefix(q, "Start a rotation?") {
		t.Errorf("rotate now: got the question %q, want the rotation's confirmation", q)
	}
	b.do(t, "wait for the rotation", chromedp.WaitVisible(chromedp.CSS(testid("signing-keys"))))
	if d := b.acceptedDialogs(); len(d) != 0 {
		t.Errorf("JavaScript dialogs: got %q, want none (the confirmation is on the page)", d)
	}
	what, by := b.texts(t, testid("rotation-event-what")), b.texts(t, testid("rotation-event-by"))
	if len(what) != 2 || what[0] != "Published" || by[0] != "operator ops@example.com" || by[1] != "scheduled rotation" {
		t.Errorf("rotation history: got %q by %q, want the operator's publication first, then the schedule's first key", what, by)
	}
	checkFits(t, b, "admin-signing-keys")
	b.checkConsole(t)
	expectNoServerErrors(t, p)
}
