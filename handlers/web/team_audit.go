package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/views"
)

// showAudit handles "GET /teams/:team/audit?page=N": the team's audit log, newest first.
func (h *Handler) showAudit(c echo.Context) error {
	ctx, a, team := c.Request().Context(), actor(c), c.Param("team")
	page, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil || page < 1 || page > 100000 {
		page = 1
	}
	tv, err := h.Store.TeamFor(ctx, a, team)
	if err != nil {
		return err
	}
	events, more, err := h.Store.AuditEvents(ctx, a, team, page)
	if err != nil {
		return err
	}
	vm := views.AuditVM{TeamID: tv.ID, TeamName: tv.Name, Page: page}
	for _, e := range events {
		target := e.TargetLabel
		if e.TargetType != "" {
			target = e.TargetType + " " + e.TargetLabel
		}
		vm.Events = append(vm.Events, views.AuditRow{At: e.CreatedAt, Actor: e.ActorLabel, Action: e.Action, Target: target,
			Project: e.ProjectID, IP: e.IP, UserAgent: e.UserAgent, Details: e.Details})
	}
	if page > 1 {
		vm.PrevURL = views.TeamAuditPath(tv.ID, page-1)
	}
	if more {
		vm.NextURL = views.TeamAuditPath(tv.ID, page+1)
	}
	return httpx.Render(c, http.StatusOK, views.AuditPage(h.page(c, "Audit log"), vm))
}
