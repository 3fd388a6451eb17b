package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// apiPath joins escaped path segments: apiPath("projects", id, "keys").
func apiPath(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteString("/" + url.PathEscape(s))
	}
	return b.String()
}

// projectCommands are `gatehouse projects …`.
func projectCommands() []cliCommand {
	return []cliCommand{
		{noun: "projects", verb: "list", args: "[--team ID] [--json]", flags: []string{"team"},
			help: "list the projects of a team, or of all your teams", run: listProjects},
		{noun: "projects", verb: "create", args: "--team ID --name NAME [--description TEXT] [--json]", flags: []string{"team", "name", "description"},
			help: "create a project", run: createProject},
	}
}

func listProjects(ctx context.Context, c *client, o *cliOptions) error {
	teams := []string{o.team}
	if o.team == "" {
		all, err := c.list(ctx, "/teams")
		if err != nil {
			return err
		}
		teams = teams[:0]
		for _, t := range all {
			teams = append(teams, str(t["id"]))
		}
	}
	var rows []map[string]any
	for _, t := range teams {
		ps, err := c.list(ctx, apiPath("teams", t, "projects"))
		if err != nil {
			return err
		}
		rows = append(rows, ps...)
	}
	return o.out.table(rows, "id", "team_id", "name", "client_id")
}

func createProject(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.team, o.name); err != nil {
		return err
	}
	p, err := c.do(ctx, http.MethodPost, apiPath("teams", o.team, "projects"), map[string]any{"name": o.name, "description": o.description})
	if err != nil {
		return err
	}
	return o.out.object(p, "id", "team_id", "name", "client_id")
}

// keyCommands are `gatehouse keys …`.
func keyCommands() []cliCommand {
	return []cliCommand{
		{noun: "keys", verb: "list", args: "--project ID [--json]", flags: []string{"project"},
			help: "list a project's API keys", run: listKeys},
		{noun: "keys", verb: "create", args: "--project ID --name NAME --api API_ID [--scope S]... [--expires-in-days N] [--public-key FILE] [--json]",
			flags: []string{"project", "name", "api", "scope", "expires-in-days", "public-key"},
			help:  "create an API key (default 90 days); the key alone goes to stdout, shown only now", run: createKey},
		{noun: "keys", verb: "revoke", args: "--project ID --key KEY_ID [--json]", flags: []string{"project", "key"},
			help: "revoke an API key", run: revokeKey},
	}
}

func listKeys(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.project); err != nil {
		return err
	}
	return o.listing(ctx, c, apiPath("projects", o.project, "keys"), "id", "name", "status", "scopes", "expires_at")
}

func createKey(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.project, o.name, o.api); err != nil {
		return err
	}
	days := o.days
	if !o.daysSet {
		days = 90
	}
	body := map[string]any{"name": o.name, "api": o.api, "scopes": o.scopes.list(), "expires_in_days": days}
	if o.publicKeyFile != "" {
		pub, err := os.ReadFile(o.publicKeyFile)
		if err != nil {
			return usageErr("--public-key: %v", err)
		}
		body["public_key"] = string(pub)
	}
	k, err := c.do(ctx, http.MethodPost, apiPath("projects", o.project, "keys"), body)
	if err != nil {
		return err
	}
	return o.out.shownOnce(o.stderr, "key", k)
}

func revokeKey(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.project, o.key); err != nil {
		return err
	}
	k, err := c.do(ctx, http.MethodPost, apiPath("projects", o.project, "keys", o.key, "revoke"), nil)
	if err != nil {
		return err
	}
	return o.out.object(k, "id", "name", "status")
}

// shownOnce prints a created secret value: alone on stdout (its id on stderr), or the
// whole object with --json.
func (p printer) shownOnce(stderr io.Writer, what string, v map[string]any) error {
	if p.json {
		return p.object(v)
	}
	fmt.Fprintf(stderr, "created %s %s; it is shown only now:\n", what, str(v["id"]))
	_, err := fmt.Fprintln(p.w, str(v["value"]))
	return err
}
