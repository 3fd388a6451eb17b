package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// schemasJSON holds the document's components/schemas. A schema with "x-extends": "X"
// is X with more properties (a created key is a key with its value).
//
//go:embed openapi_schemas.json
var schemasJSON []byte

// Document is the OpenAPI 3.1 description of /api/v1, built from routes (so a route
// cannot go undocumented) and the schemas above. serverURL is the API's base URL.
func Document(serverURL string) (map[string]any, error) {
	var schemas map[string]map[string]any
	if err := json.Unmarshal(schemasJSON, &schemas); err != nil {
		return nil, fmt.Errorf("openapi schemas: %w", err)
	}
	for name, s := range schemas {
		base, ok := s["x-extends"].(string)
		if !ok {
			continue
		}
		b, ok := schemas[base]
		if !ok {
			return nil, fmt.Errorf("openapi schema %s extends unknown %s", name, base)
		}
		props := map[string]any{}
		for k, v := range b["properties"].(map[string]any) {
			props[k] = v
		}
		for k, v := range s["properties"].(map[string]any) {
			props[k] = v
		}
		s["properties"] = props
		s["required"] = append(append([]any{}, b["required"].([]any)...), s["required"].([]any)...)
		s["additionalProperties"] = false
		delete(s, "x-extends")
	}
	paths := map[string]map[string]any{}
	for _, r := range routes() {
		for _, ref := range []string{r.request, r.response} {
			if _, ok := schemas[ref]; ref != "" && !ok {
				return nil, fmt.Errorf("openapi: %s %s names unknown schema %s", r.method, r.path, ref)
			}
		}
		if paths[r.path] == nil {
			paths[r.path] = map[string]any{}
		}
		paths[r.path][strings.ToLower(r.method)] = operation(r)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Gatehouse management API",
			"version": "1",
			"description": "Everything a developer does in the portal's pages, for software. Authenticate with a personal access token " +
				"(Authorization: Bearer ghpat_…). Errors are RFC 9457 problem details; lists take limit and cursor; creates take " +
				"Idempotency-Key (reused with another body: 422); reads carry an ETag, and PATCH and DELETE require If-Match.",
		},
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"servers":           []any{map[string]any{"url": serverURL}},
		"security":          []any{map[string]any{"personalAccessToken": []any{}}},
		"paths":             paths,
		"components": map[string]any{
			"schemas": schemas,
			"securitySchemes": map[string]any{
				"personalAccessToken": map[string]any{"type": "http", "scheme": "bearer",
					"description": "a personal access token (ghpat_…), created on the account page"},
			},
			"responses": map[string]any{"Problem": problemResponse("an error")},
		},
	}, nil
}

// operation describes one route.
func operation(r route) map[string]any {
	op := map[string]any{"operationId": r.id, "summary": r.summary}
	var params []any
	for _, name := range pathParams(r.path) {
		params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	if r.list {
		params = append(params,
			map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}},
			map[string]any{"name": "cursor", "in": "query", "description": "next_cursor of the previous page", "schema": map[string]any{"type": "string"}})
	}
	for _, q := range r.query {
		s := map[string]any{"type": "string"}
		if q.enum != nil {
			s["enum"] = q.enum
		}
		params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.description, "schema": s})
	}
	if r.idempotent {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "description": "at most 64 characters; a repeat with the same body creates nothing new, one with another body is refused (422)",
			"schema": map[string]any{"type": "string", "maxLength": 64}})
	}
	if r.ifMatch {
		params = append(params, map[string]any{"name": "If-Match", "in": "header", "required": true, "description": "the ETag of the object as last read",
			"schema": map[string]any{"type": "string"}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if r.request != "" {
		op["requestBody"] = map[string]any{"required": !r.bodyOptional, "content": map[string]any{
			"application/json": map[string]any{"schema": ref(r.request)}}}
	}
	ok := map[string]any{"description": http.StatusText(r.status)}
	if r.response != "" {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(r.response)}}
		ok["headers"] = map[string]any{"ETag": map[string]any{"schema": map[string]any{"type": "string"}}}
	}
	responses := map[string]any{fmt.Sprint(r.status): ok, "default": map[string]any{"$ref": "#/components/responses/Problem"}}
	if r.method == http.MethodGet && r.response != "" {
		responses["304"] = map[string]any{"description": "Not Modified (If-None-Match named the current ETag)"}
	}
	op["responses"] = responses
	if r.public {
		op["security"] = []any{}
	}
	return op
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

func problemResponse(desc string) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{"application/problem+json": map[string]any{"schema": ref("Problem")}}}
}

// pathParams lists the {names} in an OpenAPI path.
func pathParams(p string) []string {
	var out []string
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, "{") && strings.HasSuffix(part, "}") {
			out = append(out, part[1:len(part)-1])
		}
	}
	return out
}

// docOnce caches the served document.
var docOnce struct {
	sync.Once
	body []byte
	err  error
}

// openAPI handles "GET /api/v1/openapi.json" (public).
func (h *Handler) openAPI(c echo.Context) error {
	docOnce.Do(func() {
		doc, err := Document(h.Cfg.BaseURL.JoinPath(Prefix).String())
		if err != nil {
			docOnce.err = err
			return
		}
		docOnce.body, docOnce.err = marshal(doc)
	})
	if docOnce.err != nil {
		return docOnce.err
	}
	var v json.RawMessage = docOnce.body
	return respond(c, http.StatusOK, v)
}
