package models

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
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

// requestInfoQuery selects requests with both sides' names.
func requestInfoQuery(tx *gorm.DB) *gorm.DB {
	return tx.Table("access_requests AS r").
		Select(`r.*, a.name AS api_name, a.identifier, a.team_id AS api_team_id, at.name AS api_team_name,
			p.name AS project_name, pt.name AS project_team_name,
			COALESCE(NULLIF(u.email, ''), u.name, '') AS requested_by_label,
			COALESCE(NULLIF(d.email, ''), d.name, '') AS decided_by_label`).
		Joins("JOIN apis a ON a.id = r.api_id").
		Joins("JOIN teams at ON at.id = a.team_id").
		Joins("JOIN projects p ON p.id = r.project_id").
		Joins("JOIN teams pt ON pt.id = p.team_id").
		Joins("LEFT JOIN users u ON u.id = r.requested_by").
		Joins("LEFT JOIN users d ON d.id = r.decided_by")
}

// APIRequests lists an API's access requests, pending first, newest first (for its
// team's members).
func (s *Store) APIRequests(ctx context.Context, actor Actor, apiID string) ([]AccessRequestInfo, error) {
	db := s.db.WithContext(ctx)
	if _, _, err := apiFor(db, actor, apiID, ActAPIView); err != nil {
		return nil, err
	}
	var out []AccessRequestInfo
	return out, requestInfoQuery(db).Where("r.api_id = ?", apiID).
		Order("CASE r.status WHEN 'pending' THEN 0 ELSE 1 END, r.created_at DESC, r.id").Limit(200).Scan(&out).Error
}

// ProjectRequests lists a project's access requests, newest first (for its team's members).
func (s *Store) ProjectRequests(ctx context.Context, actor Actor, projectID string) ([]AccessRequestInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := projectFor(db, actor, projectID, ActProjectView); err != nil {
		return nil, err
	}
	var out []AccessRequestInfo
	return out, requestInfoQuery(db).Where("r.project_id = ?", projectID).
		Order("CASE r.status WHEN 'pending' THEN 0 ELSE 1 END, r.created_at DESC, r.id").Limit(200).Scan(&out).Error
}

// RequestAccess asks, for a project of the actor's team (developers and up), for access
// to an API the actor can see (one of their teams', or one listed in the catalog), with
// scopes the API defines and a reason for its owners. Both teams' audit logs record it.
func (s *Store) RequestAccess(ctx context.Context, actor Actor, apiID, projectID string, scopes []string, reason, idempotencyKey string) (*AccessRequest, error) {
	api, err := s.APIFor(ctx, actor, apiID) // an unlisted API of another team is ErrNotFound
	if err != nil {
		return nil, err
	}
	var v ValidationError
	reason = cleanText(&v, "reason", reason, 1000)
	var req *AccessRequest
	err = s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, ActAccessRequest) // the project is the object: 404 or 403
		if err != nil {
			return err
		}
		clean, err := checkGrantScopes(tx, &v, "scopes", &api.API, scopes)
		if err != nil {
			return err
		}
		if err := v.err(); err != nil {
			return err
		}
		var open int64
		if err := tx.Model(&AccessRequest{}).Where("api_id = ? AND project_id = ? AND status = ?", api.ID, p.ID, RequestPending).
			Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return &ValidationError{Fields: map[string]string{"project": ErrRequestPending.Error() + "; withdraw it first to ask again"}}
		}
		req = &AccessRequest{ID: newID("req"), APIID: api.ID, ProjectID: p.ID, TeamID: p.TeamID, Scopes: strings.Join(clean, " "),
			Reason: reason, Status: RequestPending, Origin: "user", RequestedBy: optional(actor.id()), CreatedAt: s.now()}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, req.ID); err != nil {
			return err
		}
		if err := tx.Create(req).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &ValidationError{Fields: map[string]string{"project": ErrRequestPending.Error()}}
			}
			return err
		}
		return s.auditRequest(tx, actor, &api.API, p, "access.request", req, map[string]any{"scopes": req.Scopes, "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// auditRequest records a request event in the API's team and, when it differs, the
// project's.
func (s *Store) auditRequest(tx *gorm.DB, actor Actor, api *API, p *Project, action string, r *AccessRequest, details map[string]any) error {
	details["api"], details["identifier"], details["project"] = api.Name, api.Identifier, p.Name
	target := p.Name + " → " + api.Name
	if err := s.audit(tx, actor, event{team: api.TeamID, action: action, targetType: "access_request", targetID: r.ID, target: target, details: details}); err != nil {
		return err
	}
	if p.TeamID == api.TeamID {
		return nil
	}
	return s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: action, targetType: "access_request", targetID: r.ID, target: target, details: details})
}

// Decision is how an API's team answers an access request.
type Decision struct {
	Approve bool
	// Scopes approved: a subset of those requested (nil approves all of them).
	Scopes []string
	Note   string
}

// DecideRequest approves or denies a pending request for the API. Only the API's owners
// and admins may, and the decision names the API in the path, so nobody decides a
// request of another API by posting its id. Approval re-checks that the requester may
// still ask for access for the project (else the request is withdrawn); it grants the
// approved scopes (added to any the project already holds). Denying a request made when
// APIs got owners removes the provisional grant it came with, and its keys.
func (s *Store) DecideRequest(ctx context.Context, actor Actor, apiID, requestID string, d Decision) (*AccessRequest, []APIKey, error) {
	var (
		req       AccessRequest
		revoked   []APIKey
		withdrawn bool
	)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		api, _, err := apiFor(tx, actor, apiID, ActAPIManage)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ? AND api_id = ?", requestID, api.ID).Take(&req).Error; err != nil {
			return notFound(err)
		}
		var v ValidationError
		note := cleanText(&v, "note", d.Note, 1000)
		if req.Status != RequestPending {
			return ErrRequestDecided
		}
		var p Project
		if err := tx.Where("id = ?", req.ProjectID).Take(&p).Error; err != nil {
			return notFound(err)
		}
		asked := strings.Fields(req.Scopes)
		approved := asked
		if d.Approve && d.Scopes != nil {
			approved = nil
			for _, sc := range d.Scopes {
				if !slices.Contains(asked, sc) {
					v.add("scopes", "approve only scopes that were asked for ("+QuoteForError(sc)+" was not)")
				} else if !slices.Contains(approved, sc) {
					approved = append(approved, sc)
				}
			}
		}
		if err := v.err(); err != nil {
			return err
		}
		now := s.now()
		decide := func(status, granted string) error {
			res := tx.Model(&AccessRequest{}).Where("id = ? AND status = ?", req.ID, RequestPending).
				Updates(map[string]any{"status": status, "decided_by": optional(actor.id()), "decided_at": now,
					"decision_note": note, "granted_scopes": granted})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return ErrRequestDecided
			}
			req.Status, req.DecidedAt, req.DecisionNote, req.GrantedScopes = status, &now, note, granted
			return nil
		}
		if !d.Approve {
			if err := decide(RequestDenied, ""); err != nil {
				return err
			}
			if err := s.auditRequest(tx, actor, api, &p, "access.deny", &req, map[string]any{"note": note}); err != nil {
				return err
			}
			var g Grant
			err := tx.Where("api_id = ? AND project_id = ? AND provisional", api.ID, p.ID).Take(&g).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			revoked, err = s.removeGrant(tx, actor, api, &g, "access request denied")
			return err
		}
		// Authority is checked when it is used: the requester must still be allowed
		// to ask for access for this project.
		if req.RequestedBy != nil || req.Origin != "migration" {
			if reason := requesterLacksAuthority(tx, &req, &p); reason != "" {
				withdrawn = true
				if err := decide(RequestWithdrawn, ""); err != nil {
					return err
				}
				return s.auditRequest(tx, actor, api, &p, "access.withdraw", &req, map[string]any{"reason": reason})
			}
		}
		// The grant: what the project holds already (unless provisional) plus what is approved.
		var existing Grant
		scopes := append([]string{}, approved...)
		if err := tx.Where("api_id = ? AND project_id = ?", api.ID, p.ID).Take(&existing).Error; err == nil && !existing.Provisional {
			for _, sc := range existing.ScopeList() {
				if !slices.Contains(scopes, sc) {
					scopes = append(scopes, sc)
				}
			}
		} else if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		// Scopes the API has stopped defining meanwhile are not granted.
		var defined []string
		if err := tx.Model(&APIScope{}).Where("api_id = ?", api.ID).Pluck("name", &defined).Error; err != nil {
			return err
		}
		kept := scopes[:0]
		for _, sc := range scopes {
			if slices.Contains(defined, sc) {
				kept = append(kept, sc)
			}
		}
		if err := decide(RequestApproved, strings.Join(approved, " ")); err != nil {
			return err
		}
		if err := s.auditRequest(tx, actor, api, &p, "access.approve", &req, map[string]any{"scopes": strings.Join(approved, " "), "note": note}); err != nil {
			return err
		}
		_, revoked, err = s.putGrant(tx, actor, api, &p, kept, &req.ID, "access request approved")
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if withdrawn {
		return &req, nil, ErrRequestWithdrawn
	}
	return &req, revoked, nil
}

// requesterLacksAuthority says why the request's author may no longer ask for access
// for its project ("" when they still may).
func requesterLacksAuthority(tx *gorm.DB, r *AccessRequest, p *Project) string {
	if r.RequestedBy == nil {
		return "the requester's account no longer exists"
	}
	m, err := member(tx, p.TeamID, *r.RequestedBy)
	if err != nil {
		return "the requester is no longer a member of the project's team"
	}
	if !m.Role.Can(ActAccessRequest) {
		return "the requester's role no longer allows asking for access"
	}
	return ""
}

// WithdrawRequest withdraws a project's pending request (developers and up in the
// project's team). A request made when APIs got owners cannot be withdrawn this way: it
// keeps the project's provisional access until the API's team decides.
func (s *Store) WithdrawRequest(ctx context.Context, actor Actor, projectID, requestID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, ActAccessRequest)
		if err != nil {
			return err
		}
		var req AccessRequest
		if err := tx.Where("id = ? AND project_id = ?", requestID, p.ID).Take(&req).Error; err != nil {
			return notFound(err)
		}
		if req.Status != RequestPending || req.Origin == "migration" {
			return ErrRequestDecided
		}
		var api API
		if err := tx.Where("id = ?", req.APIID).Take(&api).Error; err != nil {
			return notFound(err)
		}
		res := tx.Model(&AccessRequest{}).Where("id = ? AND status = ?", req.ID, RequestPending).
			Updates(map[string]any{"status": RequestWithdrawn, "decided_by": optional(actor.id()), "decided_at": s.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrRequestDecided
		}
		return s.auditRequest(tx, actor, &api, p, "access.withdraw", &req, map[string]any{"reason": "withdrawn by the requesting team"})
	})
}

// withdrawRequestsBeyond withdraws, in the caller's transaction, the pending access
// requests a member made for the team's projects that role (their new role; "" when
// they left) no longer allows them to make, each with an audit event in both teams.
func (s *Store) withdrawRequestsBeyond(tx *gorm.DB, actor Actor, teamID, userID string, role Role, reason string) error {
	if role.Can(ActAccessRequest) {
		return nil
	}
	var open []AccessRequest
	if err := tx.Where("team_id = ? AND requested_by = ? AND status = ?", teamID, userID, RequestPending).Find(&open).Error; err != nil {
		return err
	}
	for i := range open {
		r := &open[i]
		var api API
		var p Project
		if err := tx.Where("id = ?", r.APIID).Take(&api).Error; err != nil {
			return err
		}
		if err := tx.Where("id = ?", r.ProjectID).Take(&p).Error; err != nil {
			return err
		}
		if err := tx.Model(&AccessRequest{}).Where("id = ? AND status = ?", r.ID, RequestPending).
			Updates(map[string]any{"status": RequestWithdrawn, "decided_at": s.now()}).Error; err != nil {
			return err
		}
		if err := s.auditRequest(tx, actor, &api, &p, "access.withdraw", r, map[string]any{"reason": reason}); err != nil {
			return err
		}
	}
	return nil
}

// MyAccessRequests lists the requests for an API made for projects of the actor's
// teams (what a catalog visitor may see of an API's requests), newest first.
func (s *Store) MyAccessRequests(ctx context.Context, actor Actor, apiID string) ([]AccessRequestInfo, error) {
	var out []AccessRequestInfo
	return out, requestInfoQuery(s.db.WithContext(ctx)).
		Joins("JOIN team_members m ON m.team_id = r.team_id AND m.user_id = ?", actor.id()).
		Where("r.api_id = ?", apiID).Order("r.created_at DESC, r.id").Limit(100).Scan(&out).Error
}
