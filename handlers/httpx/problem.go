package httpx

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/models"
)

// ProblemTypePrefix begins the type of every problem /api/v1 answers with.
const ProblemTypePrefix = "urn:gatehouse:problem:"

// Problem is an RFC 9457 problem details object, the body of every /api/v1 error.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors name the input fields that break a rule (validation problems).
	Errors []FieldProblem `json:"errors,omitempty"`
	// ResourceID names the object an idempotent request already created.
	ResourceID string `json:"resource_id,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
}

// FieldProblem is one input field's message.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ProblemError is an error a handler returns to answer with a particular problem.
type ProblemError struct{ Problem Problem }

func (e *ProblemError) Error() string { return e.Problem.Title + ": " + e.Problem.Detail }

// NewProblem is a ProblemError of type code ("precondition-failed") and status.
func NewProblem(status int, code, detail string) *ProblemError {
	return &ProblemError{Problem: Problem{Type: ProblemTypePrefix + code, Title: http.StatusText(status), Status: status, Detail: detail}}
}

// InvalidInput is a 400 problem naming the fields (query parameters, headers) at fault.
func InvalidInput(fields ...FieldProblem) *ProblemError {
	p := NewProblem(http.StatusBadRequest, "bad-request", "The request's parameters are not valid.")
	p.Problem.Errors = fields
	return p
}

// APIFieldNames maps the domain's input names to /api/v1's where they differ.
var APIFieldNames = map[string]string{
	"expires_in":      "expires_in_days",
	"token_ttl":       "access_token_ttl_minutes",
	"idempotency_key": "Idempotency-Key",
}

// problemCodes are the problem types of the domain's error codes.
var problemCodes = map[models.Code]string{
	models.CodeInvalid:         "validation",
	models.CodeNotFound:        "not-found",
	models.CodeForbidden:       "forbidden",
	models.CodeConflict:        "conflict",
	models.CodeGone:            "gone",
	models.CodeUnavailable:     "unavailable",
	models.CodeUnauthenticated: "unauthenticated",
}

// problemOf maps an error to a problem: the one mapping (statusOf) decides the status,
// the domain's code the type; validation errors list their fields.
func problemOf(err error, code int, msg string) Problem {
	var pe *ProblemError
	if errors.As(err, &pe) {
		return pe.Problem
	}
	p := Problem{Type: ProblemTypePrefix + problemType(err, code), Title: http.StatusText(code), Status: code, Detail: msg}
	var ve *models.ValidationError
	var de *models.Error
	switch {
	case errors.As(err, &ve):
		for f, m := range ve.Fields {
			p.Errors = append(p.Errors, FieldProblem{Field: apiField(f), Message: m})
		}
		sort.Slice(p.Errors, func(i, j int) bool { return p.Errors[i].Field < p.Errors[j].Field })
		p.Detail = "The request is not valid: see errors."
	case errors.As(err, &de) && de.Code == models.CodeInvalid && de.Field != "":
		p.Errors = []FieldProblem{{Field: apiField(de.Field), Message: de.Message}}
		p.Detail = "The request is not valid: see errors."
	case errors.As(err, &de) && code < 500:
		p.Detail = de.Message
	}
	if models.ErrorCode(err) == models.ErrReadOnlyToken.Code && errors.Is(err, models.ErrReadOnlyToken) {
		p.Type = ProblemTypePrefix + "read-only-token"
	}
	return p
}

// problemType is the short type of an error that is not a ProblemError.
func problemType(err error, code int) string {
	if t, ok := problemCodes[models.ErrorCode(err)]; ok {
		return t
	}
	switch code {
	case http.StatusNotFound:
		return "not-found"
	case http.StatusMethodNotAllowed:
		return "method-not-allowed"
	case http.StatusRequestEntityTooLarge:
		return "request-too-large"
	case http.StatusTooManyRequests:
		return "rate-limited"
	case http.StatusUnauthorized:
		return "unauthenticated"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if code >= 500 {
		return "server-error"
	}
	return "bad-request"
}

// apiField is the API's name for a domain input field.
func apiField(f string) string {
	if n, ok := APIFieldNames[f]; ok {
		return n
	}
	return f
}

// isAPIPath reports whether the request is for the management API (answered with
// problem details).
func isAPIPath(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/api/v1" || strings.HasPrefix(p, "/api/")
}

// writeProblem writes p as application/problem+json.
func writeProblem(c echo.Context, p Problem) error {
	p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	c.Response().Header().Set("Cache-Control", "no-store")
	b, err := jsonMarshal(p)
	if err != nil {
		return err
	}
	return c.Blob(p.Status, "application/problem+json", b)
}

// jsonMarshal is encoding/json's Marshal without HTML escaping, so messages read as
// written.
func jsonMarshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}
