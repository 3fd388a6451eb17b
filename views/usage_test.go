package views

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// usageDays are n UTC days ending on 10 March 2026 with counts, oldest first.
func usageDays(counts ...int64) []UsagePoint {
	last := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	out := make([]UsagePoint, len(counts))
	for i, c := range counts {
		out[i] = UsagePoint{Day: last.AddDate(0, 0, i-len(counts)+1), Count: c}
	}
	return out
}

// svgChart is the chart's SVG as encoding/xml reads it.
type svgChart struct {
	XMLName   xml.Name  `xml:"svg"`
	Class     string    `xml:"class,attr"`
	Width     string    `xml:"width,attr"`
	Role      string    `xml:"role,attr"`
	AriaLabel string    `xml:"aria-label,attr"`
	Texts     []svgText `xml:"text"`
	Plot      struct {
		ViewBox  string   `xml:"viewBox,attr"`
		Preserve string   `xml:"preserveAspectRatio,attr"`
		Width    string   `xml:"width,attr"`
		Bars     []svgBar `xml:"g"`
	} `xml:"svg"`
}

type svgText struct {
	Class  string `xml:"class,attr"`
	X      string `xml:"x,attr"`
	Anchor string `xml:"text-anchor,attr"`
	Text   string `xml:",chardata"`
}

type svgBar struct {
	Class string    `xml:"class,attr"`
	Day   string    `xml:"data-day,attr"`
	Count string    `xml:"data-count,attr"`
	Title string    `xml:"title"`
	Rects []svgRect `xml:"rect"`
}

type svgRect struct {
	Class string  `xml:"class,attr"`
	X     float64 `xml:"x,attr"`
	Y     float64 `xml:"y,attr"`
	W     float64 `xml:"width,attr"`
	H     float64 `xml:"height,attr"`
}

// fill is the bar's visible rectangle.
func (b svgBar) fill(t *testing.T) svgRect {
	t.Helper()
	for _, r := range b.Rects {
		if r.Class == "usage-fill" {
			return r
		}
	}
	t.Fatalf("bar %s has no usage-fill rect", b.Day)
	return svgRect{}
}

// parseChart renders the chart and parses its SVG (the outermost <svg> element) as XML.
func parseChart(t *testing.T, vm UsageChartVM) (svgChart, string) {
	t.Helper()
	doc, html := render(t, UsageChart(vm))
	checkNoInjection(t, doc)
	start, end := strings.Index(html, "<svg"), strings.LastIndex(html, "</svg>")
	if start < 0 || end < start {
		t.Fatalf("no <svg> in %s", html)
	}
	var c svgChart
	if err := xml.Unmarshal([]byte(html[start:end+len("</svg>")]), &c); err != nil {
		t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, html[start:])
	}
	return c, html
}

func TestUsageChart(t *testing.T) {
	counts := []int64{0, 3, 12, 0, 5, 1, 0}
	vm := NewUsageChartVM("tokens", usageDays(counts...))
	c, html := parseChart(t, vm)

	if c.Role != "img" || c.Width != "100%" || c.Class != "usage-svg" {
		t.Errorf("svg role %q width %q class %q, want img, 100%%, usage-svg", c.Role, c.Width, c.Class)
	}
	if want := "Access tokens issued: 21 in the last 7 days (Wed 4 Mar 2026 to Tue 10 Mar 2026); busiest day Fri 6 Mar 2026 with 12"; c.AriaLabel != want {
		t.Errorf("aria-label = %q, want %q", c.AriaLabel, want)
	}
	if c.Plot.ViewBox != "0 0 7 100" || c.Plot.Preserve != "none" || c.Plot.Width != "100%" {
		t.Errorf("bars' svg: viewBox %q preserveAspectRatio %q width %q", c.Plot.ViewBox, c.Plot.Preserve, c.Plot.Width)
	}
	if len(c.Plot.Bars) != len(counts) {
		t.Fatalf("%d bars, want one per day: %d", len(c.Plot.Bars), len(counts))
	}
	tallest := 0
	for i, b := range c.Plot.Bars {
		p := vm.Points[i]
		day := p.Day.Format(time.DateOnly)
		noun := "tokens issued"
		if counts[i] == 1 {
			noun = "token issued"
		}
		wantTitle := fmt.Sprintf("%s: %d %s", p.Day.Format("Mon 2 Jan 2006"), counts[i], noun)
		if b.Class != "usage-bar" || b.Day != day || b.Count != strconv.FormatInt(counts[i], 10) || b.Title != wantTitle {
			t.Errorf("bar %d: class %q day %q count %q title %q; want usage-bar, %s, %d, %q", i, b.Class, b.Day, b.Count, b.Title, day, counts[i], wantTitle)
		}
		f := b.fill(t)
		if f.X < float64(i) || f.X+f.W > float64(i+1) || f.W <= 0 {
			t.Errorf("bar %d: x %v width %v, outside its day [%d, %d]", i, f.X, f.W, i, i+1)
		}
		if f.Y+f.H != 100 {
			t.Errorf("bar %d: y %v + height %v, want it to stand on the baseline (100)", i, f.Y, f.H)
		}
		if (counts[i] == 0) != (f.H == 0) {
			t.Errorf("bar %d (count %d): height %v", i, counts[i], f.H)
		}
		if f.H > c.Plot.Bars[tallest].fill(t).H {
			tallest = i
		}
	}
	if tallest != 2 || c.Plot.Bars[tallest].fill(t).H != 100 {
		t.Errorf("the tallest bar is day %d (height %v), want the busiest day 2 at full height", tallest, c.Plot.Bars[tallest].fill(t).H)
	}
	// Heights are proportional: 3 of 12 is a quarter.
	if h := c.Plot.Bars[1].fill(t).H; h != 25 {
		t.Errorf("3 of 12: height %v, want 25", h)
	}

	var max string
	var dates []string
	for _, tx := range c.Texts {
		switch tx.Class {
		case "usage-max":
			max = tx.Text
		case "usage-date":
			dates = append(dates, tx.Text+"@"+tx.X+"/"+tx.Anchor)
		}
	}
	if max != "12" {
		t.Errorf("y max label %q, want 12", max)
	}
	if want := "4 Mar@0%/start,6 Mar@35.714%/middle,8 Mar@64.286%/middle,10 Mar@100%/end"; strings.Join(dates, ",") != want {
		t.Errorf("x-axis dates %v, want %s", dates, want)
	}
	if !strings.Contains(html, `data-testid="usage-chart-tokens"`) || strings.Contains(html, "usage-empty") {
		t.Errorf("chart markup: %s", html)
	}
}

func TestUsageChartThirtyDays(t *testing.T) {
	counts := make([]int64, 30)
	counts[0], counts[17], counts[29] = 1, 1234567, 40
	c, _ := parseChart(t, NewUsageChartVM("verifications", usageDays(counts...)))
	if len(c.Plot.Bars) != 30 || c.Plot.ViewBox != "0 0 30 100" {
		t.Fatalf("%d bars, viewBox %q; want 30, 0 0 30 100", len(c.Plot.Bars), c.Plot.ViewBox)
	}
	if b := c.Plot.Bars[17]; b.Title != "Thu 26 Feb 2026: 1,234,567 verifications" || b.fill(t).H != 100 {
		t.Errorf("busiest bar: title %q height %v", b.Title, b.fill(t).H)
	}
	// A day with a count is visible, however small beside the busiest.
	if h := c.Plot.Bars[0].fill(t).H; h < 2 {
		t.Errorf("1 of 1,234,567: height %v, want at least 2", h)
	}
	var dates []string
	for _, tx := range c.Texts {
		if tx.Class == "usage-date" {
			dates = append(dates, tx.Text)
		} else if tx.Class == "usage-max" && tx.Text != "1,234,567" {
			t.Errorf("y max label %q, want 1,234,567", tx.Text)
		}
	}
	if want := "9 Feb,16 Feb,24 Feb,3 Mar,10 Mar"; strings.Join(dates, ",") != want {
		t.Errorf("x-axis dates %v, want %s", dates, want)
	}
	if want := "API key verifications: 1,234,608 in the last 30 days (Mon 9 Feb 2026 to Tue 10 Mar 2026); busiest day Thu 26 Feb 2026 with 1,234,567"; c.AriaLabel != want {
		t.Errorf("aria-label = %q, want %q", c.AriaLabel, want)
	}
}

func TestUsageChartZero(t *testing.T) {
	for _, tc := range []struct {
		metric string
		days   int
		want   string
	}{
		{"tokens", 7, "No tokens issued in the last 7 days"},
		{"keys_created", 30, "No API keys created in the last 30 days"},
		{"revocations", 1, "No API keys revoked today"},
		{"verifications", 0, "No verifications"},
	} {
		doc, html := render(t, UsageChart(NewUsageChartVM(tc.metric, usageDays(make([]int64, tc.days)...))))
		if got := strings.TrimSpace(testID(doc, "usage-chart-"+tc.metric).Find(".usage-empty").Text()); got != tc.want {
			t.Errorf("%s over %d days: %q, want %q", tc.metric, tc.days, got, tc.want)
		}
		if strings.Contains(html, "<svg") {
			t.Errorf("%s over %d days: an empty chart is drawn: %s", tc.metric, tc.days, html)
		}
	}
}

// TestUsageChartEscapes renders a chart whose label and nouns are hostile: they stay
// text, and the SVG stays well-formed.
func TestUsageChartEscapes(t *testing.T) {
	vm := UsageChartVM{Metric: `x" onload="alert(1)`, Label: xssScript, One: xssImg, Many: `&<]]>` + xssImg, Points: usageDays(2, 1)}
	c, _ := parseChart(t, vm)
	if !strings.HasPrefix(c.AriaLabel, xssScript+": 3 in") || c.Plot.Bars[0].Title != "Mon 9 Mar 2026: 2 &<]]>"+xssImg {
		t.Errorf("aria-label %q, title %q: the text did not survive as text", c.AriaLabel, c.Plot.Bars[0].Title)
	}
}

func TestUsagePanel(t *testing.T) {
	points := usageDays(make([]int64, 30)...)
	tokens := append([]UsagePoint(nil), points...)
	tokens[3].Count, tokens[29].Count = 1200, 34
	vm := UsagePanelVM{Days: 30, Range7URL: "/projects/p1?usage=7", Range30URL: "javascript:alert(1)", Charts: []UsageChartVM{
		NewUsageChartVM("tokens", tokens),
		NewUsageChartVM("keys_created", points),
		NewUsageChartVM("revocations", points),
		NewUsageChartVM("verifications", points),
	}}
	doc, _ := render(t, UsagePanel(vm))
	checkNoInjection(t, doc)
	panel := wantCount(t, doc, "usage-panel", 1)
	if h := panel.Find("h2").Text(); h != "Usage" {
		t.Errorf("heading %q, want Usage", h)
	}
	r7, r30 := wantCount(t, doc, "usage-range-7", 1), wantCount(t, doc, "usage-range-30", 1)
	if href, _ := r7.Attr("href"); href != "/projects/p1?usage=7" || r7.Text() != "7 days" {
		t.Errorf("7 days link: %q %q", href, r7.Text())
	}
	if href, _ := r30.Attr("href"); strings.HasPrefix(href, "javascript:") {
		t.Errorf("30 days link kept an unsafe URL: %q", href)
	}
	if _, ok := r7.Attr("aria-current"); ok {
		t.Error("7 days is marked current while 30 days are shown")
	}
	if cur, _ := r30.Attr("aria-current"); cur != "page" {
		t.Errorf("30 days link aria-current %q, want page", cur)
	}
	for metric, want := range map[string]string{"tokens": "1,234", "keys_created": "0", "revocations": "0", "verifications": "0"} {
		if got := wantCount(t, doc, "usage-total-"+metric, 1).Text(); got != want {
			t.Errorf("total of %s: %q, want %q", metric, got, want)
		}
		wantCount(t, doc, "usage-chart-"+metric, 1)
	}
	if n := testID(doc, "usage-chart-tokens").Find("g.usage-bar").Length(); n != 30 {
		t.Errorf("tokens chart: %d bars, want 30", n)
	}
	if got := strings.TrimSpace(testID(doc, "usage-chart-revocations").Text()); got != "No API keys revoked in the last 30 days" {
		t.Errorf("revocations: %q", got)
	}

	vm.Days, vm.Title = 7, "API usage"
	doc, _ = render(t, UsagePanel(vm))
	if cur, _ := testID(doc, "usage-range-7").Attr("aria-current"); cur != "page" {
		t.Errorf("7 days: aria-current %q, want page", cur)
	}
	if _, ok := testID(doc, "usage-range-30").Attr("aria-current"); ok {
		t.Error("30 days is marked current while 7 days are shown")
	}
	if h := testID(doc, "usage-panel").Find("h2").Text(); h != "API usage" {
		t.Errorf("heading %q, want API usage", h)
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 123456: "123,456", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := formatCount(n); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestLabelIndexes(t *testing.T) {
	for n, want := range map[int]string{1: "[0]", 2: "[0 1]", 3: "[0 1 2]", 4: "[0 1 2 3]", 7: "[0 2 4 6]", 14: "[0 3 7 10 13]", 30: "[0 7 15 22 29]"} {
		if got := fmt.Sprint(labelIndexes(n)); got != want {
			t.Errorf("labelIndexes(%d) = %s, want %s", n, got, want)
		}
	}
}
