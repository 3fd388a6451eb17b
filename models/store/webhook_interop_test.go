package store_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/storetest"
)

// swCase is one delivery for the standardwebhooks script to verify.
type swCase struct {
	Name    string            `json:"name"`
	Secret  string            `json:"secret"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	want    bool
}

// swHeaders are a received request's Standard Webhooks headers, lower-case.
func swHeaders(r received) map[string]string {
	return map[string]string{"webhook-id": r.header.Get("webhook-id"), "webhook-timestamp": r.header.Get("webhook-timestamp"),
		"webhook-signature": r.header.Get("webhook-signature")}
}

// swNode finds node and a node_modules holding standardwebhooks (named by
// GATEHOUSE_TEST_NODE_MODULES, as .ci/run installs it); without them the test skips, or
// fails under GATEHOUSE_TEST_INTEROP=require.
func swNode(t *testing.T) (node, mods string) {
	t.Helper()
	return storetest.NodePackage(t, "standardwebhooks")
}

// swVerify runs the cases through the npm standardwebhooks package and checks each
// verdict.
func swVerify(t *testing.T, cases []swCase) {
	t.Helper()
	node, mods := swNode(t)
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "standardwebhooks_verify.cjs"))
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	cmd.Stdin = strings.NewReader(string(in))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("standardwebhooks script: %v\n%s", err, stderr.String())
	}
	type verdict struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	got := map[string]verdict{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var v verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("script output %q: %v", sc.Text(), err)
		}
		got[v.Name] = v
	}
	for _, c := range cases {
		v, ok := got[c.Name]
		switch {
		case !ok:
			t.Errorf("%s: no verdict from the script", c.Name)
		case v.OK != c.want && c.want:
			t.Errorf("%s: refused by standardwebhooks (%s), want accepted", c.Name, v.Error)
		case v.OK != c.want:
			t.Errorf("%s: accepted by standardwebhooks, want refused", c.Name)
		}
	}
}

// TestWebhookStandardWebhooksInterop: real deliveries from the portal's sender, checked
// by the npm standardwebhooks package: a genuine one verifies; a changed body, a
// changed timestamp, a delivery signed ten minutes ago and a wrong secret are refused;
// during a rotation either secret verifies, and each of the two signatures belongs to
// one secret.
func TestWebhookStandardWebhooksInterop(t *testing.T) {
	swNode(t) // skip before building the world when node is missing
	s := storetest.SQLite(t)
	ctx := context.Background()
	h := newHookWorld(t, s)
	run(t, s)
	ep, secret := h.endpoint(t, models.EventAPIKeyCreated)
	h.key(t, "fresh")
	run(t, s)
	// A delivery sent with the portal's clock ten minutes behind: genuinely signed, but
	// with a timestamp outside the receiver's five-minute tolerance.
	h.clock.Advance(-10 * time.Minute)
	h.key(t, "old")
	run(t, s)
	h.clock.Advance(10 * time.Minute)
	got := h.recv.requests()
	if len(got) != 2 {
		t.Fatalf("%d deliveries, want 2", len(got))
	}
	good, old := got[0], got[1]
	ts, err := strconv.ParseInt(good.header.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	otherTS := swHeaders(good)
	otherTS["webhook-timestamp"] = strconv.FormatInt(ts+1, 10)
	cases := []swCase{
		{Name: "genuine", Secret: secret, Headers: swHeaders(good), Body: string(good.body), want: true},
		{Name: "body changed", Secret: secret, Headers: swHeaders(good), Body: strings.Replace(string(good.body), "api_key.created", "api_key.revoked", 1)},
		{Name: "body with a space added", Secret: secret, Headers: swHeaders(good), Body: string(good.body) + " "},
		{Name: "timestamp changed", Secret: secret, Headers: otherTS, Body: string(good.body)},
		{Name: "signed ten minutes ago", Secret: secret, Headers: swHeaders(old), Body: string(old.body)},
		{Name: "another secret", Secret: models.NewWebhookSecret(), Headers: swHeaders(good), Body: string(good.body)},
	}

	// Rotation: two signatures, either secret verifies; each signature alone verifies
	// with its own secret only (the new one first).
	newSecret, err := s.RotateWebhookSecret(ctx, h.admin, h.team.ID, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.key(t, "during rotation")
	run(t, s)
	got = h.recv.requests()
	rot := got[len(got)-1]
	sigs := strings.Fields(rot.header.Get("webhook-signature"))
	if len(sigs) != 2 {
		t.Fatalf("during the rotation: %d signatures, want 2", len(sigs))
	}
	only := func(sig string) map[string]string {
		hd := swHeaders(rot)
		hd["webhook-signature"] = sig
		return hd
	}
	cases = append(cases,
		swCase{Name: "rotation, old secret", Secret: secret, Headers: swHeaders(rot), Body: string(rot.body), want: true},
		swCase{Name: "rotation, new secret", Secret: newSecret, Headers: swHeaders(rot), Body: string(rot.body), want: true},
		swCase{Name: "rotation, first signature, new secret", Secret: newSecret, Headers: only(sigs[0]), Body: string(rot.body), want: true},
		swCase{Name: "rotation, first signature, old secret", Secret: secret, Headers: only(sigs[0]), Body: string(rot.body)},
		swCase{Name: "rotation, second signature, old secret", Secret: secret, Headers: only(sigs[1]), Body: string(rot.body), want: true},
		swCase{Name: "rotation, second signature, new secret", Secret: newSecret, Headers: only(sigs[1]), Body: string(rot.body)},
		swCase{Name: "rotation, body changed", Secret: newSecret, Headers: swHeaders(rot), Body: string(rot.body) + "\n"},
	)
	swVerify(t, cases)

	// The portal's own signer agrees with the library on the genuine delivery.
	want, err := models.WebhookSignature(secret, good.header.Get("webhook-id"), ts, good.body)
	if err != nil || want != good.header.Get("webhook-signature") {
		t.Errorf("the delivery's signature %q, want %q (%v)", good.header.Get("webhook-signature"), want, err)
	}
}
