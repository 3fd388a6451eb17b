package verify

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/verify/jsonstrict"
)

// stTagNames collects the JSON names of a struct's fields, nested structs included.
func stTagNames(t reflect.Type, out map[string]bool) map[string]bool {
	if out == nil {
		out = map[string]bool{}
	}
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			out[name] = true
		}
		stTagNames(f.Type, out)
	}
	return out
}

// TestStrictNamesCoverDecodedFields: every JSON name verify decodes is a known name of
// the matching jsonstrict.Names, so none of them can be smuggled in another spelling.
func TestStrictNamesCoverDecodedFields(t *testing.T) {
	for _, c := range []struct {
		name  string
		typ   reflect.Type
		names jsonstrict.Names
	}{
		{"joseHeader", reflect.TypeFor[joseHeader](), headerNames},
		{"tokenClaims", reflect.TypeFor[tokenClaims](), claimNames},
		{"statusClaims", reflect.TypeFor[statusClaims](), statusClaimNames},
	} {
		for name := range stTagNames(c.typ, nil) {
			doc := `{"` + strings.ToUpper(name) + `":0}`
			if err := jsonstrict.Check([]byte(doc), c.names); !errors.Is(err, jsonstrict.ErrCaseVariant) {
				t.Errorf("%s: %s: got %v, want ErrCaseVariant (%q must be a known name)", c.name, doc, err, name)
			}
			if err := jsonstrict.Check([]byte(`{"`+name+`":0}`), c.names); err != nil {
				t.Errorf("%s: %q exactly: got %v, want accepted", c.name, name, err)
			}
		}
	}
}

// TestStrictStatusListMembers: a validly signed status list whose header or claims
// repeat a member or spell one differently fails closed, and says why.
func TestStrictStatusListMembers(t *testing.T) {
	f := newIssuer(t)
	v := f.verifier()
	ctx := context.Background()
	kid, key := hxSigningKey(f)
	uri := f.url + "/statuslists/sl_strict"
	hdr := `{"alg":"ES256","typ":"statuslist+jwt","kid":"` + kid + `"}`
	// claims are the list's good claims with sub edited and extra members appended.
	claims := func(sub, extra string) string {
		c := hxListClaims(f, "sl_strict", make([]byte, 16), 1)
		c["sub"] = sub
		b := hxPayload(c)
		return string(b[:len(b)-1]) + "," + extra + "}"
	}
	if _, err := v.decodeStatusList(ctx, uri, hxSignRaw(key, hdr, claims(uri, `"x":1`))); err != nil {
		t.Fatalf("control: good list: %v", err)
	}
	other := f.url + "/statuslists/sl_1"
	for _, c := range []struct{ name, tok string }{
		{"duplicate sub, the last one the list's", hxSignRaw(key, hdr, claims(other, `"sub":"`+uri+`"`))},
		{"SUB naming the list alongside sub naming another", hxSignRaw(key, hdr, claims(other, `"SUB":"`+uri+`"`))},
		{"TTL alongside ttl", hxSignRaw(key, hdr, claims(uri, `"TTL":1`))},
		{"duplicate members nested in an unknown claim", hxSignRaw(key, hdr, claims(uri, `"x":{"status_list":{"bits":1,"bits":2}}`))},
		{"duplicate typ in the header", hxSignRaw(key, `{"alg":"ES256","typ":"JWT","kid":"`+kid+`","typ":"statuslist+jwt"}`,
			claims(uri, `"x":1`))},
		{"Kid in the header", hxSignRaw(key, `{"alg":"ES256","typ":"statuslist+jwt","Kid":"`+kid+`"}`, claims(uri, `"x":1`))},
	} {
		l, err := v.decodeStatusList(ctx, uri, c.tok)
		if l != nil || !errors.Is(err, ErrStatusUnavailable) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrStatusUnavailable wrapping ErrMalformed", c.name, err)
		}
	}
}
