package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/google/uuid"
	"github.com/pressly/goose/v3"
)

// goMigrations are the migrations written in Go: data conversions that SQL cannot
// express on both dialects. Their versions sit between the SQL files'.
func goMigrations(d Dialect) []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(8,
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return ownAudiences(ctx, sqlTx{tx, d}) }},
			&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error { return unownAudiences(ctx, sqlTx{tx, d}) }}),
	}
}

// sqlTx runs ?-placeholder SQL on either dialect.
type sqlTx struct {
	tx *sql.Tx
	d  Dialect
}

func (t sqlTx) rebind(q string) string {
	if t.d != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (t sqlTx) exec(ctx context.Context, q string, args ...any) error {
	_, err := t.tx.ExecContext(ctx, t.rebind(q), args...)
	return err
}

func (t sqlTx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.rebind(q), args...)
}

// legacyProject is a project as it was before APIs had owners.
type legacyProject struct {
	id, team, name, scopes, audiences string
	createdBy                         sql.NullString
}

// legacyKey folds an audience typed before identifiers were checked: IdentifierKey, or
// for text it refuses, the text in lower case.
func legacyKey(aud string) string {
	if k, err := models.IdentifierKey(aud); err == nil {
		return k
	}
	return "legacy:" + strings.ToLower(aud)
}

// ownAudiences (migration 8) turns the free-text audiences and scopes of projects into
// owned APIs: each distinct audience (all its spellings together) becomes an API of the
// team of the oldest project using it, defining the scopes that team's projects using
// it had; that team's projects get grants; other teams' projects get a pending access
// request and a provisional grant, so nothing they hold stops working until the owner
// decides. API keys are untouched: they keep verifying, and are revoked if the access
// they stand for is narrowed or denied.
func ownAudiences(ctx context.Context, t sqlTx) error {
	rows, err := t.query(ctx, `SELECT id, team_id, name, scopes, audiences, created_by FROM projects ORDER BY created_at, id`)
	if err != nil {
		return err
	}
	var projects []legacyProject
	for rows.Next() {
		var p legacyProject
		if err := rows.Scan(&p.id, &p.team, &p.name, &p.scopes, &p.audiences, &p.createdBy); err != nil {
			rows.Close()
			return err
		}
		projects = append(projects, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	type audience struct {
		key, identifier, owner string
		createdBy              sql.NullString
		users                  []legacyProject
	}
	var order []*audience
	byKey := map[string]*audience{}
	for _, p := range projects {
		for _, a := range strings.Fields(p.audiences) {
			k := legacyKey(a)
			au := byKey[k]
			if au == nil {
				// The oldest project using it decides the owner and the spelling.
				au = &audience{key: k, identifier: a, owner: p.team, createdBy: p.createdBy}
				byKey[k] = au
				order = append(order, au)
			}
			if !slices.ContainsFunc(au.users, func(u legacyProject) bool { return u.id == p.id }) {
				au.users = append(au.users, p)
			}
		}
	}

	now := time.Now().UTC()
	audit := func(team, project, action, targetType, targetID, target, details string) error {
		return t.exec(ctx, `INSERT INTO audit_events (id, team_id, project_id, actor_label, action, target_type, target_id,
			target_label, details, created_at) VALUES (?, ?, ?, 'system (upgrade)', ?, ?, ?, ?, ?, ?)`,
			uuid.Must(uuid.NewV7()).String(), team, project, action, targetType, targetID, models.Truncate(target, 200), details, now)
	}
	for _, au := range order {
		// Its scopes: what the owning team's projects using it had.
		var scopes []string
		for _, u := range au.users {
			if u.team != au.owner {
				continue
			}
			for _, sc := range strings.Fields(u.scopes) {
				if !slices.Contains(scopes, sc) {
					scopes = append(scopes, sc)
				}
			}
		}
		slices.Sort(scopes)
		apiID := newID("api")
		name := au.identifier
		if len(name) > 80 {
			name = name[:80]
		}
		if err := t.exec(ctx, `INSERT INTO apis (id, team_id, name, description, identifier, identifier_key, accepts_api_keys,
			accepts_access_tokens, listed, locked_at, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, TRUE, TRUE, FALSE, ?, ?, ?, ?)`,
			apiID, au.owner, name, "Registered when APIs got owners, from the audience your projects named. Describe it and its scopes here.",
			au.identifier, au.key, now, au.createdBy, now, now); err != nil {
			return fmt.Errorf("API for audience %q: %w", au.identifier, err)
		}
		for _, sc := range scopes {
			if err := t.exec(ctx, `INSERT INTO api_scopes (api_id, name, description, created_at) VALUES (?, ?, '', ?)`, apiID, sc, now); err != nil {
				return err
			}
		}
		if err := audit(au.owner, "", "api.create", "api", apiID, name,
			fmt.Sprintf(`{"identifier":%q,"reason":"existing audience","scopes":%q}`, au.identifier, strings.Join(scopes, " "))); err != nil {
			return err
		}
		for _, u := range au.users {
			var granted []string
			for _, sc := range strings.Fields(u.scopes) {
				if slices.Contains(scopes, sc) && !slices.Contains(granted, sc) {
					granted = append(granted, sc)
				}
			}
			slices.Sort(granted)
			joined := strings.Join(granted, " ")
			grantID := newID("grt")
			if u.team == au.owner {
				if err := t.exec(ctx, `INSERT INTO api_grants (id, api_id, project_id, scopes, provisional, created_at, updated_at)
					VALUES (?, ?, ?, ?, FALSE, ?, ?)`, grantID, apiID, u.id, joined, now, now); err != nil {
					return err
				}
				if err := audit(au.owner, u.id, "grant.create", "grant", grantID, u.name+" → "+name,
					fmt.Sprintf(`{"scopes":%q,"reason":"existing audience"}`, joined)); err != nil {
					return err
				}
				continue
			}
			reqID := newID("req")
			if err := t.exec(ctx, `INSERT INTO access_requests (id, api_id, project_id, team_id, scopes, reason, status, origin, created_at)
				VALUES (?, ?, ?, ?, ?, ?, 'pending', 'migration', ?)`, reqID, apiID, u.id, u.team, joined,
				"This project named "+au.identifier+" as an audience before APIs had owners. It keeps its access until you decide.", now); err != nil {
				return err
			}
			if err := t.exec(ctx, `INSERT INTO api_grants (id, api_id, project_id, scopes, provisional, request_id, created_at, updated_at)
				VALUES (?, ?, ?, ?, TRUE, ?, ?, ?)`, grantID, apiID, u.id, joined, reqID, now, now); err != nil {
				return err
			}
			details := fmt.Sprintf(`{"scopes":%q,"reason":"existing audience of another team's project; provisional until decided"}`, joined)
			if err := audit(au.owner, "", "access.request", "access_request", reqID, u.name+" → "+name, details); err != nil {
				return err
			}
			if err := audit(u.team, u.id, "access.request", "access_request", reqID, u.name+" → "+name, details); err != nil {
				return err
			}
		}
	}
	return nil
}

// unownAudiences (migration 8, down) writes each project's grants back as its
// audiences and scopes.
func unownAudiences(ctx context.Context, t sqlTx) error {
	rows, err := t.query(ctx, `SELECT g.project_id, a.identifier, g.scopes FROM api_grants g JOIN apis a ON a.id = g.api_id ORDER BY g.created_at, g.id`)
	if err != nil {
		return err
	}
	type acc struct{ auds, scopes []string }
	byProject := map[string]*acc{}
	var order []string
	for rows.Next() {
		var project, identifier, scopes string
		if err := rows.Scan(&project, &identifier, &scopes); err != nil {
			rows.Close()
			return err
		}
		a := byProject[project]
		if a == nil {
			a = &acc{}
			byProject[project] = a
			order = append(order, project)
		}
		a.auds = append(a.auds, identifier)
		for _, sc := range strings.Fields(scopes) {
			if !slices.Contains(a.scopes, sc) {
				a.scopes = append(a.scopes, sc)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range order {
		a := byProject[id]
		if err := t.exec(ctx, `UPDATE projects SET audiences = ?, scopes = ? WHERE id = ?`,
			strings.Join(a.auds, " "), strings.Join(a.scopes, " "), id); err != nil {
			return err
		}
	}
	return nil
}
