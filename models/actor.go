package models

// Actor is who does something, and from where: every store method that changes or
// reads a team's data takes one, and every audit event records it.
type Actor struct {
	User *User
	// Client is set instead of User when a project acts as an OAuth client.
	Client    string
	IP        string
	UserAgent string
}

// label is how the audit log names the actor.
func (a Actor) label() string {
	if a.User == nil {
		if a.Client != "" {
			return "client " + a.Client
		}
		return "system"
	}
	if a.User.Email != "" {
		return a.User.Email
	}
	return a.User.DisplayName()
}

// id is the actor's user id, or "".
func (a Actor) id() string {
	if a.User == nil {
		return ""
	}
	return a.User.ID
}
