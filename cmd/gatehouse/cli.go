package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-dev/gatehouse/models"
)

// The CLI's exit codes, for scripts.
const (
	exitOK           = 0
	exitAPIError     = 1 // the portal refused or failed (problem details on stderr)
	exitUsage        = 2 // the command line is wrong
	exitUnauthorized = 3 // not logged in, or the token is invalid, expired or revoked
)

// cliError is a failure with its exit code.
type cliError struct {
	code int
	msg  string
}

func (e *cliError) Error() string { return e.msg }

func usageErr(format string, a ...any) error {
	return &cliError{exitUsage, fmt.Sprintf(format, a...)}
}

// credentials is what login stores.
type credentials struct {
	URL   string `json:"url"`
	Token string `json:"token"`
}

// credentialsPath is os.UserConfigDir()/gatehouse/credentials.json.
func credentialsPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "gatehouse", "credentials.json"), nil
}

// runCLI runs a CLI command and returns its exit code; errors go to stderr.
func runCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := cli(ctx, args, stdin, stdout, stderr)
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "gatehouse:", err)
	var ce *cliError
	if errors.As(err, &ce) {
		return ce.code
	}
	return exitAPIError
}

// login handles "gatehouse login --url URL": the token comes on stdin, is checked with
// GET /api/v1/teams, and is stored with the URL, readable by the user only.
func login(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatehouse login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "", "the portal's URL, e.g. https://gatehouse.example.com")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &cliError{exitUsage, err.Error()}
	}
	u, err := url.Parse(*base)
	if *base == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usageErr("usage: echo \"$TOKEN\" | gatehouse login --url https://gatehouse.example.com")
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	token := strings.TrimSpace(line)
	if models.CheckPersonalTokenFormat(token) != nil {
		return &cliError{exitUnauthorized, "stdin does not hold a personal access token (ghpat_…); create one on your account page"}
	}
	c := &client{base: strings.TrimSuffix(u.String(), "/"), token: token}
	teams, err := c.list(ctx, "/teams")
	if err != nil {
		return err
	}
	path, err := credentialsPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(credentials{URL: c.base, Token: token}, "", "  ")
	if err != nil {
		return err
	}
	// Written to a temporary file created 0600, then renamed: the token is never readable by others.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "logged in to %s (%d teams); credentials in %s\n", c.base, len(teams), path)
	return err
}

// loadClient uses GATEHOUSE_URL and GATEHOUSE_TOKEN when both are set (a pipeline with a
// service account's access token, say), and the stored credentials otherwise.
func loadClient() (*client, error) {
	if u, tok := os.Getenv("GATEHOUSE_URL"), os.Getenv("GATEHOUSE_TOKEN"); u != "" && tok != "" {
		return &client{base: strings.TrimRight(u, "/"), token: tok}, nil
	}
	path, err := credentialsPath()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &cliError{exitUnauthorized, "not logged in: run `gatehouse login --url URL` with a personal access token on stdin"}
	}
	if err != nil {
		return nil, err
	}
	var cr credentials
	if err := json.Unmarshal(b, &cr); err != nil || cr.URL == "" || cr.Token == "" {
		return nil, &cliError{exitUnauthorized, path + " is not valid: run `gatehouse login` again"}
	}
	return &client{base: cr.URL, token: cr.Token}, nil
}

// client calls a portal's /api/v1.
type client struct {
	base, token string
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// do sends one request and decodes the JSON object answered; a problem becomes an error.
func (c *client) do(ctx context.Context, method, path string, body any) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1"+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPost {
		// A retried request (a proxy, a flaky network) creates nothing twice.
		req.Header.Set("Idempotency-Key", models.NewIdempotencyKey())
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	var v map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("%s %s: status %d and a body that is not JSON", method, path, res.StatusCode)
		}
	}
	if res.StatusCode >= 400 {
		msg := fmt.Sprintf("%s (%d)", str(v["title"]), res.StatusCode)
		if d := str(v["detail"]); d != "" {
			msg += ": " + d
		}
		if errs, ok := v["errors"].([]any); ok {
			for _, e := range errs {
				if m, ok := e.(map[string]any); ok {
					msg += fmt.Sprintf("\n  %s: %s", str(m["field"]), str(m["message"]))
				}
			}
		}
		code := exitAPIError
		if res.StatusCode == http.StatusUnauthorized {
			code = exitUnauthorized
			msg += "\n(run `gatehouse login` with a valid token)"
		}
		return nil, &cliError{code, msg}
	}
	return v, nil
}

// list follows next_cursor to the end of a list.
func (c *client) list(ctx context.Context, path string) ([]map[string]any, error) {
	var out []map[string]any
	cursor := ""
	for {
		p := path + "?limit=200"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		v, err := c.do(ctx, http.MethodGet, p, nil)
		if err != nil {
			return nil, err
		}
		items, _ := v["items"].([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				out = append(out, m)
			}
		}
		next, _ := v["next_cursor"].(string)
		if next == "" {
			return out, nil
		}
		cursor = next
	}
}

// printer writes results as a table or as JSON.
type printer struct {
	w    io.Writer
	json bool
}

func (p printer) table(rows []map[string]any, cols ...string) error {
	if p.json {
		if rows == nil {
			rows = []map[string]any{}
		}
		return p.encode(rows)
	}
	tw := tabwriter.NewWriter(p.w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range rows {
		vals := make([]string, len(cols))
		for i, c := range cols {
			vals[i] = str(r[c])
		}
		fmt.Fprintln(tw, strings.Join(vals, "\t"))
	}
	return tw.Flush()
}

func (p printer) object(v map[string]any, cols ...string) error {
	if p.json || len(cols) == 0 {
		return p.encode(v)
	}
	return p.table([]map[string]any{v}, cols...)
}

func (p printer) encode(v any) error {
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// str renders a JSON value for a table cell.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = str(e)
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// list is the values given, an empty list (not null in JSON) when none was.
func (m multiFlag) list() []string {
	if m == nil {
		return []string{}
	}
	return m
}

// done reports a change that answers no object: v with --json, else the sentence.
func (p printer) done(v map[string]any, sentence string) error {
	if p.json {
		return p.encode(v)
	}
	_, err := fmt.Fprintln(p.w, sentence)
	return err
}
