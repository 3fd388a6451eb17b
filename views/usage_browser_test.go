package views

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse/static"
)

// TestBrowserUsagePanelFits loads a page with usage panels (7 and 30 days) into
// headless Chromium at 390 px and 1280 px wide, light and dark, and checks that
// nothing overflows sideways, that each chart's busiest bar is drawn at the plot's
// full height, that the dates along the x-axis stay inside the chart without
// overlapping, that the chart's text keeps a readable size, and that the strict CSP
// blocks nothing.
func TestBrowserUsagePanelFits(t *testing.T) {
	required := os.Getenv("GATEHOUSE_E2E") == "require"
	if testing.Short() && !required {
		t.Skip("browser test skipped in -short mode")
	}
	chrome := findChromium()
	if chrome == "" {
		if required {
			t.Fatal("Chromium not found and GATEHOUSE_E2E=require: install chromium or set CHROME_PATH")
		}
		t.Skip("no Chromium installed")
	}

	panel := func(days int) UsagePanelVM {
		counts := make([]int64, days)
		for i := range counts {
			counts[i] = int64((i*37)%11) * 1000
		}
		return UsagePanelVM{Days: days, Range7URL: "/usage/7", Range30URL: "/usage/30", Charts: []UsageChartVM{
			NewUsageChartVM("tokens", usageDays(counts...)),
			NewUsageChartVM("keys_created", usageDays(make([]int64, days)...)),
			NewUsageChartVM("revocations", usageDays(append(make([]int64, days-1), 1)...)),
		}}
	}
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.FS(static.FS))))
	mux.HandleFunc("/favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/usage/", func(w http.ResponseWriter, r *http.Request) {
		days := 7
		if strings.HasSuffix(r.URL.Path, "/30") {
			days = 30
		}
		w.Header().Set("Content-Security-Policy", testCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		pg := Page{Title: "Usage", User: &CurrentUser{Name: "Ada", Email: "ada@example.com"}, CSRF: "tok", DevSignIn: true}
		if err := Layout(pg).Render(templ.WithChildren(r.Context(), UsagePanel(panel(days))), w); err != nil {
			t.Errorf("rendering the usage page: %v", err)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start browser: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	var (
		mu       sync.Mutex
		problems []string
		marks    consoleMarks
	)
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if marks.seen(m) {
				continue
			}
			if m.Type == chromedp.ConsoleError || m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s (%s)", m, m.URL))
				mu.Unlock()
			}
		}
	}()

	// measure reports, for every drawn chart, what the test checks; "" when all is well.
	const measure = `(() => {
		const out = [];
		if (document.documentElement.scrollWidth > window.innerWidth) {
			out.push("page scrollWidth " + document.documentElement.scrollWidth + " > " + window.innerWidth);
		}
		const charts = document.querySelectorAll("svg.usage-svg");
		if (charts.length === 0) out.push("no chart drawn");
		charts.forEach(svg => {
			const name = svg.closest("figure").dataset.testid;
			const box = svg.getBoundingClientRect();
			const parent = svg.closest("article").getBoundingClientRect();
			if (box.right > parent.right + 1 || box.left < parent.left - 1) out.push(name + ": wider than its card");
			const fills = [...svg.querySelectorAll(".usage-fill")];
			const tallest = Math.max(...fills.map(f => f.getBoundingClientRect().height));
			if (Math.abs(tallest - 100) > 1) out.push(name + ": busiest bar " + tallest + " px tall, want 100");
			const dates = [...svg.querySelectorAll("text.usage-date")].map(t => t.getBoundingClientRect());
			dates.forEach((d, i) => {
				if (d.left < box.left - 1 || d.right > box.right + 1) out.push(name + ": date " + i + " outside the chart");
				if (i > 0 && d.left < dates[i - 1].right + 2) out.push(name + ": dates " + (i - 1) + " and " + i + " overlap");
			});
			svg.querySelectorAll("text").forEach(t => {
				const size = parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a;
				if (size < 11 || size > 16) out.push(name + ": text " + JSON.stringify(t.textContent) + " at " + size + " px");
			});
		});
		return out.join("; ");
	})()`
	for _, width := range []int64{390, 1280} {
		for _, days := range []string{"7", "30"} {
			for _, theme := range []string{"light", "dark"} {
				name := fmt.Sprintf("%d px, %s days, %s", width, days, theme)
				if err := chromedp.Do(ctx,
					chromedp.EmulateViewport(width, 844),
					chromedp.Navigate(srv.URL+"/usage/"+days),
					chromedp.WaitVisible(chromedp.CSS(`[data-testid="usage-panel"]`)),
				); err != nil {
					t.Fatalf("%s: load: %v", name, err)
				}
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.dataset.theme = "`+theme+`"`)); err != nil {
					t.Fatalf("%s: theme: %v", name, err)
				}
				got, err := chromedp.Run(ctx, chromedp.Evaluate[string](measure))
				if err != nil {
					t.Fatalf("%s: measure: %v", name, err)
				}
				if got != "" {
					t.Errorf("%s: %s", name, got)
				}
				// The bars take the theme's primary colour, not the default black.
				fill, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".usage-fill")).fill`))
				if err != nil {
					t.Fatalf("%s: fill: %v", name, err)
				}
				if fill == "" || fill == "rgb(0, 0, 0)" {
					t.Errorf("%s: bars filled %q, want the theme's primary colour", name, fill)
				}
			}
		}
	}
	if err := marks.flush(ctx); err != nil {
		t.Errorf("browser console: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser console: %s", p)
	}
}
