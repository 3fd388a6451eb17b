package main

import (
	"context"
	"net/http"
	"strings"
)

// apiCommands are `gatehouse apis …`.
func apiCommands() []cliCommand {
	return []cliCommand{
		{noun: "apis", verb: "list", args: "[--team ID] [--json]", flags: []string{"team"},
			help: "list your teams' APIs and those in the catalog (--team: one team's)", run: listAPIs},
		{noun: "apis", verb: "show", args: "--api API_ID [--json]", flags: []string{"api"},
			help: "show an API with its scopes", run: showAPI},
		{noun: "apis", verb: "create", args: "--team ID --name NAME --identifier AUD [--description TEXT] [--scope NAME[=DESCRIPTION]]... [--listed] [--json]",
			flags: []string{"team", "name", "identifier", "description", "scope", "listed"},
			help:  "register an API (accepting API keys and access tokens)", run: createAPI},
	}
}

func listAPIs(ctx context.Context, c *client, o *cliOptions) error {
	all, err := c.list(ctx, "/apis")
	if err != nil {
		return err
	}
	rows := all[:0:0]
	for _, a := range all {
		if o.team == "" || str(a["team_id"]) == o.team {
			rows = append(rows, a)
		}
	}
	return o.out.table(rows, "id", "name", "identifier", "team_name", "listed")
}

func showAPI(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.api); err != nil {
		return err
	}
	a, err := c.do(ctx, http.MethodGet, apiPath("apis", o.api), nil)
	if err != nil {
		return err
	}
	return o.out.apiObject(a)
}

func createAPI(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.team, o.name, o.identifier); err != nil {
		return err
	}
	scopes := []map[string]string{}
	for _, s := range o.scopes {
		name, desc, _ := strings.Cut(s, "=")
		scopes = append(scopes, map[string]string{"name": name, "description": desc})
	}
	a, err := c.do(ctx, http.MethodPost, apiPath("teams", o.team, "apis"), map[string]any{"name": o.name, "identifier": o.identifier,
		"description": o.description, "scopes": scopes, "listed": o.listed})
	if err != nil {
		return err
	}
	return o.out.apiObject(a)
}

// apiObject prints an API, its scopes by name in the table.
func (p printer) apiObject(a map[string]any) error {
	if p.json {
		return p.object(a)
	}
	row := map[string]any{}
	for k, v := range a {
		row[k] = v
	}
	var names []string
	scopes, _ := a["scopes"].([]any)
	for _, s := range scopes {
		if m, ok := s.(map[string]any); ok {
			names = append(names, str(m["name"]))
		}
	}
	row["scopes"] = strings.Join(names, " ")
	return p.table([]map[string]any{row}, "id", "name", "identifier", "team_name", "scopes")
}
