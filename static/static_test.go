package static

import (
	"io/fs"
	"os"
	"regexp"
	"strings"
	"testing"
)

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(FS, name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	if len(b) == 0 {
		t.Fatalf("%s is empty", name)
	}
	return string(b)
}

func TestEmbeddedFiles(t *testing.T) {
	for _, name := range []string{
		"css/pico.min.css",
		"css/app.css",
		"js/htmx.min.js",
		"js/app.js",
		"img/favicon.svg",
		"licenses/htmx.LICENSE",
		"licenses/pico.LICENSE",
	} {
		read(t, name)
	}
}

// TestVendoredVersions ties the vendored files to the versions in VENDORED.md.
func TestVendoredVersions(t *testing.T) {
	doc, err := os.ReadFile("VENDORED.md")
	if err != nil {
		t.Fatal(err)
	}
	htmx := regexp.MustCompile(`version:"(2\.[0-9]+\.[0-9]+)"`).FindStringSubmatch(read(t, "js/htmx.min.js"))
	if htmx == nil {
		t.Fatal("htmx.min.js: no 2.x version string")
	}
	pico := regexp.MustCompile(`Pico CSS .* v(2\.[0-9]+\.[0-9]+)`).FindStringSubmatch(read(t, "css/pico.min.css"))
	if pico == nil {
		t.Fatal("pico.min.css: no 2.x version banner")
	}
	for _, want := range []string{"htmx.org@" + htmx[1], "@picocss/pico@" + pico[1]} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("VENDORED.md does not mention %s", want)
		}
	}
	if !strings.Contains(read(t, "licenses/htmx.LICENSE"), "Zero-Clause BSD") {
		t.Error("htmx licence is not 0BSD")
	}
	if !strings.Contains(read(t, "licenses/pico.LICENSE"), "MIT License") {
		t.Error("pico licence is not MIT")
	}
}

// TestOwnAssetsAreSelfContained keeps app.css and app.js free of external
// URLs and of anything a strict CSP (script-src 'self') would block.
func TestOwnAssetsAreSelfContained(t *testing.T) {
	css := read(t, "css/app.css")
	for _, bad := range []string{"@import", "url(", "http://", "https://", "expression("} {
		if strings.Contains(css, bad) {
			t.Errorf("app.css contains %q", bad)
		}
	}
	js := read(t, "js/app.js")
	for _, bad := range []string{"eval(", "new Function", "innerHTML", "http://", "https://", "setTimeout(\"", "document.write"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js contains %q", bad)
		}
	}
	for _, want := range []string{"htmx:configRequest", "X-CSRF-Token", `meta[name="csrf-token"]`, "data-copy-target", "data-confirm", "Copied"} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %q", want)
		}
	}
	svg := read(t, "img/favicon.svg")
	if strings.Contains(svg, "<script") || strings.Contains(svg, "href=") {
		t.Error("favicon.svg must not contain scripts or links")
	}
}
