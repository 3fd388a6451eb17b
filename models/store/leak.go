package store

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/gatehouse-dev/gatehouse/models"
	"gorm.io/gorm"
)

// SetLeakPolicy sets what a secret scanner's report of one of the team's credentials
// does (models.LeakPolicyRevoke or models.LeakPolicyNotify). Owners and admins decide
// it, as they rename the team.
func (s *Store) SetLeakPolicy(ctx context.Context, actor models.Actor, teamID, policy string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := authorize(tx, actor, teamID, models.ActTeamRename); err != nil {
			return err
		}
		if !slices.Contains(models.LeakPolicies, policy) { // only once the actor may change it
			return models.ErrLeakPolicy
		}
		var t models.Team
		if err := tx.Where("id = ?", teamID).Take(&t).Error; err != nil {
			return notFound(err)
		}
		if t.LeakPolicy == policy {
			return nil
		}
		if err := tx.Model(&t).Updates(map[string]any{"leak_policy": policy, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, event{team: teamID, action: "team.leak_policy", targetType: "team", targetID: teamID, target: t.Name,
			details: map[string]any{"from": t.LeakPolicy, "to": policy}})
	})
}

// ReportLeak acts on a secret scanner's report of one credential; actor is the scanner
// (a models.Actor with Service set). The token's format says which kind it may be
// (models.LeakKindOf); it is then found by its SHA-256 — an API key, once its signature
// is verified, by its jti, so either spelling of an ECDSA signature finds it. A token
// that is none of the portal's credentials comes to a zero LeakOutcome and writes
// nothing. One that is:
//
//   - already revoked: nothing more is written (a scanner reports a value again for
//     every place it finds it);
//   - a client secret or API key of a team whose policy is revoke, or any personal
//     access token (a person's, not a team's: always revoked): it is revoked, with its
//     usual audit and outbox events, and a "leak.reported" audit event and
//     EventLeakReported follow in the same transaction;
//   - a team's credential under the notify policy: only the "leak.reported" audit
//     event and EventLeakReported.
func (s *Store) ReportLeak(ctx context.Context, actor models.Actor, r models.LeakReport) (models.LeakOutcome, error) {
	var out models.LeakOutcome
	kind := models.LeakKindOf(r.Token)
	var find func(tx *gorm.DB) (*leakedCredential, error)
	switch kind {
	case models.LeakKindClientSecret:
		find = func(tx *gorm.DB) (*leakedCredential, error) { return s.leakedSecret(tx, actor, r) }
	case models.LeakKindPersonalToken:
		find = func(tx *gorm.DB) (*leakedCredential, error) { return s.leakedPersonalToken(tx, actor, r) }
	case models.LeakKindInitialAccessToken:
		find = func(tx *gorm.DB) (*leakedCredential, error) { return s.leakedInitialAccessToken(tx, actor, r) }
	case models.LeakKindRegistrationToken:
		find = func(tx *gorm.DB) (*leakedCredential, error) { return s.leakedRegistrationToken(tx, actor, r) }
	case models.LeakKindReferenceToken:
		find = func(tx *gorm.DB) (*leakedCredential, error) { return s.leakedReferenceToken(tx, actor, r) }
	case models.LeakKindRefreshToken:
		find = func(tx *gorm.DB) (*leakedCredential, error) { return s.leakedRefreshToken(tx, actor, r) }
	case models.LeakKindAPIKey:
		var claims models.APIKeyClaims
		if s.signer == nil || s.signer.VerifyOwn(r.Token, models.TypAPIKey, &claims) != nil ||
			claims.Issuer != s.signer.Config().Issuer || claims.ID == "" {
			return out, nil // forged, foreign or malformed: not ours
		}
		find = func(tx *gorm.DB) (*leakedCredential, error) { return s.leakedAPIKey(tx, actor, r, claims.ID) }
	default:
		return out, nil
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		out = models.LeakOutcome{}
		c, err := find(tx)
		if err != nil || c == nil {
			return err
		}
		out.Found, out.Kind = true, kind
		if c.wasRevoked {
			return nil
		}
		revoked := false
		if c.policy == models.LeakPolicyRevoke {
			if revoked, err = c.revoke(leakDetails(actor, r, c.policy)); err != nil || !revoked {
				return err // not revoked now: a concurrent transaction did, and recorded it
			}
		}
		out.Revoked = revoked
		return s.recordLeak(tx, actor, r, kind, c, revoked)
	})
	return out, err
}

// leakedCredential is a reported credential found in the store.
type leakedCredential struct {
	// teams are those the report is recorded in and announced to; project is its
	// project, if it has one.
	teams                []string
	project              string
	targetType, id, name string
	policy               string
	wasRevoked           bool
	revoke               func(details map[string]any) (bool, error)
}

// leakDetails are what the revocation's audit event adds about the report.
func leakDetails(actor models.Actor, r models.LeakReport, policy string) map[string]any {
	return map[string]any{"via": models.ViaLeakReport, "reporter": actor.Label(), "policy": policy,
		"type": models.Truncate(r.Type, 100), "source": models.Truncate(r.Source, 100), "url": models.Truncate(r.URL, 500)}
}

// recordLeak writes the "leak.reported" audit event and EventLeakReported, once for
// each of the credential's teams.
func (s *Store) recordLeak(tx *gorm.DB, actor models.Actor, r models.LeakReport, kind string, c *leakedCredential, revoked bool) error {
	details := leakDetails(actor, r, c.policy)
	delete(details, "via")
	details["kind"], details["name"], details["revoked"] = kind, c.name, revoked
	for _, team := range c.teams {
		if err := s.audit(tx, actor, event{team: team, project: c.project, action: "leak.reported", targetType: c.targetType,
			targetID: c.id, target: c.name, details: details}); err != nil {
			return err
		}
	}
	if len(c.teams) == 0 {
		return nil
	}
	return s.emitTo(tx, models.Event{Type: models.EventLeakReported, TeamID: c.teams[0], ProjectID: c.project, SubjectID: c.id,
		Data: details}, c.teams...)
}

// teamLeakPolicy reads a team's leak policy.
func teamLeakPolicy(tx *gorm.DB, teamID string) (string, error) {
	var t models.Team
	if err := tx.Select("leak_policy").Where("id = ?", teamID).Take(&t).Error; err != nil {
		return "", err
	}
	return t.LeakPolicy, nil
}

// leakedSecret finds a reported client secret — a project's, or a service account's
// fallback secret (the same format) — or nil.
func (s *Store) leakedSecret(tx *gorm.DB, actor models.Actor, r models.LeakReport) (*leakedCredential, error) {
	var cs models.ClientSecret
	if err := tx.Where("hash = ?", models.SHA256Hex(r.Token)).Take(&cs).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return s.leakedServiceAccountSecret(tx, actor, r)
		}
		return nil, err
	}
	var p models.Project
	if err := tx.Where("id = ?", cs.ProjectID).Take(&p).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	policy, err := teamLeakPolicy(tx, p.TeamID)
	if err != nil {
		return nil, err
	}
	return &leakedCredential{teams: []string{p.TeamID}, project: p.ID, targetType: "client_secret", id: cs.ID, name: cs.Name,
		policy: policy, wasRevoked: cs.RevokedAt != nil, revoke: func(details map[string]any) (bool, error) {
			return s.revokeSecret(tx, actor, &p, &cs, details)
		}}, nil
}

// leakedAPIKey finds a reported API key by its id (the verified token's jti), or nil.
func (s *Store) leakedAPIKey(tx *gorm.DB, actor models.Actor, r models.LeakReport, keyID string) (*leakedCredential, error) {
	var k models.APIKey
	if err := tx.Where("id = ?", keyID).Take(&k).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	p := models.Project{TeamID: k.TeamID}
	if k.ProjectID != nil {
		p.ID = *k.ProjectID
		if err := tx.Where("id = ?", p.ID).Take(&p).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, err
		}
	}
	policy, err := teamLeakPolicy(tx, k.TeamID)
	if err != nil {
		return nil, err
	}
	return &leakedCredential{teams: []string{k.TeamID}, project: p.ID, targetType: "api_key", id: k.ID, name: k.Name,
		policy: policy, wasRevoked: k.RevokedAt != nil, revoke: func(details map[string]any) (bool, error) {
			reason := "reported leaked by " + actor.Label()
			if r.URL != "" {
				reason += " at " + r.URL
			}
			return s.revoke(tx, actor, &p, &k, revocation{action: "key.revoke", via: models.ViaLeakReport, reason: reason})
		}}, nil
}

// leakedPersonalToken finds a reported personal access token, or nil. Its report is
// recorded in the team it is limited to, or in every team of its user (it reaches
// them all); it is always revoked.
func (s *Store) leakedPersonalToken(tx *gorm.DB, actor models.Actor, r models.LeakReport) (*leakedCredential, error) {
	var t models.PersonalToken
	if err := tx.Where("hash = ?", models.SHA256Hex(r.Token)).Take(&t).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	var teams []string
	if t.TeamID != nil {
		teams = []string{*t.TeamID}
	} else if err := tx.Model(&models.TeamMember{}).Where("user_id = ?", t.UserID).Order("team_id").Pluck("team_id", &teams).Error; err != nil {
		return nil, err
	}
	return &leakedCredential{teams: teams, targetType: "personal_access_token", id: t.ID, name: t.Name,
		policy: models.LeakPolicyRevoke, wasRevoked: t.RevokedAt != nil, revoke: func(details map[string]any) (bool, error) {
			return s.revokePersonalToken(tx, actor, &t, details)
		}}, nil
}

// leakedServiceAccountSecret finds a reported service-account secret, or nil; revoking
// it is the same change as on the account's page.
func (s *Store) leakedServiceAccountSecret(tx *gorm.DB, actor models.Actor, r models.LeakReport) (*leakedCredential, error) {
	var c models.ServiceAccountCredential
	if err := tx.Where("hash = ? AND kind = ?", models.SHA256Hex(r.Token), models.CredentialSecret).Take(&c).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	var sa models.ServiceAccount
	if err := tx.Where("id = ?", c.ServiceAccountID).Take(&sa).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	policy, err := teamLeakPolicy(tx, sa.TeamID)
	if err != nil {
		return nil, err
	}
	return &leakedCredential{teams: []string{sa.TeamID}, targetType: "service_account_secret", id: c.ID, name: sa.Name + " / " + c.Name,
		policy: policy, wasRevoked: c.RevokedAt != nil, revoke: func(details map[string]any) (bool, error) {
			res := tx.Model(&c).Where("revoked_at IS NULL").Update("revoked_at", s.now())
			if res.Error != nil || res.RowsAffected == 0 {
				return false, res.Error
			}
			details["service_account"] = sa.Name
			return true, s.audit(tx, actor, event{team: sa.TeamID, action: "service_account.secret_revoke",
				targetType: "service_account_secret", targetID: c.ID, target: c.Name, details: details})
		}}, nil
}

// leakedInitialAccessToken finds a reported initial access token, or nil; revoking it
// is the same change as on the team's Settings page.
func (s *Store) leakedInitialAccessToken(tx *gorm.DB, actor models.Actor, r models.LeakReport) (*leakedCredential, error) {
	var t models.InitialAccessToken
	if err := tx.Where("hash = ?", models.SHA256Hex(r.Token)).Take(&t).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	policy, err := teamLeakPolicy(tx, t.TeamID)
	if err != nil {
		return nil, err
	}
	return &leakedCredential{teams: []string{t.TeamID}, targetType: "initial_access_token", id: t.ID, name: t.Label,
		policy: policy, wasRevoked: t.RevokedAt != nil, revoke: func(details map[string]any) (bool, error) {
			return s.revokeInitialAccessToken(tx, actor, &t, details)
		}}, nil
}

// leakedReferenceToken finds a reported reference access token, or nil. It follows its
// project's team's policy like a client secret; revoking it is what its client's own
// revocation does, and the next introspection or exchange refuses it.
func (s *Store) leakedReferenceToken(tx *gorm.DB, actor models.Actor, r models.LeakReport) (*leakedCredential, error) {
	ref, err := referenceRow(tx, r.Token)
	if err != nil || ref == nil {
		return nil, err
	}
	policy, err := teamLeakPolicy(tx, ref.TeamID)
	if err != nil {
		return nil, err
	}
	return &leakedCredential{teams: []string{ref.TeamID}, project: ref.ProjectID, targetType: "reference_token", id: ref.claims.ID,
		name: ref.ProjectName + " · " + ref.hint, policy: policy, wasRevoked: ref.RevokedAt != nil,
		revoke: func(details map[string]any) (bool, error) { return s.revokeReferenceRow(tx, actor, ref, details) }}, nil
}

// leakedRefreshToken finds a reported refresh token (current or already rotated), or
// nil. A refresh token is a user's delegation to an app, not its team's to keep alive:
// like a personal access token it is revoked whatever the team's policy — its whole
// family, as reuse would — and the report is recorded in the app's team.
func (s *Store) leakedRefreshToken(tx *gorm.DB, actor models.Actor, r models.LeakReport) (*leakedCredential, error) {
	var rt models.RefreshToken
	if err := tx.Where("hash = ?", models.SHA256Hex(r.Token)).Take(&rt).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	var p models.Project
	if err := tx.Select("id", "team_id", "name").Where("id = ?", rt.ProjectID).Take(&p).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	var live int64
	if err := tx.Model(&models.RefreshToken{}).Where("family_id = ? AND revoked_at IS NULL", rt.FamilyID).Count(&live).Error; err != nil {
		return nil, err
	}
	return &leakedCredential{teams: []string{p.TeamID}, project: p.ID, targetType: "refresh_family", id: rt.FamilyID,
		name: p.Name + " · " + models.RefreshTokenPrefix + "…" + r.Token[len(r.Token)-4:], policy: models.LeakPolicyRevoke,
		wasRevoked: live == 0, revoke: func(map[string]any) (bool, error) {
			n, err := s.revokeFamilies(tx, actor, models.RefreshRevokedLeak, "refresh.revoke", "family_id = ?", rt.FamilyID)
			return n > 0, err
		}}, nil
}

// leakedRegistrationToken finds a reported registration access token (RFC 7592), or
// nil. It follows the client's team's policy; revoking it withdraws the token (its hash
// is kept marked revoked, so a later report is still recognised), and nobody can read,
// change or delete the registration with it any more. The client itself keeps working,
// and its team manages it on its project page.
func (s *Store) leakedRegistrationToken(tx *gorm.DB, actor models.Actor, r models.LeakReport) (*leakedCredential, error) {
	hash := models.SHA256Hex(r.Token)
	var reg models.ClientRegistration
	if err := tx.Where("token_hash IN ?", []string{hash, revokedRegistrationHash + hash}).Take(&reg).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	var p models.Project
	if err := tx.Select("id", "team_id", "name").Where("id = ?", reg.ProjectID).Take(&p).Error; err != nil {
		return nil, ignoreNotFound(err)
	}
	policy, err := teamLeakPolicy(tx, p.TeamID)
	if err != nil {
		return nil, err
	}
	hint := models.RegistrationAccessTokenPrefix + "…" + r.Token[len(r.Token)-4:]
	return &leakedCredential{teams: []string{p.TeamID}, project: p.ID, targetType: "client_registration", id: p.ID,
		name: p.Name + " · " + hint, policy: policy, wasRevoked: reg.TokenHash != hash, revoke: func(details map[string]any) (bool, error) {
			res := tx.Model(&models.ClientRegistration{}).Where("project_id = ? AND token_hash = ?", p.ID, hash).
				Updates(map[string]any{"token_hash": revokedRegistrationHash + hash, "updated_at": s.now()})
			if res.Error != nil || res.RowsAffected == 0 {
				return false, res.Error
			}
			audited := map[string]any{"hint": hint}
			maps.Copy(audited, details)
			return true, s.audit(tx, actor, event{team: p.TeamID, project: p.ID, action: "registration.token_revoke",
				targetType: "project", targetID: p.ID, target: p.Name, details: audited})
		}}, nil
}

// revokedRegistrationHash marks a withdrawn registration access token's hash: no
// token's SHA-256 (hex) begins with it, so the token no longer authenticates.
const revokedRegistrationHash = "revoked:"
