package leak

import (
	"bytes"
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
type reportedToken struct {
	Token  *string `json:"token"`
	Type   string  `json:"type"`
	URL    string  `json:"url"`
	Source string  `json:"source"`
}

// parseReport reads a report's body: a JSON array of at most maxReportTokens objects,
// each with a non-empty string "token"; "type", "url" and "source" are strings when
// present, and other members are ignored (GitHub may add some).
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
		var t reportedToken
		if err := json.Unmarshal(r, &t); err != nil || bytes.HasPrefix(bytes.TrimSpace(r), []byte("null")) {
			return nil, fmt.Errorf("element %d is not an object of strings", i)
		}
		if t.Token == nil || *t.Token == "" {
			return nil, fmt.Errorf("element %d has no token", i)
		}
		out = append(out, models.LeakReport{Token: *t.Token, Type: t.Type, URL: t.URL, Source: t.Source})
	}
	return out, nil
}
