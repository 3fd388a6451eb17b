package jsonstrict

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode"
)

// testNames are verify's claim names.
var testNames = NewNames("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "client_id", "team", "status",
	"status_list", "idx", "uri")

// reasons names the package's errors, for messages.
var reasons = []struct {
	name string
	err  error
}{{"ErrSyntax", ErrSyntax}, {"ErrDepth", ErrDepth}, {"ErrInvalidName", ErrInvalidName},
	{"ErrCaseVariant", ErrCaseVariant}, {"ErrDuplicate", ErrDuplicate}}

// reason names the package error err wraps.
func reason(err error) string {
	if err == nil {
		return "nil (accepted)"
	}
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.name + " (" + err.Error() + ")"
		}
	}
	return "unclassified error " + err.Error()
}

func TestCheck(t *testing.T) {
	nested := func(n int) string { return strings.Repeat(`{"a":`, n-1) + "{}" + strings.Repeat("}", n-1) }
	arrays := func(n int) string { return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}" }
	many := func(n int, last string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `"m%d":%d,`, i, i)
		}
		b.WriteString(`"` + last + `":0}`)
		return b.String()
	}
	for _, c := range []struct {
		name, in string
		want     error
	}{
		{"empty object", `{}`, nil},
		{"whitespace around", " \t\r\n{ } \n", nil},
		{"good claims", `{"iss":"https://p","sub":"prj_1","aud":["a","b"],"exp":1.5e9,"nbf":-0,"iat":0,"jti":"k",` +
			`"status":{"status_list":{"idx":3,"uri":"https://p/s"}},"extra":[true,false,null,{"x":{}},[]],"n":-12.5E+3}`, nil},
		{"unknown names in any case", `{"Foo":1,"FOO":2,"foo":3,"ssub":4,"su":5}`, nil},
		{"same name in different objects", `{"a":{"a":1},"b":[{"a":1},{"a":2}],"c":{"a":{"a":{}}}}`, nil},
		{"same name in sibling objects after a close", `{"x":{"aud":1},"y":{"aud":2},"aud":3}`, nil},
		{"escaped string values", `{"a":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","b":"é\u0000"}`, nil},
		{"escaped unknown name", `{"\u00e9":1,"\n":2}`, nil},
		{"non-ASCII unknown name", `{"é":1,"日本":2,"Straße":3}`, nil},
		{"invalid UTF-8 in a value is encoding/json's business", "{\"a\":\"\xff\"}", nil},
		{"depth MaxDepth", nested(MaxDepth), nil},
		{"array depth MaxDepth", arrays(MaxDepth), nil},
		{"large object", many(200, "zz"), nil},

		{"duplicate", `{"aud":"a","aud":"b"}`, ErrDuplicate},
		{"duplicate with other members between", `{"aud":"a","iss":"x","foo":1,"aud":"b"}`, ErrDuplicate},
		{"duplicate unknown name", `{"foo":1,"foo":2}`, ErrDuplicate},
		{"duplicate empty name", `{"":1,"":2}`, ErrDuplicate},
		{"duplicate nested", `{"status":{"status_list":{"idx":1,"uri":"u","idx":2}}}`, ErrDuplicate},
		{"duplicate in an object in an array", `{"a":[{},{"x":1,"x":2}]}`, ErrDuplicate},
		{"duplicate after a nested object", `{"aud":"a","x":{"aud":"b","y":1},"aud":"c"}`, ErrDuplicate},
		{"duplicate by escape", `{"aud":"a","\u0061ud":"b"}`, ErrDuplicate},
		{"duplicate by escape of a slash", `{"a/b":1,"a\/b":2}`, ErrDuplicate},
		{"duplicate by upper-case hex escape", `{"\u00E9":1,"é":2}`, ErrDuplicate},
		{"duplicate surrogate pair", `{"😀":1,"\ud83d\ude00":2}`, ErrDuplicate},
		{"lone surrogates both read as U+FFFD", `{"\ud800":1,"\udc00":2}`, ErrDuplicate},
		{"lone surrogate and U+FFFD", `{"\ud800x":1,"\ufffdx":2}`, ErrDuplicate},
		{"duplicate in a large object, first and last", many(200, "m0"), ErrDuplicate},
		{"duplicate in a large object, around the switch to a map", many(smallObject, "m31"), ErrDuplicate},
		{"duplicate in a large object, just before the switch", many(smallObject-1, "m30"), ErrDuplicate},

		{"upper case", `{"AUD":"a"}`, ErrCaseVariant},
		{"upper case alongside", `{"aud":"a","AUD":"b"}`, ErrCaseVariant},
		{"mixed case", `{"Client_ID":"a"}`, ErrCaseVariant},
		{"nested case variant", `{"status":{"status_list":{"IDX":1,"uri":"u"}}}`, ErrCaseVariant},
		{"long s", `{"ſub":"a"}`, ErrCaseVariant},
		{"escaped long s", `{"\u017fub":"a"}`, ErrCaseVariant},
		{"Kelvin sign in a value", "{\"team\":\"\u212a\"}", nil},
		{"dotless i", `{"ıss":"a"}`, ErrCaseVariant},
		{"dotted capital I", `{"İat":1}`, ErrCaseVariant},
		{"escaped upper case", `{"\u0041ud":"a"}`, ErrCaseVariant},

		{"invalid UTF-8 name", "{\"a\xff\":1}", ErrInvalidName},
		{"truncated UTF-8 name", "{\"\xc3\":1}", ErrInvalidName},
		{"overlong encoding in a name", "{\"\xc1\xa1ud\":1}", ErrInvalidName},
		{"encoded surrogate in a name", "{\"\xed\xa0\x80\":1}", ErrInvalidName},

		{"depth MaxDepth+1", nested(MaxDepth + 1), ErrDepth},
		{"array depth MaxDepth+1", arrays(MaxDepth + 1), ErrDepth},
		{"deep and unterminated", strings.Repeat("[", 100000), ErrSyntax}, // not an object: no parse at all

		{"empty", ``, ErrSyntax},
		{"spaces", `   `, ErrSyntax},
		{"null", `null`, ErrSyntax},
		{"array", `[]`, ErrSyntax},
		{"string", `"a"`, ErrSyntax},
		{"two objects", `{}{}`, ErrSyntax},
		{"trailing garbage", `{} x`, ErrSyntax},
		{"unterminated", `{"a":1`, ErrSyntax},
		{"unterminated string", `{"a":"1}`, ErrSyntax},
		{"unterminated name", `{"a`, ErrSyntax},
		{"missing colon", `{"a" 1}`, ErrSyntax},
		{"missing value", `{"a":}`, ErrSyntax},
		{"trailing comma", `{"a":1,}`, ErrSyntax},
		{"trailing comma in array", `{"a":[1,]}`, ErrSyntax},
		{"leading comma", `{,"a":1}`, ErrSyntax},
		{"unquoted name", `{a:1}`, ErrSyntax},
		{"single quotes", `{'a':1}`, ErrSyntax},
		{"mismatched close", `{"a":[1}`, ErrSyntax},
		{"mismatched close of object", `{"a":{]}`, ErrSyntax},
		{"bad escape", `{"a\x":1}`, ErrSyntax},
		{"bad escape quote", `{"a\'":1}`, ErrSyntax},
		{"short unicode escape", `{"\u00":1}`, ErrSyntax},
		{"bad unicode escape", `{"\u00g0":1}`, ErrSyntax},
		{"control character in a name", "{\"a\nb\":1}", ErrSyntax},
		{"control character in a value", "{\"a\":\"\t\"}", ErrSyntax},
		{"leading zero", `{"a":01}`, ErrSyntax},
		{"plus sign", `{"a":+1}`, ErrSyntax},
		{"bare minus", `{"a":-}`, ErrSyntax},
		{"dot without digits", `{"a":1.}`, ErrSyntax},
		{"exponent without digits", `{"a":1e}`, ErrSyntax},
		{"leading dot", `{"a":.5}`, ErrSyntax},
		{"NaN", `{"a":NaN}`, ErrSyntax},
		{"truncated literal", `{"a":tru}`, ErrSyntax},
		{"literal with a suffix", `{"a":truex}`, ErrSyntax},
		{"capitalized literal", `{"a":True}`, ErrSyntax},
		{"comment", `{"a":1 /* x */}`, ErrSyntax},
		{"byte order mark", "\ufeff{}", ErrSyntax},
		{"NUL after", "{}\x00", ErrSyntax},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Check([]byte(c.in), testNames)
			switch {
			case c.want == nil && err != nil:
				t.Errorf("got %s, want accepted", reason(err))
			case c.want != nil && !errors.Is(err, c.want):
				t.Errorf("got %s, want %s", reason(err), reason(c.want))
			}
			// Whatever Check accepts, encoding/json accepts as an object.
			var m map[string]any
			if err == nil && json.Unmarshal([]byte(c.in), &m) != nil {
				t.Errorf("accepted what encoding/json rejects")
			}
		})
	}
}

// TestCheckHeaderNames: the Kelvin sign and case variants in a JOSE header.
func TestCheckHeaderNames(t *testing.T) {
	n := NewNames("alg", "kid", "typ", "crit", "b64", "jwk", "jku", "x5u", "x5c", "enc", "zip")
	for _, c := range []struct {
		in   string
		want error
	}{
		{`{"alg":"ES256","kid":"k1","typ":"apikey+jwt"}`, nil},
		{"{\"alg\":\"ES256\",\"\u212aid\":\"k1\"}", ErrCaseVariant},
		{`{"alg":"ES256","\u212aid":"k1"}`, ErrCaseVariant},
		{`{"alg":"ES256","kid":"k1","TYP":"JWT"}`, ErrCaseVariant},
		{`{"alg":"ES256","Kid":"k1"}`, ErrCaseVariant},
		{`{"alg":"ES256","X5C":[]}`, ErrCaseVariant},
		{`{"alg":"ES256","B64":false}`, ErrCaseVariant},
		{`{"alg":"none","kid":"k1","alg":"ES256"}`, ErrDuplicate},
	} {
		if err := Check([]byte(c.in), n); (c.want == nil && err != nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: got %s, want %s", c.in, reason(err), reason(c.want))
		}
	}
}

// TestCheckEveryByteAtEveryPosition: whatever byte sits wherever in a string (scanned
// eight bytes at a time), Check agrees with encoding/json on values and finds invalid
// UTF-8 in names.
func TestCheckEveryByteAtEveryPosition(t *testing.T) {
	for p := 0; p < 20; p++ {
		for c := 0; c < 256; c++ {
			text := strings.Repeat("x", p) + string([]byte{byte(c)}) + strings.Repeat("y", 9)
			value := []byte(`{"a":"` + text + `"}`)
			if got, want := Check(value, testNames) == nil, json.Valid(value); got != want {
				t.Errorf("value %q: got accepted=%v, want %v", value, got, want)
			}
			name := []byte(`{"` + text + `":1}`)
			err := Check(name, testNames)
			switch {
			case c >= 0x80:
				if !errors.Is(err, ErrInvalidName) {
					t.Errorf("name %q: got %s, want ErrInvalidName", name, reason(err))
				}
			case json.Valid(name) != (err == nil):
				t.Errorf("name %q: got %s, want accepted=%v", name, reason(err), json.Valid(name))
			}
		}
	}
}

// TestCheckZeroNames: the zero Names still rejects duplicates and nothing else.
func TestCheckZeroNames(t *testing.T) {
	if err := Check([]byte(`{"AUD":1,"aud":2,"ſub":3}`), Names{}); err != nil {
		t.Errorf("distinct names: got %s, want accepted", reason(err))
	}
	if err := Check([]byte(`{"a":1,"a":2}`), Names{}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate: got %s, want ErrDuplicate", reason(err))
	}
}

// TestCheckNonASCIINames: known names need not be ASCII.
func TestCheckNonASCIINames(t *testing.T) {
	n := NewNames("straße", "ǆ", "k")
	for _, c := range []struct {
		in   string
		want error
	}{
		{`{"straße":1,"ǆ":2,"k":3}`, nil},
		{`{"STRASSE":1}`, nil}, // full case folding is not simple folding: not a variant
		{`{"STRAẞE":1}`, ErrCaseVariant},
		{`{"Straße":1}`, ErrCaseVariant},
		{`{"ǅ":1}`, ErrCaseVariant},
		{`{"Ǆ":1}`, ErrCaseVariant},
		{`{"K":1}`, ErrCaseVariant},
		{"{\"\u212a\":1}", ErrCaseVariant},
		{`{"kk":1}`, nil},
	} {
		if err := Check([]byte(c.in), n); (c.want == nil && err != nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: got %s, want %s", c.in, reason(err), reason(c.want))
		}
	}
}

// TestFoldingMatchesEncodingJSON compares, for every rune that has a case or a fold,
// Check's idea of a variant of a one-letter name with what encoding/json actually
// decodes: Check must catch every rune encoding/json takes for an ASCII letter, and may
// catch more only where the Go 1.21–1.25 folding (upper of lower) did.
func TestFoldingMatchesEncodingJSON(t *testing.T) {
	var fields []reflect.StructField
	var letters []string
	for c := 'a'; c <= 'z'; c++ {
		fields = append(fields, reflect.StructField{Name: string(c - 'a' + 'A'), Type: reflect.TypeFor[*int](),
			Tag: reflect.StructTag(`json:"` + string(c) + `"`)})
		letters = append(letters, string(c))
	}
	typ := reflect.StructOf(fields)
	known := NewNames(letters...)
	var caught []string
	for r := rune(0x80); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		if unicode.SimpleFold(r) == r && unicode.ToUpper(r) == r && unicode.ToLower(r) == r {
			continue // no case and no fold: cannot stand for a letter
		}
		doc, _ := json.Marshal(map[string]int{string(r): 1})
		v := reflect.New(typ)
		if err := json.Unmarshal(doc, v.Interface()); err != nil {
			t.Fatalf("%U: %v", r, err)
		}
		decoded := false
		for i := range fields {
			decoded = decoded || !v.Elem().Field(i).IsNil()
		}
		legacy := foldB(r) >= 'A' && foldB(r) <= 'Z'
		err := Check(doc, known)
		got := errors.Is(err, ErrCaseVariant)
		if decoded && !got {
			t.Errorf("%U %q: encoding/json decodes it as a letter, Check says %s", r, r, reason(err))
		}
		if got && !decoded && !legacy {
			t.Errorf("%U %q: Check says %s, but no folding takes it to a letter", r, r, reason(err))
		}
		if err != nil && !got {
			t.Errorf("%U %q: got %s", r, r, reason(err))
		}
		if got {
			caught = append(caught, fmt.Sprintf("%U", r))
		}
	}
	for _, want := range []string{"U+017F", "U+212A", "U+0131", "U+0130"} {
		if !strings.Contains(strings.Join(caught, " "), want) {
			t.Errorf("caught %v, want %s among them", caught, want)
		}
	}
	t.Logf("non-ASCII runes taken for a letter: %v", caught)
}

// TestCheckAllocations: the common case (no escapes, small objects) allocates nothing.
func TestCheckAllocations(t *testing.T) {
	claims := []byte(`{"aud":["orders-api"],"exp":1777640400,"iat":1777636800,"iss":"http://127.0.0.1:40000",` +
		`"jti":"key_1","nbf":1777636800,"scope":"orders:read orders:write","status":{"status_list":` +
		`{"idx":3,"uri":"http://127.0.0.1:40000/statuslists/sl_1"}},"sub":"prj_orders","team":"team_1","ſx":"é"}`)
	if err := Check(claims, testNames); err != nil {
		t.Fatal(err)
	}
	if got := testing.AllocsPerRun(100, func() {
		if err := Check(claims, testNames); err != nil {
			t.Fatal(err)
		}
	}); got != 0 {
		t.Errorf("allocations per Check: got %v, want 0", got)
	}
}

// TestCheckErrorDetail: errors say where, and quote attacker-controlled names bounded.
func TestCheckErrorDetail(t *testing.T) {
	long := strings.Repeat("x", 1000)
	err := Check([]byte(`{"`+long+`":1,"`+long+`":2}`), testNames)
	if !errors.Is(err, ErrDuplicate) || len(err.Error()) > 200 {
		t.Errorf("got %q, want ErrDuplicate in under 200 bytes", err)
	}
	err = Check([]byte(`{"iss":1,"ISS":2}`), testNames)
	if got, want := err.Error(), `jsonstrict: member name is a case variant of a known name: "ISS" for "iss" at offset 9`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func BenchmarkCheck(b *testing.B) {
	claims := []byte(`{"aud":["orders-api"],"exp":1777640400,"iat":1777636800,"iss":"http://127.0.0.1:40000",` +
		`"jti":"key_1","nbf":1777636800,"scope":"orders:read orders:write","status":{"status_list":` +
		`{"idx":3,"uri":"http://127.0.0.1:40000/statuslists/sl_1"}},"sub":"prj_orders","team":"team_1"}`)
	b.SetBytes(int64(len(claims)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(claims, testNames); err != nil {
			b.Fatal(err)
		}
	}
}
