package store

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
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
func (s *Store) APIRequests(ctx context.Context, actor models.Actor, apiID string) ([]models.AccessRequestInfo, error) {
	db := s.db.WithContext(ctx)
	if _, _, err := apiFor(db, actor, apiID, models.ActAPIView); err != nil {
		return nil, err
	}
	var out []models.AccessRequestInfo
	return out, requestInfoQuery(db).Where("r.api_id = ?", apiID).
		Order("CASE r.status WHEN 'pending' THEN 0 ELSE 1 END, r.created_at DESC, r.id").Limit(200).Scan(&out).Error
}

// ProjectRequests lists a project's access requests, newest first (for its team's members).
func (s *Store) ProjectRequests(ctx context.Context, actor models.Actor, projectID string) ([]models.AccessRequestInfo, error) {
	db := s.db.WithContext(ctx)
	if _, err := projectFor(db, actor, projectID, models.ActProjectView); err != nil {
		return nil, err
	}
	var out []models.AccessRequestInfo
	return out, requestInfoQuery(db).Where("r.project_id = ?", projectID).
		Order("CASE r.status WHEN 'pending' THEN 0 ELSE 1 END, r.created_at DESC, r.id").Limit(200).Scan(&out).Error
}

// RequestAccess asks, for a project of the actor's team (developers and up), for access
// to an API the actor can see (one of their teams', or one listed in the catalog), with
// scopes the API defines and a reason for its owners. Both teams' audit logs record it.
func (s *Store) RequestAccess(ctx context.Context, actor models.Actor, apiID, projectID string, scopes []string, reason, idempotencyKey string) (*models.AccessRequest, error) {
	api, err := s.APIFor(ctx, actor, apiID) // an unlisted API of another team is ErrNotFound
	if err != nil {
		return nil, err
	}
	var v models.ValidationError
	reason = cleanText(&v, "reason", reason, 1000)
	var req *models.AccessRequest
	err = s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActAccessRequest) // the project is the object: 404 or 403
		if err != nil {
			return err
		}
		clean, err := checkGrantScopes(tx, &v, "scopes", &api.API, scopes)
		if err != nil {
			return err
		}
		if err := v.AsError(); err != nil {
			return err
		}
		var open int64
		if err := tx.Model(&models.AccessRequest{}).Where("api_id = ? AND project_id = ? AND status = ?", api.ID, p.ID, models.RequestPending).
			Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return &models.ValidationError{Fields: map[string]string{"project": models.ErrRequestPending.Error() + "; withdraw it first to ask again"}}
		}
		req = &models.AccessRequest{ID: newID("req"), APIID: api.ID, ProjectID: p.ID, TeamID: p.TeamID, Scopes: strings.Join(clean, " "),
			Reason: reason, Status: models.RequestPending, Origin: "user", RequestedBy: optional(actor.UserID()), CreatedAt: s.now()}
		if err := s.claimIdempotencyKey(tx, actor, idempotencyKey, req.ID); err != nil {
			return err
		}
		if err := tx.Create(req).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &models.ValidationError{Fields: map[string]string{"project": models.ErrRequestPending.Error()}}
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
func (s *Store) auditRequest(tx *gorm.DB, actor models.Actor, api *models.API, p *models.Project, action string, r *models.AccessRequest, details map[string]any) error {
	details["api"], details["identifier"], details["project"] = api.Name, api.Identifier, p.Name
	target := p.Name + " → " + api.Name
	if err := s.audit(tx, actor, event{team: api.TeamID, action: action, targetType: "access_request", targetID: r.ID, target: target, details: details}); err != nil {
		return err
	}
	if p.TeamID != api.TeamID {
		if err := s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: action, targetType: "access_request", targetID: r.ID, target: target, details: details}); err != nil {
			return err
		}
	}
	typ := map[string]string{"access.request": models.EventGrantRequested, "access.approve": models.EventGrantApproved}[action]
	if typ == "" {
		return nil
	}
	data := map[string]any{"api_id": api.ID, "identifier": api.Identifier, "project_id": p.ID, "request_id": r.ID}
	if sc, ok := details["scopes"].(string); ok {
		data["scopes"] = strings.Fields(sc)
	}
	return s.emitTo(tx, models.Event{Type: typ, TeamID: p.TeamID, ProjectID: p.ID, SubjectID: r.ID, Data: data}, p.TeamID, api.TeamID)
}

// DecideRequest approves or denies a pending request for the API. Only the API's owners
// and admins may, and the decision names the API in the path, so nobody decides a
// request of another API by posting its id. Approval re-checks that the requester may
// still ask for access for the project (else the request is withdrawn); it grants the
// approved scopes (added to any the project already holds). Denying a request made when
// APIs got owners removes the provisional grant it came with, and its keys.
func (s *Store) DecideRequest(ctx context.Context, actor models.Actor, apiID, requestID string, d models.Decision) (*models.AccessRequest, []models.APIKey, error) {
	var (
		req       models.AccessRequest
		revoked   []models.APIKey
		withdrawn bool
	)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		api, _, err := apiFor(tx, actor, apiID, models.ActAPIManage)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ? AND api_id = ?", requestID, api.ID).Take(&req).Error; err != nil {
			return notFound(err)
		}
		var v models.ValidationError
		note := cleanText(&v, "note", d.Note, 1000)
		if req.Status != models.RequestPending {
			return models.ErrRequestDecided
		}
		var p models.Project
		if err := tx.Where("id = ?", req.ProjectID).Take(&p).Error; err != nil {
			return notFound(err)
		}
		asked := strings.Fields(req.Scopes)
		approved := asked
		if d.Approve && d.Scopes != nil {
			approved = nil
			for _, sc := range d.Scopes {
				if !slices.Contains(asked, sc) {
					v.Add("scopes", "approve only scopes that were asked for ("+models.QuoteForError(sc)+" was not)")
				} else if !slices.Contains(approved, sc) {
					approved = append(approved, sc)
				}
			}
		}
		if err := v.AsError(); err != nil {
			return err
		}
		now := s.now()
		decide := func(status, granted string) error {
			res := tx.Model(&models.AccessRequest{}).Where("id = ? AND status = ?", req.ID, models.RequestPending).
				Updates(map[string]any{"status": status, "decided_by": optional(actor.UserID()), "decided_at": now,
					"decision_note": note, "granted_scopes": granted})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return models.ErrRequestDecided
			}
			req.Status, req.DecidedAt, req.DecisionNote, req.GrantedScopes = status, &now, note, granted
			return nil
		}
		if !d.Approve {
			if err := decide(models.RequestDenied, ""); err != nil {
				return err
			}
			if err := s.auditRequest(tx, actor, api, &p, "access.deny", &req, map[string]any{"note": note}); err != nil {
				return err
			}
			var g models.Grant
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
				if err := decide(models.RequestWithdrawn, ""); err != nil {
					return err
				}
				return s.auditRequest(tx, actor, api, &p, "access.withdraw", &req, map[string]any{"reason": reason})
			}
		}
		// The grant: what the project holds already (unless provisional) plus what is approved.
		var existing models.Grant
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
		if err := tx.Model(&models.APIScope{}).Where("api_id = ?", api.ID).Pluck("name", &defined).Error; err != nil {
			return err
		}
		kept := scopes[:0]
		for _, sc := range scopes {
			if slices.Contains(defined, sc) {
				kept = append(kept, sc)
			}
		}
		if err := decide(models.RequestApproved, strings.Join(approved, " ")); err != nil {
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
		return &req, nil, models.ErrRequestWithdrawn
	}
	return &req, revoked, nil
}

// requesterLacksAuthority says why the request's author may no longer ask for access
// for its project ("" when they still may).
func requesterLacksAuthority(tx *gorm.DB, r *models.AccessRequest, p *models.Project) string {
	if r.RequestedBy == nil {
		return "the requester's account no longer exists"
	}
	m, err := member(tx, p.TeamID, *r.RequestedBy)
	if err != nil {
		return "the requester is no longer a member of the project's team"
	}
	if !m.Role.Can(models.ActAccessRequest) {
		return "the requester's role no longer allows asking for access"
	}
	return ""
}

// WithdrawRequest withdraws a project's pending request (developers and up in the
// project's team). A request made when APIs got owners cannot be withdrawn this way: it
// keeps the project's provisional access until the API's team decides.
func (s *Store) WithdrawRequest(ctx context.Context, actor models.Actor, projectID, requestID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		p, err := projectFor(tx, actor, projectID, models.ActAccessRequest)
		if err != nil {
			return err
		}
		var req models.AccessRequest
		if err := tx.Where("id = ? AND project_id = ?", requestID, p.ID).Take(&req).Error; err != nil {
			return notFound(err)
		}
		if req.Status != models.RequestPending || req.Origin == "migration" {
			return models.ErrRequestDecided
		}
		var api models.API
		if err := tx.Where("id = ?", req.APIID).Take(&api).Error; err != nil {
			return notFound(err)
		}
		res := tx.Model(&models.AccessRequest{}).Where("id = ? AND status = ?", req.ID, models.RequestPending).
			Updates(map[string]any{"status": models.RequestWithdrawn, "decided_by": optional(actor.UserID()), "decided_at": s.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return models.ErrRequestDecided
		}
		return s.auditRequest(tx, actor, &api, p, "access.withdraw", &req, map[string]any{"reason": "withdrawn by the requesting team"})
	})
}

// withdrawRequestsBeyond withdraws, in the caller's transaction, the pending access
// requests a member made for the team's projects that role (their new role; "" when
// they left) no longer allows them to make, each with an audit event in both teams.
func (s *Store) withdrawRequestsBeyond(tx *gorm.DB, actor models.Actor, teamID, userID string, role models.Role, reason string) error {
	if role.Can(models.ActAccessRequest) {
		return nil
	}
	var open []models.AccessRequest
	if err := tx.Where("team_id = ? AND requested_by = ? AND status = ?", teamID, userID, models.RequestPending).Find(&open).Error; err != nil {
		return err
	}
	for i := range open {
		r := &open[i]
		var api models.API
		var p models.Project
		if err := tx.Where("id = ?", r.APIID).Take(&api).Error; err != nil {
			return err
		}
		if err := tx.Where("id = ?", r.ProjectID).Take(&p).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.AccessRequest{}).Where("id = ? AND status = ?", r.ID, models.RequestPending).
			Updates(map[string]any{"status": models.RequestWithdrawn, "decided_at": s.now()}).Error; err != nil {
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
func (s *Store) MyAccessRequests(ctx context.Context, actor models.Actor, apiID string) ([]models.AccessRequestInfo, error) {
	var out []models.AccessRequestInfo
	return out, requestInfoQuery(s.db.WithContext(ctx)).
		Joins("JOIN team_members m ON m.team_id = r.team_id AND m.user_id = ?", actor.UserID()).
		Where("r.api_id = ?", apiID).Order("r.created_at DESC, r.id").Limit(100).Scan(&out).Error
}
