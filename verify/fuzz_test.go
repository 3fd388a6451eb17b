package verify

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/verify/jsonstrict"
)

// Helpers of this file are prefixed fz; it also uses the hx helpers of hostile_test.go.

// fzFixedKey is a P-256 key derived from a constant, so the seed token's header and
// payload are the same on every run.
func fzFixedKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	d := sha256.Sum256([]byte("gatehouse verify fuzz seed key"))
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// fzForbidden are header members whose presence must reject a token.
var fzForbidden = []string{"jwk", "jku", "x5u", "x5c", "crit", "b64", "zip", "enc"}

// FuzzParseCompact: parseCompact never panics, and whatever it accepts is exactly a
// bounded compact JWS whose canonical segments re-join to the input.
func FuzzParseCompact(f *testing.F) {
	key := fzFixedKey(f)
	exp := time.Date(2026, 5, 1, 13, 0, 0, 0, time.UTC).Unix()
	valid := hxSign(key, map[string]any{"alg": "ES256", "typ": "apikey+jwt", "kid": "k1"},
		map[string]any{"iss": "https://portal.example.com", "sub": "prj_orders", "aud": "orders-api", "exp": exp, "jti": "key_1"})
	hp := hxParts(valid)
	jwe := b64.EncodeToString([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM","kid":"k1"}`)) + ".AAAA.BBBB.CCCC.DDDD"
	for _, s := range []string{
		valid, "", ".", "..", "a.b.c", jwe, strings.Repeat(".", 100),
		hp[0] + "." + hp[1], valid + "." + hp[2], hp[0] + ".." + hp[2], valid + "=",
		b64.EncodeToString([]byte(`{"alg":"none","kid":"k1"}`)) + "." + hp[1] + ".",
		b64.EncodeToString([]byte(`{"alg":"ES256","kid":"k1","jwk":{}}`)) + "." + hp[1] + "." + hp[2],
		b64.EncodeToString([]byte(`{"alg":"ES256","kid":"k1","crit":null}`)) + "." + hp[1] + "." + hp[2],
		b64.EncodeToString([]byte(`{"alg":"ES256","KID":"k1"}`)) + "." + hp[1] + "." + hp[2],
		`{"payload":"` + hp[1] + `","protected":"` + hp[0] + `","signature":"` + hp[2] + `"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := parseCompact(in)
		if err != nil {
			if c != nil {
				t.Fatalf("got a result with error %v", err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrHeader) {
				t.Fatalf("got error %v, want ErrMalformed or ErrHeader", err)
			}
			return
		}
		if len(in) > MaxTokenLen {
			t.Fatalf("accepted %d bytes, want ≤ MaxTokenLen", len(in))
		}
		seg := strings.Split(in, ".")
		if len(seg) != 3 {
			t.Fatalf("accepted %d segments, want exactly two dots", len(seg))
		}
		hb, err := b64.DecodeString(seg[0])
		if err != nil || !json.Valid(hb) {
			t.Fatalf("accepted a header that is not base64url JSON: %q", seg[0])
		}
		var h struct {
			Kid string `json:"kid"`
		}
		if err := json.Unmarshal(hb, &h); err != nil || h.Kid == "" || len(h.Kid) > 128 {
			t.Fatalf("accepted a header without a usable kid: %q", hb)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(hb, &members); err != nil {
			t.Fatalf("accepted a header that is not a JSON object: %q", hb)
		}
		for _, m := range fzForbidden {
			if _, ok := members[m]; ok {
				t.Fatalf("accepted a header with %q: %q", m, hb)
			}
		}
		// Canonical segments: re-encoding what was decoded gives back the input.
		if got := b64.EncodeToString(hb); got != seg[0] {
			t.Fatalf("header segment: got %q re-encoded, want %q", got, seg[0])
		}
		if got := b64.EncodeToString(c.payload); got != seg[1] {
			t.Fatalf("payload segment: got %q re-encoded, want %q", got, seg[1])
		}
		if got := c.signingInput + "." + b64.EncodeToString(c.signature); got != in {
			t.Fatalf("re-joined segments: got %q, want the input %q", got, in)
		}
	})
}

// FuzzVerify: Verify never panics and accepts nothing but the valid seed credentials.
func FuzzVerify(f *testing.F) {
	iss := newIssuer(f)
	v := iss.verifier()
	ctx := context.Background()
	kid, key := hxSigningKey(iss)
	valid := map[string]bool{}
	for _, tok := range []string{
		iss.apiKey(nil),
		iss.accessToken(),
		iss.sign("application/at+jwt", hxAccessClaims(iss, nil)),
		iss.apiKey(func(c map[string]any) { c["aud"] = "orders-api"; c["jti"] = "key_2" }),
	} {
		if _, err := v.Verify(ctx, tok); err != nil {
			f.Fatalf("seed credential rejected: %v", err)
		}
		valid[tok] = true
		f.Add(tok)
	}
	good := iss.apiKey(nil)
	hp := hxParts(good)
	claims := iss.claims()
	hdr := func(extra map[string]any) map[string]any {
		h := map[string]any{"alg": "ES256", "typ": "apikey+jwt", "kid": kid}
		for k, x := range extra {
			h[k] = x
		}
		return h
	}
	for _, s := range []string{
		"", ".", "..", "a.b.c", strings.Repeat(".", 100), hp[0] + "." + hp[1], good + "." + hp[2],
		hxFlip(good),
		hxUnsigned(hdr(map[string]any{"alg": "none"}), claims, nil),
		hxUnsigned(hdr(map[string]any{"alg": "none"}), claims, hxSigOf(good)),
		hxHS256([]byte("secret"), hdr(map[string]any{"alg": "HS256"}), claims),
		hxSign(key, hdr(map[string]any{"jku": "http://127.0.0.1:1/jwks"}), claims),
		hxSign(key, hdr(map[string]any{"kid": "k999"}), claims),
		hxSign(key, hdr(map[string]any{"crit": []string{"exp"}}), claims),
		hxSign(key, hdr(map[string]any{"typ": "JWT"}), claims),
		hxWithSig(good, make([]byte, 64)),
		iss.apiKey(func(c map[string]any) { c["exp"] = "9999999999" }),
		iss.apiKey(func(c map[string]any) { c["aud"] = "billing-api" }),
		iss.apiKey(func(c map[string]any) {
			c["status"] = map[string]any{"status_list": map[string]any{"idx": 3, "uri": "http://127.0.0.1:1/statuslists/sl_1"}}
		}),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := v.Verify(ctx, in)
		if err == nil && !valid[in] {
			t.Fatalf("accepted a credential that is not a valid seed: %q → %+v", in, p)
		}
		if err == nil && p == nil {
			t.Fatalf("nil principal without an error")
		}
		if err != nil && p != nil {
			t.Fatalf("principal %+v with error %v", p, err)
		}
	})
}

// FuzzStatusList: inflate and decodeStatusList never panic and never yield more than
// maxStatusBytes (inflate: more than its limit), whatever the lst bytes, bits and typ.
func FuzzStatusList(f *testing.F) {
	iss := newIssuer(f)
	v := iss.verifier()
	ctx := context.Background()
	kid, key := hxSigningKey(iss)
	uri := iss.url + "/statuslists/sl_fuzz"
	bomb := hxZlibZeros(maxStatusBytes+1, zlib.BestCompression)
	f.Add(make([]byte, 16), "", false, true, 1, "statuslist+jwt", uint32(maxStatusBytes))
	f.Add(zlibBytes(make([]byte, 16)), "", false, false, 1, "statuslist+jwt", uint32(16))
	f.Add(zlibBytes(make([]byte, 16)), "", false, false, 1, "statuslist+jwt", uint32(15))
	f.Add(bomb, "", false, false, 1, "statuslist+jwt", uint32(maxStatusBytes))
	f.Add([]byte("not zlib"), "", false, false, 1, "statuslist+jwt", uint32(100))
	f.Add([]byte{0x78, 0x9c}, "", false, false, 1, "application/statuslist+jwt", uint32(100))
	f.Add([]byte{}, "!!not base64!!", true, false, 1, "statuslist+jwt", uint32(0))
	f.Add(make([]byte, 16), "", false, true, 2, "statuslist+jwt", uint32(1))
	f.Add(make([]byte, 16), "", false, true, 1, "JWT", uint32(1))
	f.Add(make([]byte, 16), "", false, true, 1, "", uint32(1))
	f.Fuzz(func(t *testing.T, z []byte, lst string, rawLst, compress bool, nbits int, typ string, limit uint32) {
		lim := int(limit % (maxStatusBytes + 1))
		if out, err := inflate(z, lim); len(out) > lim || (err != nil && out != nil) {
			t.Fatalf("inflate(limit %d): got %d bytes and %v", lim, len(out), err)
		}
		out, err := inflate(z, maxStatusBytes)
		if len(out) > maxStatusBytes {
			t.Fatalf("inflate: got %d bytes, want ≤ maxStatusBytes", len(out))
		}
		data := z
		if compress {
			data = zlibBytes(z)
		}
		if !rawLst {
			lst = b64.EncodeToString(data)
		}
		now := iss.clock.now()
		tok := hxSign(key, map[string]any{"alg": "ES256", "typ": typ, "kid": kid}, map[string]any{
			"iss": iss.url, "sub": uri, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "ttl": 60,
			"status_list": map[string]any{"bits": nbits, "lst": lst}})
		l, derr := v.decodeStatusList(ctx, uri, tok)
		if derr != nil {
			if l != nil {
				t.Fatalf("decodeStatusList: a list with error %v", derr)
			}
			if !errors.Is(derr, ErrStatusUnavailable) {
				t.Fatalf("decodeStatusList: got %v, want ErrStatusUnavailable", derr)
			}
			return
		}
		switch {
		case len(l.bits) > maxStatusBytes:
			t.Fatalf("decodeStatusList: got %d bytes, want ≤ maxStatusBytes", len(l.bits))
		case nbits != 1:
			t.Fatalf("decodeStatusList accepted bits %d", nbits)
		case normalizeTyp(typ) != "statuslist+jwt":
			t.Fatalf("decodeStatusList accepted typ %q", typ)
		}
		if !rawLst && compress && !bytes.Equal(l.bits, z) {
			t.Fatalf("decodeStatusList: got bits %x, want %x", l.bits, z)
		}
		if !rawLst && !compress && (err != nil || !bytes.Equal(l.bits, out)) {
			t.Fatalf("decodeStatusList accepted what inflate rejects (%v)", err)
		}
	})
}

// fzStrictVerdict names the package error of a jsonstrict.Check result.
func fzStrictVerdict(err error) string {
	for _, e := range []struct {
		name string
		err  error
	}{{"syntax", jsonstrict.ErrSyntax}, {"depth", jsonstrict.ErrDepth}, {"invalid name", jsonstrict.ErrInvalidName},
		{"case variant", jsonstrict.ErrCaseVariant}, {"duplicate", jsonstrict.ErrDuplicate}} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	if err != nil {
		return "unclassified: " + err.Error()
	}
	return "ok"
}

// fzLegacyFold folds as encoding/json did from Go 1.21 to 1.25.
func fzLegacyFold(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, s)
}

// fzStrictReference is the slow reference for jsonstrict.Check on data that
// encoding/json accepts as an object: it walks encoding/json's Decoder tokens and
// returns the first problem in document order, checking each member name for valid
// UTF-8 (in the input), then for a case variant of a known name (strings.EqualFold,
// which is encoding/json's matching, or the older upper-of-lower folding), then for a
// duplicate in its object; and every opening of an object or array for depth.
func fzStrictReference(data []byte, known []string) string {
	type level struct {
		object, wantName bool
		names            map[string]bool
	}
	var stack []*level
	valueDone := func() {
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantName = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err == io.EOF {
			return "ok"
		}
		if err != nil {
			return "syntax"
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantName {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			name := tok.(string)
			raw := data[before:dec.InputOffset()]
			if !utf8.Valid(raw[bytes.IndexByte(raw, '"'):]) {
				return "invalid name"
			}
			if !slices.Contains(known, name) && slices.ContainsFunc(known, func(k string) bool {
				return strings.EqualFold(name, k) || fzLegacyFold(name) == fzLegacyFold(k)
			}) {
				return "case variant"
			}
			if stack[n-1].names[name] {
				return "duplicate"
			}
			stack[n-1].names[name] = true
			stack[n-1].wantName = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == jsonstrict.MaxDepth {
				return "depth"
			}
			stack = append(stack, &level{object: tok == json.Delim('{'), wantName: true, names: map[string]bool{}})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

// fzNamesOf lists the JSON names of a struct's fields, nested structs included.
func fzNamesOf(t reflect.Type) []string {
	var out []string
	for name := range stTagNames(t, nil) {
		out = append(out, name)
	}
	return out
}

// FuzzJSONStrict compares jsonstrict.Check with fzStrictReference, with verify's header
// and claim names and with non-ASCII names: on every input encoding/json accepts as an
// object they must give the same verdict; and Check accepts nothing else.
func FuzzJSONStrict(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"aud":"a","aud":"b"}`, `{"aud":"a","AUD":"b"}`, `{"\u0061ud":1,"aud":2}`, `{"ſub":1}`, `{"ıss":1}`,
		"{\"\u212aid\":1}", `{"\u212aid":1}`, `{"status":{"status_list":{"idx":1,"uri":"u","idx":2}}}`,
		`{"alg":"ES256","kid":"k1","typ":"apikey+jwt"}`, `{"a":[{"b":1},{"b":1,"b":2}]}`, `{"😀":1,"\ud83d\ude00":2}`,
		`{"\ud800":1,"\udc00":2}`, `{"\ud800\u0041":1}`, "{\"a\xff\":1}", `{"a":"\u00e9\n","b":-1.5e-3,"c":[true,false,null]}`,
		`{"Straße":1,"STRAẞE":2}`, `{"ǅ":1}`, `{"x":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,` +
			`"q":17,"r":18,"s":19,"t":20,"u":21,"v":22,"w":23,"x":24,"y":25,"z":26,"A":27,"B":28,"C":29,"D":30,"E":31,` +
			`"F":32,"G":33,"H":34,"I":35,"a":36}`,
		` { "a" : { } , "b" : [ ] } `, `{"a":1,}`, `[{}]`, `{"a":01}`, `{"a":1e400}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	sets := []struct {
		names jsonstrict.Names
		list  []string
	}{
		{headerNames, fzNamesOf(reflect.TypeFor[joseHeader]())},
		{claimNames, fzNamesOf(reflect.TypeFor[tokenClaims]())},
		{jsonstrict.NewNames("straße", "ǆ", "k", "é", "a"), []string{"straße", "ǆ", "k", "é", "a"}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		object := json.Valid(data) && len(trimmed) > 0 && trimmed[0] == '{'
		for _, set := range sets {
			err := jsonstrict.Check(data, set.names)
			got := fzStrictVerdict(err)
			if !object {
				if err == nil {
					t.Fatalf("Check accepted %q, which encoding/json does not take for an object", data)
				}
				continue
			}
			if want := fzStrictReference(data, set.list); got != want {
				t.Fatalf("names %q, input %q: got %s (%v), want %s", set.list, data, got, err, want)
			}
		}
	})
}
