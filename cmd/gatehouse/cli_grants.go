package main

import (
	"context"
	"net/http"
)

// grantCommands are `gatehouse grants …`.
func grantCommands() []cliCommand {
	return []cliCommand{
		{noun: "grants", verb: "list", args: "--api API_ID [--json]", flags: []string{"api"},
			help: "list the projects holding access to an API", run: listGrants},
		{noun: "grants", verb: "create", args: "--api API_ID --project ID [--scope S]... [--json]", flags: []string{"api", "project", "scope"},
			help: "grant one of the API's team's projects access (or set its scopes)", run: createGrant},
		{noun: "grants", verb: "revoke", args: "--api API_ID --grant GRANT_ID [--json]", flags: []string{"api", "grant"},
			help: "revoke a grant; the project's keys for the API are revoked", run: revokeGrant},
	}
}

func listGrants(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.api); err != nil {
		return err
	}
	return o.listing(ctx, c, apiPath("apis", o.api, "grants"), "id", "project_id", "project_name", "team_name", "scopes")
}

func createGrant(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.api, o.project); err != nil {
		return err
	}
	g, err := c.do(ctx, http.MethodPost, apiPath("apis", o.api, "grants"), map[string]any{"project": o.project, "scopes": o.scopes.list()})
	if err != nil {
		return err
	}
	return o.out.object(g, "id", "project_id", "project_name", "scopes")
}

func revokeGrant(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.api, o.grant); err != nil {
		return err
	}
	if _, err := c.do(ctx, http.MethodPost, apiPath("apis", o.api, "grants", o.grant, "revoke"), nil); err != nil {
		return err
	}
	return o.out.done(map[string]any{"id": o.grant, "status": "revoked"}, "grant "+o.grant+" revoked")
}
