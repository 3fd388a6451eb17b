package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
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
	form, filter, problem := auditFilter(c)
	filter.Offset = (page - 1) * models.AuditPageSize
	events, more, err := h.Store.AuditLog(ctx, a, team, filter)
	if err != nil {
		return err
	}
	projects, err := h.Store.TeamProjects(ctx, a, team)
	if err != nil {
		return err
	}
	var ids []string
	for _, e := range events {
		if e.ProjectID != "" && !slices.Contains(ids, e.ProjectID) {
			ids = append(ids, e.ProjectID)
		}
	}
	names, err := h.Store.TeamProjectNames(ctx, a, team, ids)
	if err != nil {
		return err
	}
	query := form.Query()
	vm := views.AuditVM{TeamID: tv.ID, TeamName: tv.Name, Personal: tv.Personal, MyRole: string(tv.MyRole), Page: page, Filter: form, FilterError: problem,
		ExportCSV: views.TeamAuditExportPath(tv.ID, "csv", query), ExportJSON: views.TeamAuditExportPath(tv.ID, "json", query)}
	for _, p := range projects {
		vm.Projects = append(vm.Projects, views.Option{Value: p.ID, Label: p.Name})
	}
	for _, e := range events {
		target := e.TargetLabel
		if e.TargetType != "" {
			target = e.TargetType + " " + e.TargetLabel
		}
		project := names[e.ProjectID]
		if project == "" {
			project = e.ProjectID // deleted since: its id is all there is
		}
		vm.Events = append(vm.Events, views.AuditRow{At: e.CreatedAt, Actor: e.ActorLabel, Action: e.Action, Target: target,
			Project: project, ProjectID: e.ProjectID, IP: e.IP, UserAgent: e.UserAgent, Fields: auditFields(e.Details), Details: e.Details})
	}
	if page > 1 {
		vm.PrevURL = withQuery(views.TeamAuditPath(tv.ID, page-1), query)
	}
	if more {
		vm.NextURL = withQuery(views.TeamAuditPath(tv.ID, page+1), query)
	}
	return httpx.Render(c, http.StatusOK, views.AuditPage(h.page(c, "Audit log"), vm))
}

// auditFields turns an event's details, a JSON object, into named values sorted by name
// (nil when they are not an object: the page shows the text).
func auditFields(details string) []views.AuditField {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(details))
	dec.UseNumber() // a status-list index of 1000000 stays 1000000, not 1e+06
	if details == "" || dec.Decode(&m) != nil || len(m) == 0 {
		return nil
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]views.AuditField, 0, len(m))
	for _, k := range names {
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case nil:
			v = "—"
		case []any:
			parts := make([]string, 0, len(x))
			for _, p := range x {
				parts = append(parts, fmt.Sprint(p))
			}
			v = strings.Join(parts, ", ")
		case map[string]any:
			b, _ := json.Marshal(x) // a value json.Unmarshal produced always marshals
			v = string(b)
		default:
			v = fmt.Sprint(x)
		}
		out = append(out, views.AuditField{Name: strings.ReplaceAll(k, "_", " "), Value: v})
	}
	return out
}

// auditFilter reads the audit log's filters from the query string: the form's values,
// the domain's filter, and what could not be read (a date that is not YYYY-MM-DD, which
// is left out of the filter).
func auditFilter(c echo.Context) (views.AuditFilterForm, models.AuditFilter, string) {
	q := func(name string) string { return models.Truncate(strings.TrimSpace(c.QueryParam(name)), 200) }
	form := views.AuditFilterForm{Actor: q("actor"), Action: q("action"), Project: q("project"), From: q("from"), To: q("to")}
	f := models.AuditFilter{Actor: form.Actor, Action: form.Action, ProjectID: form.Project}
	problem := ""
	if form.From != "" {
		if d, err := time.Parse(time.DateOnly, form.From); err == nil {
			f.From = d
		} else {
			problem = "“From” is not a date like 2026-12-01; it was left out of the filter."
		}
	}
	if form.To != "" {
		if d, err := time.Parse(time.DateOnly, form.To); err == nil {
			f.To = d.AddDate(0, 0, 1) // the whole day
		} else {
			problem = "“To” is not a date like 2026-12-01; it was left out of the filter."
		}
	}
	return form, f, problem
}

// withQuery appends an encoded query to a path that may have one already.
func withQuery(path, query string) string {
	if query == "" {
		return path
	}
	if strings.Contains(path, "?") {
		return path + "&" + query
	}
	return path + "?" + query
}
