// Package models is Gatehouse's domain: the types (Team, Project, API, Grant, APIKey,
// ClientSecret, …), who acts (Actor), the domain's coded errors (Error, ValidationError),
// the events it announces (Event) and the rules that need nothing but the values
// themselves. It imports no HTTP, no templ and no GORM: `go list -deps ./models` shows it.
//
// Its subpackages do the rest: models/authz decides permissions, models/store keeps
// everything in the database (and signs, since signing reads the key ring from it),
// models/jobs runs the periodic work.
package models
