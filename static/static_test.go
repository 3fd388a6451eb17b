package static

import (
	"errors"
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
		"js/app.js",
		"img/favicon.svg",
		"licenses/pico.LICENSE",
	} {
		read(t, name)
	}
	// htmx is not shipped (no page loads it), under any name.
	for _, name := range []string{"js/htmx.min.js", "licenses/htmx.LICENSE"} {
		if _, err := fs.Stat(FS, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: got %v, want it not embedded (fs.ErrNotExist)", name, err)
		}
	}
	err := fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(strings.ToLower(path), "htmx") {
			t.Errorf("embedded %s: want no htmx file", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVendoredVersions ties the vendored files to the versions in VENDORED.md.
func TestVendoredVersions(t *testing.T) {
	doc, err := os.ReadFile("VENDORED.md")
	if err != nil {
		t.Fatal(err)
	}
	pico := regexp.MustCompile(`Pico CSS .* v(2\.[0-9]+\.[0-9]+)`).FindStringSubmatch(read(t, "css/pico.min.css"))
	if pico == nil {
		t.Fatal("pico.min.css: no 2.x version banner")
	}
	if want := "@picocss/pico@" + pico[1]; !strings.Contains(string(doc), want) {
		t.Errorf("VENDORED.md does not mention %s", want)
	}
	if strings.Contains(strings.ToLower(string(doc)), "htmx") {
		t.Error("VENDORED.md still lists htmx, which is no longer shipped")
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
	for _, bad := range []string{"eval(", "new Function", "innerHTML", "http://", "https://", "setTimeout(\"", "document.write",
		"htmx:", "X-CSRF-Token", "confirm(", "data-confirm"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js contains %q", bad)
		}
	}
	for _, want := range []string{"data-copy-target", "details.confirm[open]", "Escape", "Copied", "data-toggles-fieldsets"} {
		if !strings.Contains(js, want) {
			t.Errorf("app.js lacks %q", want)
		}
	}
	svg := read(t, "img/favicon.svg")
	if strings.Contains(svg, "<script") || strings.Contains(svg, "href=") {
		t.Error("favicon.svg must not contain scripts or links")
	}
}
