package httpx

import (
	"context"
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// Render writes a templ component as the response with the given status.
func Render(c echo.Context, status int, t templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	// Rendering is in-memory and quick; it must also work in the error handler, after
	// the timeout middleware has cancelled the request's context.
	if err := t.Render(context.WithoutCancel(c.Request().Context()), buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// WantsJSON reports whether the request is for a machine endpoint, answered in JSON
// (errors included): a path the way in that serves it declared with ServeJSON.
func (h *Server) WantsJSON(c echo.Context) bool {
	p := c.Request().URL.Path
	for _, pg := range h.pages {
		if p == pg {
			return false
		}
	}
	for _, m := range h.machine {
		if p == m || (strings.HasSuffix(m, "/") && strings.HasPrefix(p, m)) {
			return true
		}
	}
	return false
}

// ServeJSON declares paths answered in JSON: exact paths, or prefixes ending in "/"
// (which cover the 404s below them too). Each way in declares its own.
func (h *Server) ServeJSON(paths ...string) { h.machine = append(h.machine, paths...) }

// ServePages declares exact paths that are pages (HTML errors, the session loaded) even
// under a ServeJSON prefix: the authorization endpoint and its consent answer.
func (h *Server) ServePages(paths ...string) { h.pages = append(h.pages, paths...) }

// StatusText is the title of an error page.
func StatusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error"
}
