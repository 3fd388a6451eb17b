package models

import "context"

// Actor is the principal who does something, and from where: every store method that
// changes or reads a team's data takes one, and every audit event records it. Kind says
// which principal it is; only a member (a user, later a service account) is authorized
// in a team.
type Actor struct {
	User *User
	// Client is set instead of User when a project acts as an OAuth client.
	Client string
	// Operator marks a User acting as a portal operator (GATEHOUSE_ADMIN_EMAILS) on
	// the portal itself rather than in a team: the audit log says so.
	Operator bool
	// Partner names the portal's partner acting through a machine endpoint, such as
	// "GitHub secret scanning" reporting a leak; the principal is the portal itself
	// (PrincipalSystem), which the audit log names by this. (A service account is a
	// User: see User.IsService.)
	Partner string
	// Limits narrow the user's authority when the user acts through a personal access
	// token (read only, one team); nil for a signed-in session.
	Limits    *TokenLimits
	IP        string
	UserAgent string
}

// PrincipalKind says what kind of principal an Actor is.
type PrincipalKind string

// The principals.
const (
	// PrincipalSystem is the portal itself (a schedule, a migration).
	PrincipalSystem PrincipalKind = "system"
	// PrincipalUser is a team member acting in the teams it is a member of: a signed-in
	// person, or a service account (User.IsService) with an access token.
	PrincipalUser PrincipalKind = "user"
	// PrincipalOperator is a person acting on the portal itself (GATEHOUSE_ADMIN_EMAILS).
	PrincipalOperator PrincipalKind = "operator"
	// PrincipalClient is a project acting as an OAuth client (at /oauth/revoke, say).
	PrincipalClient PrincipalKind = "client"
)

// Kind is the kind of principal a is.
func (a Actor) Kind() PrincipalKind {
	switch {
	case a.User != nil && a.Operator:
		return PrincipalOperator
	case a.User != nil:
		return PrincipalUser
	case a.Client != "":
		return PrincipalClient
	}
	return PrincipalSystem
}

// Label is how the audit log names the actor.
func (a Actor) Label() string {
	if a.User == nil {
		if a.Client != "" {
			return "client " + a.Client
		}
		if a.Partner != "" {
			return a.Partner
		}
		return "system"
	}
	name := a.User.Email
	if name == "" {
		name = a.User.DisplayName()
	}
	if a.Operator {
		return "operator " + name
	}
	if a.User.IsService() {
		return "service account " + a.User.Name
	}
	if a.Limits != nil && a.Limits.TokenName != "" {
		return name + " (token " + a.Limits.TokenName + ")"
	}
	return name
}

// UserID is the actor's user id, or "".
func (a Actor) UserID() string {
	if a.User == nil {
		return ""
	}
	return a.User.ID
}

// callerKey carries the caller's address and user agent in a context.
type callerKey struct{}

// WithCaller returns ctx carrying where the request came from, for the audit events of
// callers that are not (yet) authenticated, such as a refused client assertion.
func WithCaller(ctx context.Context, ip, userAgent string) context.Context {
	return context.WithValue(ctx, callerKey{}, [2]string{ip, userAgent})
}

// AnonymousCaller is an unauthenticated caller as the audit log names it.
func AnonymousCaller(ctx context.Context) Actor {
	v, _ := ctx.Value(callerKey{}).([2]string)
	return Actor{Client: "unauthenticated caller", IP: v[0], UserAgent: v[1]}
}
