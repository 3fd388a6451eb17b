package httpx

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
	"github.com/gatehouse-dev/gatehouse/models/store"
	"github.com/gatehouse-dev/gatehouse/views"
)

// errorMessages are the words shown for statuses whose handler gave none.
var errorMessages = map[int]string{
	http.StatusNotFound:              "There is nothing here, or you do not have access to it.",
	http.StatusMethodNotAllowed:      "This address does not accept that kind of request.",
	http.StatusRequestEntityTooLarge: "The request was too large.",
	http.StatusForbidden:             "You are not allowed to do that.",
	http.StatusUnauthorized:          "Sign in to continue.",
	http.StatusTooManyRequests:       "Too many requests. Wait a moment and try again.",
	http.StatusServiceUnavailable:    "Gatehouse is not ready. Try again shortly.",
	http.StatusUnprocessableEntity:   "The request is not valid.",
	http.StatusConflict:              "That cannot be done in the object's current state. Reload and try again.",
}

// HandleError is Echo's HTTPErrorHandler: the one place errors become responses. A
// domain error is answered by its code (codeStatus; a conflict or something gone says
// which), an *echo.HTTPError keeps its code and message, anything else is logged and
// answered with a generic 500 that reveals nothing. Machine paths get JSON, pages a page.
func (h *Server) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := statusOf(err), ""
	var pe *ProblemError
	if errors.As(err, &pe) {
		code = pe.Problem.Status
	}
	var he *echo.HTTPError
	var de *models.Error
	switch {
	case errors.As(err, &he):
		if s, ok := he.Message.(string); ok && code < 500 {
			msg = s
		}
	case errors.As(err, &de) && code < 500 && (code != http.StatusNotFound && code != http.StatusForbidden || isAPIPath(c)):
		// A rule the user can act on (a conflict, something gone) says which.
		msg = de.Message
	}
	if models.ErrorCode(err) == models.CodeUnavailable || store.StorageFull(err) {
		msg = "Gatehouse cannot reach or write its database right now. Nothing was changed; try again shortly."
	}
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	if code >= 500 {
		h.Log.Error("request failed", "error", err.Error(), "path", c.Request().URL.Path, "request_id", reqID)
	}
	if msg == "" || msg == http.StatusText(code) {
		msg = errorMessages[code]
		if msg == "" {
			msg = "Something went wrong on our side. It has been logged; try again, and quote the request ID if it keeps happening."
		}
	}
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(code)
	case isAPIPath(c):
		werr = writeProblem(c, problemOf(err, code, msg))
	case h.WantsJSON(c):
		werr = c.JSON(code, map[string]string{"error": jsonErrorCode(code), "error_description": msg})
	default:
		werr = Render(c, code, views.ErrorPage(h.errorPage(c, StatusText(code)), views.ErrorVM{
			Status: code, Title: StatusText(code), Message: msg, RequestID: reqID,
		}))
	}
	if werr != nil && !c.Response().Committed {
		werr = c.String(code, msg)
	}
	if werr != nil {
		h.Log.Error("writing error response failed", "error", werr.Error(), "request_id", reqID)
	}
}

// codeStatus is the one mapping from the domain's error codes to HTTP statuses.
var codeStatus = map[models.Code]int{
	models.CodeInvalid:         http.StatusUnprocessableEntity,
	models.CodeNotFound:        http.StatusNotFound,
	models.CodeForbidden:       http.StatusForbidden,
	models.CodeConflict:        http.StatusConflict,
	models.CodeGone:            http.StatusGone,
	models.CodeUnavailable:     http.StatusServiceUnavailable,
	models.CodeUnauthenticated: http.StatusUnauthorized,
}

// statusOf is the status an error is answered with: a domain error's by its code
// (codeStatus), an *echo.HTTPError its own, anything else 500.
func statusOf(err error) int {
	if store.StorageFull(err) { // a write outside a transaction (a session) hit a full disk
		return http.StatusServiceUnavailable
	}
	if code, ok := codeStatus[models.ErrorCode(err)]; ok {
		return code
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code
	}
	return http.StatusInternalServerError
}

// jsonErrorCode is a short machine-readable code for generic JSON errors.
func jsonErrorCode(code int) string {
	switch code {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if code >= 500 {
		return "server_error"
	}
	return fmt.Sprintf("http_%d", code)
}

// errorPage is the layout of an error page: the web way in's when it is wired.
func (h *Server) errorPage(c echo.Context, title string) views.Page {
	if h.Page != nil {
		return h.Page(c, title)
	}
	return views.Page{Title: title, DevSignIn: h.Cfg.DevProvider != nil}
}
