// Package e2e holds Gatehouse's end-to-end tests. They build the real gatehouse binary
// once, run it as a subprocess on a free loopback port with a temporary SQLite database
// and the in-process development sign-in provider, and drive it over HTTP, with signals
// and, when Chromium is installed, through a headless browser.
//
// The package has no non-test code; this file only documents it. Run the tests with
//
//	go test -race -count=1 ./e2e/
//
// The browser tests are skipped when no Chromium is found (chromium, chromium-browser,
// google-chrome or CHROME_PATH) and in -short mode. GATEHOUSE_E2E=require makes a
// missing Chromium a failure instead. GATEHOUSE_E2E_SCREENSHOTS=DIR keeps a screenshot
// of the dashboard in DIR.
package e2e
