package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/gatehouse-dev/gatehouse/handlers/httpx"
	"github.com/gatehouse-dev/gatehouse/models"
)

// marshal is JSON without HTML escaping, newline-terminated.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// etagOf is the strong entity tag of a representation: a hash of its bytes.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

// etagOfValue is the entity tag v's representation would carry.
func etagOfValue(v any) (string, error) {
	b, err := marshal(v)
	if err != nil {
		return "", err
	}
	return etagOf(b), nil
}

// respond writes v as JSON with its ETag; a GET whose If-None-Match names that tag
// gets 304.
func respond(c echo.Context, status int, v any) error {
	b, err := marshal(v)
	if err != nil {
		return err
	}
	tag := etagOf(b)
	c.Response().Header().Set("ETag", tag)
	if methodIsRead(c.Request().Method) && status == http.StatusOK && matches(c.Request().Header.Get("If-None-Match"), tag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b)
}

// matches reports whether an If-Match / If-None-Match list names tag ("*" names any).
func matches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t), "W/"))
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// ifMatch is the precondition of a change: If-Match is required (428) and must name the
// current representation's tag (412). It runs in the store's transaction, after the
// actor is authorized and before the input is validated.
func ifMatch(c echo.Context, current func() (any, error)) error {
	want := c.Request().Header.Get("If-Match")
	if strings.TrimSpace(want) == "" {
		return httpx.NewProblem(http.StatusPreconditionRequired, "precondition-required",
			"Send If-Match with the ETag of the object as you last read it.")
	}
	v, err := current()
	if err != nil {
		return err
	}
	tag, err := etagOfValue(v)
	if err != nil {
		return err
	}
	if !matches(want, tag) {
		return httpx.NewProblem(http.StatusPreconditionFailed, "precondition-failed",
			"The object changed since you read it. Read it again, then retry with its new ETag.")
	}
	return nil
}

// errBadBody marks a request body that is not the JSON object the route reads.
var errBadBody = errors.New("the body is not a JSON object of the documented shape")

// decode reads the JSON body into v. It refuses unknown members and trailing data. A
// failure is returned for the handler to report only once the store has decided whether
// the actor may act at all (authorization before validation).
func decode(c echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadBody
	}
	if dec.More() {
		return errBadBody
	}
	return nil
}

// bodyProblem adds the body's decoding failure to a validation error from the store
// (which a zero input always produces), or stands alone.
func bodyProblem(storeErr, bodyErr error) error {
	if bodyErr == nil {
		return storeErr
	}
	if c := models.ErrorCode(storeErr); storeErr != nil && c != models.CodeInvalid {
		return storeErr // refused before looking at the input
	}
	p := httpx.NewProblem(http.StatusUnprocessableEntity, "validation", "The request is not valid: see errors.")
	p.Problem.Errors = []httpx.FieldProblem{{Field: "body", Message: errBadBody.Error()}}
	return p
}

// idempotencyKey is the request's Idempotency-Key header.
func idempotencyKey(c echo.Context) string { return c.Request().Header.Get("Idempotency-Key") }

// alreadyCreated answers a repeated create of a secret value: the first response was
// the only one to carry it.
func alreadyCreated(what, id string) error {
	p := httpx.NewProblem(http.StatusConflict, "already-created",
		"A request with this Idempotency-Key already created "+what+" "+id+". Its value was shown once, in that response; create another if it was lost.")
	p.Problem.ResourceID = id
	return p
}

// list is a page of a list.
type list[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// Page sizes.
const (
	defaultLimit = 50
	maxLimit     = 200
)

// pageParams reads limit and cursor. Call it after the store authorized the caller.
func pageParams(c echo.Context) (limit int, cursor string, err error) {
	limit = defaultLimit
	var fields []httpx.FieldProblem
	if raw := c.QueryParam("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxLimit {
			fields = append(fields, httpx.FieldProblem{Field: "limit", Message: "must be a number from 1 to " + strconv.Itoa(maxLimit)})
		} else {
			limit = n
		}
	}
	if raw := c.QueryParam("cursor"); raw != "" {
		b, err := base64.RawURLEncoding.DecodeString(raw)
		if err != nil || !strings.HasPrefix(string(b), "c1:") {
			fields = append(fields, httpx.FieldProblem{Field: "cursor", Message: "is not a cursor this API returned"})
		} else {
			cursor = string(b[3:])
		}
	}
	if len(fields) > 0 {
		return 0, "", httpx.InvalidInput(fields...)
	}
	return limit, cursor, nil
}

// encodeCursor makes a position opaque.
func encodeCursor(pos string) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte("c1:" + pos))
	return &s
}

// paginate answers one page of items, ordered by key (ascending; ties cannot happen,
// keys end in the object's id). The cursor is the last key served, so a page boundary
// does not move when objects are added or removed before it.
func paginate[T any](c echo.Context, items []T, key func(T) string) error {
	limit, cursor, err := pageParams(c)
	if err != nil {
		return err
	}
	sort.Slice(items, func(i, j int) bool { return key(items[i]) < key(items[j]) })
	start := 0
	if cursor != "" {
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > cursor })
	}
	end := min(start+limit, len(items))
	out := list[T]{Items: items[start:end]}
	if out.Items == nil {
		out.Items = []T{}
	}
	if end < len(items) {
		out.NextCursor = encodeCursor(key(items[end-1]))
	}
	return respond(c, http.StatusOK, out)
}
