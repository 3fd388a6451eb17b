package api

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
)

// listAudit handles "GET /api/v1/teams/:team/audit": the team's events, newest first,
// paged by a cursor naming the last event served (the store's keyset, so new events do
// not shift a page).
func (h *Handler) listAudit(c echo.Context) error {
	limit, cursor, pageErr := pageParams(c)
	f := models.AuditFilter{Limit: max(limit, 1), Action: c.QueryParam("action")}
	var after *models.AuditCursor
	if cursor != "" {
		at, id, ok := strings.Cut(cursor, "\x00")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil {
			pageErr = httpx.InvalidInput(httpx.FieldProblem{Field: "cursor", Message: "is not a cursor this API returned"})
		} else {
			after = &models.AuditCursor{At: t, ID: id}
		}
	}
	f.After = after
	events, more, err := h.Store.AuditLog(c.Request().Context(), actor(c), c.Param("team"), f)
	if err != nil {
		return err // refused before the parameters are looked at
	}
	if pageErr != nil {
		return pageErr
	}
	out := list[auditEventJSON]{Items: make([]auditEventJSON, len(events))}
	for i, e := range events {
		ev := auditEventJSON{ID: e.ID, At: e.CreatedAt.UTC(), Actor: e.ActorLabel, ActorID: e.ActorID, Action: e.Action, ProjectID: e.ProjectID,
			TargetType: e.TargetType, TargetID: e.TargetID, TargetLabel: e.TargetLabel, Details: map[string]any{}, IP: e.IP}
		if e.Details != "" {
			if err := json.Unmarshal([]byte(e.Details), &ev.Details); err != nil {
				return err
			}
		}
		out.Items[i] = ev
	}
	if more && len(events) > 0 {
		last := events[len(events)-1]
		out.NextCursor = encodeCursor(last.CreatedAt.UTC().Format(time.RFC3339Nano) + "\x00" + last.ID)
	}
	return respond(c, 200, out)
}
