package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
)

// exportAudit handles "GET /teams/:team/audit/export?format=csv|json" with the audit
// log's filters: the selected events, newest first, up to models.AuditExportLimit, as a
// download. X-Gatehouse-Truncated says when there were more.
func (h *Handler) exportAudit(c echo.Context) error {
	ctx, a, team := c.Request().Context(), actor(c), c.Param("team")
	_, filter, _ := auditFilter(c) // an unreadable date is left out, as on the page
	filter.Limit = models.AuditExportLimit
	events, more, err := h.Store.AuditLog(ctx, a, team, filter) // decides who may read it first
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	var (
		body        []byte
		contentType string
	)
	switch format {
	case "csv":
		body, err = auditCSV(events)
		contentType = "text/csv; charset=utf-8"
	case "json":
		body, err = auditJSON(events)
		contentType = "application/json"
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Choose an export format: csv or json.")
	}
	if err != nil {
		return err
	}
	httpx.NoStore(c)
	hdr := c.Response().Header()
	hdr.Set("Content-Disposition", `attachment; filename="gatehouse-audit-`+time.Now().UTC().Format("20060102")+`.`+format+`"`)
	if more {
		hdr.Set("X-Gatehouse-Truncated", "true")
	}
	return c.Blob(http.StatusOK, contentType, body)
}

// auditColumns are the export's fields, in order.
var auditColumns = []string{"time", "actor", "actor_id", "action", "target_type", "target_id", "target", "project_id", "ip", "user_agent", "details"}

func auditValues(e models.AuditEvent) []string {
	return []string{e.CreatedAt.UTC().Format(time.RFC3339), e.ActorLabel, e.ActorID, e.Action, e.TargetType, e.TargetID, e.TargetLabel,
		e.ProjectID, e.IP, e.UserAgent, e.Details}
}

// auditCSV writes the events as CSV. A cell a spreadsheet would read as a formula
// (=, +, -, @, tab, carriage return first) gets a leading apostrophe: names and user
// agents are anyone's text.
func auditCSV(events []models.AuditEvent) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(auditColumns); err != nil {
		return nil, err
	}
	for _, e := range events {
		row := auditValues(e)
		for i, v := range row {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				row[i] = "'" + v
			}
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// auditJSON writes the events as a JSON array of objects; details stay a JSON object
// when they are one.
func auditJSON(events []models.AuditEvent) ([]byte, error) {
	out := make([]map[string]any, 0, len(events))
	for _, e := range events {
		m := map[string]any{}
		for i, v := range auditValues(e) {
			m[auditColumns[i]] = v
		}
		if json.Valid([]byte(e.Details)) && strings.HasPrefix(e.Details, "{") {
			m["details"] = json.RawMessage(e.Details)
		}
		out = append(out, m)
	}
	return json.MarshalIndent(out, "", "  ")
}
