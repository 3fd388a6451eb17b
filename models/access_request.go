package models

import (
	"time"
)

// Access request states.
const (
	RequestPending   = "pending"
	RequestApproved  = "approved"
	RequestDenied    = "denied"
	RequestWithdrawn = "withdrawn"
)

// AccessRequest asks an API's team to grant a project (of any team) access to the API
// with some of its scopes. Only the API's owners and admins decide it.
type AccessRequest struct {
	ID        string `gorm:"primaryKey"`
	APIID     string `gorm:"column:api_id"`
	ProjectID string
	// TeamID is the requesting project's team.
	TeamID string
	// Scopes are the scopes asked for; GrantedScopes those approved.
	Scopes string
	Reason string
	Status string
	// Origin is "user", or "migration" for requests made when APIs got owners.
	Origin        string
	RequestedBy   *string
	CreatedAt     time.Time
	DecidedBy     *string
	DecidedAt     *time.Time
	DecisionNote  string
	GrantedScopes string
}

// TableName is the requests' table.
func (AccessRequest) TableName() string { return "access_requests" }

// AccessRequestInfo is a request with both sides' names and the requester's label.
type AccessRequestInfo struct {
	AccessRequest
	APIName          string
	Identifier       string
	APITeamID        string
	APITeamName      string
	ProjectName      string
	ProjectTeamName  string
	RequestedByLabel string
	DecidedByLabel   string
}

// Errors of deciding a request.
var (
	// ErrRequestDecided: the request is no longer pending.
	ErrRequestDecided = conflict("this request has already been decided or withdrawn")
	// ErrRequestWithdrawn: its author can no longer ask for access for that project, so
	// the request was withdrawn instead of approved.
	ErrRequestWithdrawn = conflict("the person who asked can no longer request access for that project, so the request was withdrawn")
	// ErrRequestPending: the project already has an undecided request for this API.
	ErrRequestPending = conflict("this project already has a pending request for this API")
)

// Decision is how an API's team answers an access request.
type Decision struct {
	Approve bool
	// Scopes approved: a subset of those requested (nil approves all of them).
	Scopes []string
	Note   string
}
