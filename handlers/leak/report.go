package leak

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatehouse-dev/gatehouse/models"
)

// Bounds of a report.
const (
	// maxReportBytes bounds a report's body (the portal's GATEHOUSE_BODY_LIMIT applies
	// first, when it is smaller).
	maxReportBytes = 1 << 20
	// maxReportTokens bounds how many tokens one report may name.
	maxReportTokens = 100
)

// reportedToken is one element of a GitHub report: {"token", "type", "url", "source"}.
// parseReport reads a report's body: a JSON array of at most maxReportTokens objects,
// each with a non-empty string "token"; "type", "url" and "source" are strings when
// present, and other members are ignored (GitHub may add some). Member names match
// exactly: encoding/json would also take "Token" or "toKen" for "token", which no
// scanner sends and which would make one body mean two things.
func parseReport(body []byte) ([]models.LeakReport, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		return nil, errors.New("the body is not one JSON array")
	}
	if len(raw) > maxReportTokens {
		return nil, fmt.Errorf("a report names at most %d tokens", maxReportTokens)
	}
	out := make([]models.LeakReport, 0, len(raw))
	for i, r := range raw {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(r, &m); err != nil || m == nil {
			return nil, fmt.Errorf("element %d is not an object of strings", i)
		}
		var t [4]string // token, type, url, source
		for j, name := range []string{"token", "type", "url", "source"} {
			if v, ok := m[name]; ok && json.Unmarshal(v, &t[j]) != nil {
				return nil, fmt.Errorf("element %d is not an object of strings", i)
			}
		}
		if t[0] == "" {
			return nil, fmt.Errorf("element %d has no token", i)
		}
		out = append(out, models.LeakReport{Token: t[0], Type: t[1], URL: t[2], Source: t[3]})
	}
	return out, nil
}
