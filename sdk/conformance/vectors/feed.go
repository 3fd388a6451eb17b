package vectors

import (
	"strconv"
	"strings"
)

// The revocation feed's cases (GET /statuslists/events, docs: feed-format): signed
// status events pushed to a verifier that holds the list. A genuine event sets a bit; a
// forged, misdirected or malformed one is dropped and counted as rejected; nothing the
// feed says can clear a bit.

// TypStatusEvent is the typ of a status event.
const TypStatusEvent = "statuslist-event+jwt"

// FeedCase is a verifier that first verifies each of Prime (each must be accepted: the
// verifier now holds their lists), then receives Events in order as if from its feed
// connection, then verifies each of Checks. Rejected is how many events it must count as
// rejected; LastEventID, when not null, is the Last-Event-ID it would reconnect with
// ("": none).
type FeedCase struct {
	Name        string      `json:"name"`
	Options     Options     `json:"options"`
	Prime       []string    `json:"prime"`
	Events      []FeedEvent `json:"events"`
	Checks      []FeedCheck `json:"checks"`
	Rejected    int         `json:"rejected"`
	LastEventID *string     `json:"last_event_id"`
}

// FeedEvent is one server-sent event: its id, its type (status) and its data (the
// compact JWS).
type FeedEvent struct {
	ID    string `json:"id"`
	Event string `json:"event"`
	Data  string `json:"data"`
}

// FeedCheck is a credential verified after the events and its answer.
type FeedCheck struct {
	Token  string `json:"token"`
	Expect Expect `json:"expect"`
}

// eventClaims are a good status event's claims: index idx of list id revoked at seq,
// edited.
func eventClaims(id string, idx int, seq int64, edits ...claimsEdit) map[string]any {
	c := map[string]any{"iss": Issuer, "uri": StatusListPrefix + id, "idx": idx, "status": 1, "ver": seq, "seq": seq, "iat": Now}
	for _, e := range edits {
		e(c)
	}
	return c
}

// event signs claims as the issuer's event number seq.
func (b *builder) event(seq int64, claims map[string]any) FeedEvent {
	return FeedEvent{ID: strconv.FormatInt(seq, 10), Event: "status", Data: b.sign(TypStatusEvent, claims)}
}

// revoke is the genuine event revoking idx of sl_1 at seq.
func (b *builder) revoke(seq int64, idx int) FeedEvent {
	return b.event(seq, eventClaims("sl_1", idx, seq))
}

func lastID(s string) *string { return &s }

// feedCase adds a case whose verifier holds sl_1 (primed with the key on its index 3).
func (b *builder) feedCase(name string, rejected int, last *string, events []FeedEvent, checks ...FeedCheck) {
	b.feed = append(b.feed, FeedCase{Name: name, Options: defaults(), Prime: []string{b.keyOn(StatusListPrefix+"sl_1", 3)},
		Events: events, Checks: checks, Rejected: rejected, LastEventID: last})
}

// revokedAt and liveAt are checks of the key on index idx of list id.
func (b *builder) revokedAt(id string, idx int) FeedCheck {
	return FeedCheck{Token: b.keyOn(StatusListPrefix+id, idx), Expect: Expect{Error: CodeRevoked}}
}

func (b *builder) liveAt(id string, idx int) FeedCheck {
	p := keyPrincipal()
	return FeedCheck{Token: b.keyOn(StatusListPrefix+id, idx), Expect: Expect{Valid: true, Principal: &p}}
}

func (b *builder) feedCases() {
	b.serveList("sl_feed", b.sign("statuslist+jwt", listClaims("sl_feed", make([]byte, 16), 1)))
	none := lastID("")
	live3, revoked3, live4 := b.liveAt("sl_1", 3), b.revokedAt("sl_1", 3), b.liveAt("sl_1", 4)
	good := b.revoke(101, 3)
	b.feedCase("feed/signed event revokes its index", 0, lastID("101"), []FeedEvent{good}, revoked3, live4)
	b.feedCase("feed/two events in order", 0, lastID("102"), []FeedEvent{good, b.revoke(102, 4)}, revoked3, b.revokedAt("sl_1", 4))
	b.feedCase("feed/replayed event changes nothing more", 0, lastID("101"), []FeedEvent{good, good}, revoked3, live4)

	forged := func(name string, ev FeedEvent) {
		b.feedCase("feed/"+name, 1, none, []FeedEvent{ev}, live3)
	}
	claims := func(edits ...claimsEdit) map[string]any { return eventClaims("sl_1", 3, 101, edits...) }
	forged("typ statuslist+jwt", FeedEvent{ID: "101", Event: "status", Data: b.sign("statuslist+jwt", claims())})
	forged("typ JWT", FeedEvent{ID: "101", Event: "status", Data: b.sign("JWT", claims())})
	forged("no typ", FeedEvent{ID: "101", Event: "status", Data: b.sign("", claims())})
	forged("typ in another case", FeedEvent{ID: "101", Event: "status", Data: b.sign("Statuslist-Event+JWT", claims())})
	forged("an API key sent as an event", FeedEvent{ID: "101", Event: "status", Data: b.keyOn(StatusListPrefix+"sl_1", 3)})
	forged("wrong iss", b.event(101, claims(set("iss", attackerURL))))
	forged("no iss", b.event(101, claims(del("iss"))))
	forged("uri of another issuer", b.event(101, claims(set("uri", attackerURL+"/statuslists/sl_1"))))
	forged("uri under the issuer but not a status list", b.event(101, claims(set("uri", Issuer+"/lists/sl_1"))))
	forged("idx out of range (128 in a 16-byte list)", b.event(101, claims(set("idx", 128))))
	forged("idx negative", b.event(101, claims(set("idx", -1))))
	forged("idx a string", b.event(101, claims(set("idx", "3"))))
	forged("idx not an integer", b.event(101, claims(set("idx", 3.5))))
	forged("seq is not the event id", b.event(101, claims(set("seq", 102))))
	forged("seq zero", FeedEvent{ID: "0", Event: "status", Data: b.sign(TypStatusEvent, claims(set("seq", 0)))})
	forged("no seq", FeedEvent{ID: "101", Event: "status", Data: b.sign(TypStatusEvent, claims(del("seq")))})
	forged("unknown kid", FeedEvent{ID: "101", Event: "status", Data: signTyp(attackerKid, b.attacker, TypStatusEvent, claims())})
	forged("the issuer's kid, signed by another key", FeedEvent{ID: "101", Event: "status",
		Data: signTyp(kid, b.attacker, TypStatusEvent, claims())})
	forged("alg none", FeedEvent{ID: "101", Event: "status",
		Data: unsigned(map[string]any{"alg": "none", "kid": kid, "typ": TypStatusEvent}, claims(), nil)})
	forged("duplicate idx member", FeedEvent{ID: "101", Event: "status",
		Data: signRaw(b.key, `{"alg":"ES256","kid":"k1","typ":"`+TypStatusEvent+`"}`,
			eventRaw(`"iss":"`+Issuer+`"`, `"uri":"`+StatusListPrefix+`sl_1"`, `"idx":4`, `"idx":3`, `"status":1`, `"ver":101`,
				`"seq":101`, `"iat":`+strconv.FormatInt(Now, 10)))})
	// The payload of another genuine event (index 4) under the signature of good.
	other := parts(b.revoke(101, 4).Data)
	tampered := strings.Join([]string{parts(good.Data)[0], other[1], parts(good.Data)[2]}, ".")
	b.feedCase("feed/tampered payload", 1, none, []FeedEvent{{ID: "101", Event: "status", Data: tampered}}, live3, live4)

	// Genuine events that change nothing.
	b.feedCase("feed/status 0 is ignored", 0, nil, []FeedEvent{b.event(101, claims(set("status", 0)))}, live3)
	b.feedCase("feed/status 0 cannot clear a revoked bit", 0, nil,
		[]FeedEvent{good, b.event(102, claims(set("status", 0), set("seq", 102), set("ver", 102)))}, revoked3)
	b.feedCase("feed/an event for a list the verifier does not hold is ignored", 0, nil,
		[]FeedEvent{b.event(101, eventClaims("sl_feed", 3, 101))}, live3, b.liveAt("sl_feed", 3))
	// A forged event among genuine ones changes nothing, and those around it still apply.
	b.feedCase("feed/a forged event between genuine ones", 1, lastID("102"),
		[]FeedEvent{good, {ID: "150", Event: "status", Data: signTyp(kid, b.attacker, TypStatusEvent, eventClaims("sl_1", 4, 150))},
			b.revoke(102, 5)},
		revoked3, live4, b.revokedAt("sl_1", 5))
}

// eventRaw is a claims object with exactly these members, in this order (duplicates
// kept).
func eventRaw(members ...string) string { return "{" + strings.Join(members, ",") + "}" }
