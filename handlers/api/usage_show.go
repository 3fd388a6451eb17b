package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
)

// showUsage handles "GET /api/v1/projects/:project/usage?days=7|30": the daily counts
// the project's Usage page charts, oldest day first.
func (h *Handler) showUsage(c echo.Context) error {
	ctx := c.Request().Context()
	pv, err := h.Store.ProjectFor(ctx, actor(c), c.Param("project"))
	if err != nil {
		return err
	}
	days := 7
	switch c.QueryParam("days") {
	case "", "7":
	case "30":
		days = 30
	default:
		return httpx.InvalidInput(httpx.FieldProblem{Field: "days", Message: "must be 7 or 30"})
	}
	series, err := h.Usage.Series(ctx, models.ProjectUsageScope(pv.ID), days)
	if err != nil {
		return err
	}
	out := usageJSON{ProjectID: pv.ID, Days: make([]usageDayJSON, len(series))}
	for i, d := range series {
		out.Days[i] = usageDayJSON{Day: d.Day.Format(time.DateOnly), Tokens: d.Tokens, KeysCreated: d.KeysCreated,
			Revocations: d.Revocations, Verifications: d.Verifications}
	}
	return respond(c, http.StatusOK, out)
}
