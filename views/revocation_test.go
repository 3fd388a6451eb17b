package views

import (
	"strings"
	"testing"
	"time"
)

func TestRevocationDelay(t *testing.T) {
	for ttl, want := range map[time.Duration]string{
		0:                                  "a minute", // the signer's default
		time.Minute:                        "a minute",
		5 * time.Minute:                    "5 minutes",
		90 * time.Minute:                   "90 minutes",
		30 * time.Second:                   "30 seconds",
		90 * time.Second:                   "90 seconds",
		time.Second:                        "1 second",
		2 * time.Second:                    "2 seconds",
		500 * time.Millisecond:             "1 second",   // rounded up, never below the bound
		2*time.Second + time.Millisecond:   "3 seconds",  // likewise
		time.Minute + 500*time.Millisecond: "61 seconds", // not a whole minute
	} {
		if got := RevocationDelay(ttl); got != want {
			t.Errorf("RevocationDelay(%s) = %q, want %q", ttl, got, want)
		}
	}
}

// TestRevokeTextsFollowStatusListTTL checks that every text promising when APIs reject
// a revoked key names the configured status-list ttl, the default and another.
func TestRevokeTextsFollowStatusListTTL(t *testing.T) {
	for ttl, within := range map[time.Duration]string{time.Minute: "within a minute", 5 * time.Minute: "within 5 minutes"} {
		keys := ownerKeys()
		keys.StatusListTTL = ttl
		keys.RevokeByValue = RevokeByValueForm{Revoked: "key_9"}
		doc, _ := render(t, APIKeysSection(keys))
		revoke := formByAction(doc, "/projects/p%2F1/keys/key_1/revoke")
		if revoke.Length() != 1 {
			t.Fatalf("ttl %s: revoke form: %d", ttl, revoke.Length())
		}
		if got, want := confirmQuestion(revoke), "Revoke API key "+xssScript+"? Every API will reject it "+within+"."; got != want {
			t.Errorf("ttl %s: revoke confirm = %q, want %q", ttl, got, want)
		}
		byValue := formByAction(doc, "/projects/p%2F1/keys/revoke-by-value")
		if got, want := confirmQuestion(byValue), "Revoke the pasted key? Every API rejects it "+within+"."; got != want {
			t.Errorf("ttl %s: revoke-by-value confirm = %q, want %q", ttl, got, want)
		}
		done := strings.Join(strings.Fields(wantCount(t, doc, "revoke-by-value-done", 1).Text()), " ")
		if want := "Revoked API key key_9. Every API will reject it " + within + "."; done != want {
			t.Errorf("ttl %s: revoke-by-value = %q, want %q", ttl, done, want)
		}

		vm := hostileAPI()
		vm.StatusListTTL = ttl
		vm.RevokedKeys = []RevokedKeyRow{{ID: "key_1", Name: "ci", ProjectID: "prj1", ProjectName: "Billing"}}
		doc, _ = render(t, APIPage(signedIn(), vm))
		box := strings.Join(strings.Fields(wantCount(t, doc, "revoked-keys", 1).Find("p").Text()), " ")
		if want := "Every API rejects them " + within + ". Tell their owners"; !strings.Contains(box, want) {
			t.Errorf("ttl %s: revoked keys box lacks %q: %q", ttl, want, box)
		}
	}
}
