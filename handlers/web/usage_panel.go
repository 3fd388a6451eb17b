package web

import (
	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/views"
)

// usagePanel is a project's or an API's usage by day for the last 7 days, or 30 with
// ?days=30; page is the usage page's path. The caller has checked that the actor may
// see the project or the API.
func (h *Handler) usagePanel(c echo.Context, scope models.UsageScope, page string) (views.UsagePanelVM, error) {
	days := 7
	if c.QueryParam("days") == "30" {
		days = 30
	}
	series, err := h.Usage.Series(c.Request().Context(), scope, days)
	if err != nil {
		return views.UsagePanelVM{}, err
	}
	vm := views.UsagePanelVM{Days: days, Range7URL: page + "?days=7", Range30URL: page + "?days=30"}
	for _, m := range models.UsageMetrics {
		pts := make([]views.UsagePoint, len(series))
		for i, d := range series {
			pts[i] = views.UsagePoint{Day: d.Day, Count: d.Count(m)}
		}
		vm.Charts = append(vm.Charts, views.NewUsageChartVM(string(m), pts))
	}
	return vm, nil
}
