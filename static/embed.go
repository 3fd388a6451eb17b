// Package static holds Gatehouse's front-end assets, embedded into the binary.
//
// FS is rooted at this directory: it contains css/ (Pico CSS and app.css),
// js/ (app.js), img/ (the favicon) and licenses/ (the licence texts
// of the vendored assets). Serve it under /static/, for example with
// e.StaticFS("/static", static.FS), so that /static/css/app.css maps to
// css/app.css. The vendored files and their versions are listed in VENDORED.md.
package static

import "embed"

// FS holds the embedded assets; paths are relative to this directory
// ("css/app.css", "js/app.js", "img/favicon.svg", ...).
//
//go:embed css js img licenses
var FS embed.FS
