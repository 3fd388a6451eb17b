package models

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"
)

// The kinds of users: a person signs in through the OpenID provider; a service account
// is a team's machine member and never signs in.
const (
	UserKindPerson  = "person"
	UserKindService = "service"
)

// ServiceAccountIssuer is the issuer of a service account's users row: no OpenID
// provider can have it, so nobody signs in as a service account.
const ServiceAccountIssuer = "gatehouse:service-account"

// ServiceAccountTokenTTL is how long a service account's access token lives.
const ServiceAccountTokenTTL = 15 * time.Minute

// The values of an access token's sub_type claim: who its sub is. An API that reads
// only sub cannot tell a project from a service account from a person, and one could
// then pass for another; sub_type says which.
const (
	SubjectProject        = "project"
	SubjectServiceAccount = "service_account"
	SubjectUser           = "user"
)

// ServiceAccount is a team's machine member. Its id (sa_…) is also its users row's id,
// its OAuth client_id and the sub of its access tokens; its role is its team_members
// row, so the one permission check decides for it as for a person. Its tokens are for
// the management API (/api/v1).
type ServiceAccount struct {
	ID          string `gorm:"primaryKey"`
	TeamID      string
	Name        string
	Description string
	CreatedBy   *string
	CreatedAt   time.Time
}

// ServiceAccountInfo is a service account as its team's pages list it.
type ServiceAccountInfo struct {
	ServiceAccount
	Role           Role
	CreatedByLabel string
}

// ServiceAccountInput is what an admin asks for.
type ServiceAccountInput struct {
	Name, Description string
	Role              Role
}

// The kinds of service-account credentials.
const (
	CredentialKey      = "key"
	CredentialWorkload = "workload"
	CredentialSecret   = "secret"
)

// ServiceAccountCredential is one way a service account authenticates: a public key
// (private_key_jwt), a trusted workload issuer with conditions (workload identity
// federation: nothing secret is stored), or a fallback secret (its SHA-256 only).
type ServiceAccountCredential struct {
	ID               string `gorm:"primaryKey"`
	ServiceAccountID string
	Kind             string
	Name             string
	KID              string `gorm:"column:kid"`
	Alg              string
	JWK              string `gorm:"column:jwk"`
	JWKSURI          string `gorm:"column:jwks_uri"`
	// Issuer, Audience, Subject and Claims are a workload credential's conditions: the
	// workload token's iss (exact), aud (must contain Audience), sub (Subject, exact or
	// glob) and other claims (a JSON object of claim name → exact value or glob).
	Issuer     string
	Audience   string
	Subject    string
	Claims     string
	Hash       *string
	Hint       string
	CreatedBy  *string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// TableName names the table.
func (ServiceAccountCredential) TableName() string { return "service_account_credentials" }

// Status is "active", "expired" or "revoked" at now.
func (c *ServiceAccountCredential) Status(now time.Time) string {
	switch {
	case c.RevokedAt != nil:
		return "revoked"
	case c.ExpiresAt != nil && !now.Before(*c.ExpiresAt):
		return "expired"
	}
	return "active"
}

// ClaimConditions are a workload credential's conditions on claims other than iss, aud
// and sub, sorted by claim name.
func (c *ServiceAccountCredential) ClaimConditions() []ClaimCondition {
	var m map[string]string
	if c.Claims == "" || json.Unmarshal([]byte(c.Claims), &m) != nil {
		return nil
	}
	out := make([]ClaimCondition, 0, len(m))
	for k, v := range m {
		out = append(out, ClaimCondition{Claim: k, Pattern: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Claim < out[j].Claim })
	return out
}

// ClaimCondition is one condition on a workload token's claim.
type ClaimCondition struct{ Claim, Pattern string }

// WorkloadIdentityInput is a trusted workload issuer with its conditions.
type WorkloadIdentityInput struct {
	Name     string
	Issuer   string
	JWKSURI  string
	Audience string
	Subject  string
	// Claims are "name=pattern" lines (a form), or ClaimMap when set (the API).
	Claims   string
	ClaimMap map[string]string
}

// ParseClaimConditions reads "name=pattern" lines (blank lines ignored) and checks them
// as CheckClaimConditions does.
func ParseClaimConditions(text string) (map[string]string, error) {
	out := map[string]string{}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, pattern, ok := strings.Cut(line, "=")
		name, pattern = strings.TrimSpace(name), strings.TrimSpace(pattern)
		if !ok || name == "" || pattern == "" {
			return nil, errors.New("write one condition per line as claim=value (a * in the value matches any text)")
		}
		if _, dup := out[name]; dup {
			return nil, errors.New("the claim " + QuoteForError(name) + " has two conditions")
		}
		out[name] = pattern
	}
	return out, CheckClaimConditions(out)
}

// CheckClaimConditions checks conditions on claims other than the registered ones the
// credential already checks: at most 20, bounded names and values, each value naming
// some text besides *.
func CheckClaimConditions(m map[string]string) error {
	if len(m) > 20 {
		return errors.New("at most 20 claim conditions")
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		pattern := m[name]
		switch {
		case name == "" || pattern == "" || strings.ContainsAny(name, "=\r\n") || strings.ContainsAny(pattern, "\r\n"):
			return errors.New("each condition needs a claim name (without =) and a value on one line")
		case len(name) > 100 || len(pattern) > 300:
			return errors.New("a condition's claim name is at most 100 characters and its value 300")
		case name == "iss" || name == "aud" || name == "sub" || name == "exp" || name == "nbf" || name == "iat":
			return errors.New("iss, aud and sub have their own fields; exp, nbf and iat are always checked")
		case !GlobSpecific(pattern):
			return errors.New("the condition on " + QuoteForError(name) + " must name some text, not only *")
		}
	}
	return nil
}

// GlobMatch reports whether value matches pattern, where * matches any run of
// characters (including none, and including / and :) and every other character matches
// itself. A pattern without * is an exact match.
func GlobMatch(pattern, value string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == value
	}
	if !strings.HasPrefix(value, parts[0]) {
		return false
	}
	value = value[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(value, p)
		if i < 0 {
			return false
		}
		value = value[i+len(p):]
	}
	return strings.HasSuffix(value, last)
}

// GlobSpecific reports whether pattern names some text besides *: a condition of only
// wildcards would trust every token of its issuer.
func GlobSpecific(pattern string) bool { return strings.Trim(pattern, "*") != "" }
