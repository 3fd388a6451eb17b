package leak

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseReport(t *testing.T) {
	got, err := parseReport([]byte(`[{"token":"ghcs_x","type":"gatehouse_client_secret","url":"https://github.com/o/r/blob/1/a","source":"content","extra":1},{"token":"t2"}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Token != "ghcs_x" || got[0].Type != "gatehouse_client_secret" || got[0].URL != "https://github.com/o/r/blob/1/a" ||
		got[0].Source != "content" || got[1].Token != "t2" {
		t.Errorf("got %+v", got)
	}
	if got, err := parseReport([]byte(` [] `)); err != nil || len(got) != 0 {
		t.Errorf("empty report: %v, %v", got, err)
	}
	for name, body := range map[string]string{
		"Empty": ``, "Null": `null`, "Object": `{}`, "NullElement": `[null]`, "NumberElement": `[1]`, "NoToken": `[{}]`,
		"EmptyToken": `[{"token":""}]`, "NumberToken": `[{"token":1}]`, "NumberURL": `[{"token":"a","url":2}]`,
		"TwoValues": `[][]`, "OtherSpelling": `[{"Token":"a"}]`, "NullToken": `[{"token":null}]`, "Truncated": `[{"token":"a"}`, "TooMany": "[" + strings.Repeat(`{"token":"a"},`, maxReportTokens) + `{"token":"a"}]`,
	} {
		if got, err := parseReport([]byte(body)); err == nil {
			t.Errorf("%s: accepted as %+v", name, got)
		}
	}
}

// FuzzParseReport: any body either parses into at most maxReportTokens reports, each
// with a non-empty token that was in the body, or is refused; nothing panics.
func FuzzParseReport(f *testing.F) {
	for _, seed := range []string{`[]`, `[{"token":"ghcs_x","type":"t","url":"u","source":"s"}]`, `[null]`, `{"token":"a"}`,
		`[{"token":"\u0000"}]`, `[{"token":"a"},{"token":"b","x":[1,{"y":null}]}]`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parseReport(body)
		if err != nil {
			return
		}
		if len(got) > maxReportTokens {
			t.Fatalf("%d reports", len(got))
		}
		var raw []map[string]json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil || len(raw) != len(got) {
			t.Fatalf("accepted a body that is not an array of %d objects: %v", len(got), err)
		}
		for i, r := range got {
			var tok string
			if r.Token == "" || json.Unmarshal(raw[i]["token"], &tok) != nil || tok != r.Token {
				t.Fatalf("report %d: token %q", i, r.Token)
			}
		}
	})
}
