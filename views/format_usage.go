package views

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// UsagePoint is one UTC day's count of a metric.
type UsagePoint struct {
	// Day is the day (its midnight, UTC).
	Day   time.Time
	Count int64
}

// UsageChartVM is one metric's daily counts, drawn as a bar chart.
type UsageChartVM struct {
	// Metric names the metric in data-testids (usage-chart-<Metric>,
	// usage-total-<Metric>): "tokens", "keys_created", "revocations", "verifications".
	Metric string
	// Label is the chart's heading: "Access tokens issued".
	Label string
	// One and Many name a count in sentences: "1 token issued", "12 tokens issued",
	// "No tokens issued in the last 7 days".
	One, Many string
	// Points are the days, oldest first, one per day of the period, zeros included.
	Points []UsagePoint
}

// UsagePanelVM is a project's or an API's usage over a period: for each metric its
// total and its chart, with links to the other periods.
type UsagePanelVM struct {
	// Title is the panel's heading (an h2); "Usage" when empty.
	Title string
	// Days is the period shown (7 or 30): its link is marked as the current one.
	Days int
	// Range7URL and Range30URL show the same usage over 7 and 30 days.
	Range7URL, Range30URL string
	// Charts are the metrics, in the order shown.
	Charts []UsageChartVM
}

// usageMetricText names the metrics Gatehouse counts: heading, one, many.
var usageMetricText = map[string][3]string{
	"tokens":        {"Access tokens issued", "token issued", "tokens issued"},
	"keys_created":  {"API keys created", "API key created", "API keys created"},
	"revocations":   {"API keys revoked", "API key revoked", "API keys revoked"},
	"verifications": {"API key verifications", "verification", "verifications"},
}

// NewUsageChartVM is the chart of one of the metrics Gatehouse counts ("tokens",
// "keys_created", "revocations", "verifications"), with its label and nouns; another
// metric is labelled with its name.
func NewUsageChartVM(metric string, points []UsagePoint) UsageChartVM {
	t, ok := usageMetricText[metric]
	if !ok {
		t = [3]string{metric, metric, metric}
	}
	return UsageChartVM{Metric: metric, Label: t[0], One: t[1], Many: t[2], Points: points}
}

// usageTotal is the sum of the chart's counts.
func usageTotal(vm UsageChartVM) int64 {
	var n int64
	for _, p := range vm.Points {
		n += p.Count
	}
	return n
}

// usageMax is the largest daily count and its first day (the zero time when there are
// no points).
func usageMax(vm UsageChartVM) (int64, time.Time) {
	var max int64
	var day time.Time
	for i, p := range vm.Points {
		if i == 0 || p.Count > max {
			max, day = p.Count, p.Day
		}
	}
	return max, day
}

// formatCount writes n with thousands separators: "1,234,567".
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// usageCount is "1 token issued" or "12 tokens issued".
func usageCount(vm UsageChartVM, n int64) string {
	if n == 1 {
		return "1 " + vm.One
	}
	return formatCount(n) + " " + vm.Many
}

// usagePeriod says when, for a period of n days ending today: "today", "in the last
// 7 days".
func usagePeriod(n int) string {
	if n == 1 {
		return "today"
	}
	return "in the last " + strconv.Itoa(n) + " days"
}

// shortDay is a day on the x-axis: "3 Mar".
func shortDay(t time.Time) string { return t.UTC().Format("2 Jan") }

// longDay is a day in a bar's title: "Tue 3 Mar 2026".
func longDay(t time.Time) string { return t.UTC().Format("Mon 2 Jan 2006") }

// usageEmpty is the text shown instead of a chart whose counts are all zero:
// "No tokens issued in the last 7 days".
func usageEmpty(vm UsageChartVM) string {
	if len(vm.Points) == 0 {
		return "No " + vm.Many
	}
	return "No " + vm.Many + " " + usagePeriod(len(vm.Points))
}

// usageAriaLabel is what a screen reader says for the chart: the total, the period
// and its days, and the busiest day.
func usageAriaLabel(vm UsageChartVM) string {
	n := len(vm.Points)
	if n == 0 {
		return vm.Label + ": no data"
	}
	first, last := vm.Points[0].Day, vm.Points[n-1].Day
	s := fmt.Sprintf("%s: %s %s", vm.Label, formatCount(usageTotal(vm)), usagePeriod(n))
	if n == 1 {
		s += " (" + longDay(last) + ")"
	} else {
		s += " (" + longDay(first) + " to " + longDay(last) + ")"
	}
	if max, day := usageMax(vm); max > 0 && n > 1 {
		s += "; busiest day " + longDay(day) + " with " + formatCount(max)
	}
	return s
}

// Chart geometry. The outer <svg> is width="100%" of a fixed height in CSS pixels, so
// its text keeps the page's size on a phone and on a desktop; the bars are drawn in
// a nested <svg> whose viewBox is one unit per day across and 0–100 up, stretched to
// the full width (preserveAspectRatio="none": bars have no text or strokes to distort).
const (
	chartHeight = 150 // the outer <svg>, in px
	plotTop     = 22  // where the bars' area starts (the y max label sits above it)
	plotHeight  = 100 // the bars' area, in px
	labelY      = plotTop + plotHeight + 18
	barWidth    = 0.72 // of a day's slot
)

// chartBar is one day's bar, in the nested <svg>'s units.
type chartBar struct {
	X, Y, W, H string
	// Slot is the whole day (x, width), so that hovering an empty day shows its title.
	SlotX string
	Day   string // YYYY-MM-DD
	Count int64
	Title string
}

// chartLabel is a date on the x-axis.
type chartLabel struct {
	X      string // a percentage of the width
	Anchor string // text-anchor
	Text   string
}

// chartGeometry is what UsageChart draws. The outer <svg>'s lengths are CSS pixels.
type chartGeometry struct {
	Height string // of the outer <svg>
	// MaxY is the baseline of the y max label; PlotTop and PlotHeight place the nested
	// <svg> (the top one is the busiest day's height); AxisY is the x-axis, LabelY the
	// baseline of its dates.
	MaxY, PlotTop, PlotHeight, AxisY, LabelY string
	ViewBox                                  string
	Bars                                     []chartBar
	Labels                                   []chartLabel
	MaxText                                  string
}

// num writes a coordinate with at most three decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
}

// usageGeometry lays the chart out: a bar per day, as tall as its share of the
// busiest day (a day with any count at least 2% tall, so that it shows), and up to
// five dates along the x-axis: the first, the last and evenly spaced ones between.
func usageGeometry(vm UsageChartVM) chartGeometry {
	n := len(vm.Points)
	max, _ := usageMax(vm)
	g := chartGeometry{Height: strconv.Itoa(chartHeight), MaxY: strconv.Itoa(plotTop - 8), PlotTop: strconv.Itoa(plotTop),
		PlotHeight: strconv.Itoa(plotHeight), AxisY: strconv.Itoa(plotTop + plotHeight), LabelY: strconv.Itoa(labelY),
		ViewBox: "0 0 " + strconv.Itoa(n) + " " + strconv.Itoa(plotHeight), MaxText: formatCount(max)}
	for i, p := range vm.Points {
		h := 0.0
		if max > 0 && p.Count > 0 {
			h = math.Max(float64(p.Count)/float64(max)*plotHeight, plotHeight*0.02)
		}
		g.Bars = append(g.Bars, chartBar{
			X: num(float64(i) + (1-barWidth)/2), Y: num(plotHeight - h), W: num(barWidth), H: num(h), SlotX: strconv.Itoa(i),
			Day: p.Day.UTC().Format(time.DateOnly), Count: p.Count, Title: longDay(p.Day) + ": " + usageCount(vm, p.Count),
		})
	}
	for _, i := range labelIndexes(n) {
		l := chartLabel{X: num((float64(i)+0.5)/float64(n)*100) + "%", Anchor: "middle", Text: shortDay(vm.Points[i].Day)}
		switch {
		case n == 1:
		case i == 0:
			l.X, l.Anchor = "0%", "start"
		case i == n-1:
			l.X, l.Anchor = "100%", "end"
		}
		g.Labels = append(g.Labels, l)
	}
	return g
}

// labelIndexes are the days that get a date on the x-axis: all of up to 3 days, else
// 4 (up to 7 days) or 5, evenly spread from the first to the last.
func labelIndexes(n int) []int {
	if n <= 3 {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	k := 5
	if n <= 7 {
		k = 4
	}
	out := make([]int, k)
	for i := range out {
		out[i] = int(math.Round(float64(i) * float64(n-1) / float64(k-1)))
	}
	return out
}

// usagePanelTitle is the panel's heading.
func usagePanelTitle(vm UsagePanelVM) string {
	if vm.Title == "" {
		return "Usage"
	}
	return vm.Title
}
