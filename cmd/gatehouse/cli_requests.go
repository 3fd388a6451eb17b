package main

import (
	"context"
	"net/http"
)

// requestCommands are `gatehouse requests …`.
func requestCommands() []cliCommand {
	return []cliCommand{
		{noun: "requests", verb: "list", args: "--api API_ID | --project ID [--json]", flags: []string{"api", "project"},
			help: "list an API's access requests (its team), or a project's", run: listRequests},
		{noun: "requests", verb: "create", args: "--api API_ID --project ID [--scope S]... [--note TEXT] [--json]",
			flags: []string{"api", "project", "scope", "note"},
			help:  "ask, for one of your projects, for access to an API", run: createRequest},
		{noun: "requests", verb: "withdraw", args: "--project ID --request REQUEST_ID [--json]", flags: []string{"project", "request"},
			help: "withdraw a pending request of your project", run: withdrawRequest},
		{noun: "requests", verb: "approve", args: "--api API_ID --request REQUEST_ID [--scope S]... [--note TEXT] [--json]",
			flags: []string{"api", "request", "scope", "note"},
			help:  "approve a request, for the scopes given (default: all asked for)", run: approveRequest},
		{noun: "requests", verb: "deny", args: "--api API_ID --request REQUEST_ID [--note TEXT] [--json]", flags: []string{"api", "request", "note"},
			help: "deny a request, with a note for the requesting team", run: denyRequest},
	}
}

func listRequests(ctx context.Context, c *client, o *cliOptions) error {
	path := apiPath("apis", o.api, "requests")
	switch {
	case (o.api == "") == (o.project == ""):
		return usageErr("%s", o.usage)
	case o.project != "":
		path = apiPath("projects", o.project, "requests")
	}
	return o.listing(ctx, c, path, "id", "status", "api_name", "project_name", "team_name", "scopes")
}

func approveRequest(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.api, o.request); err != nil {
		return err
	}
	body := map[string]any{"note": o.note}
	if o.scopes != nil {
		body["scopes"] = []string(o.scopes)
	}
	return decideRequest(ctx, c, o, "approve", body)
}

func denyRequest(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.api, o.request); err != nil {
		return err
	}
	return decideRequest(ctx, c, o, "deny", map[string]any{"note": o.note})
}

func decideRequest(ctx context.Context, c *client, o *cliOptions, how string, body map[string]any) error {
	r, err := c.do(ctx, http.MethodPost, apiPath("apis", o.api, "requests", o.request, how), body)
	if err != nil {
		return err
	}
	return o.out.object(r, "id", "status", "project_name", "granted_scopes")
}

func createRequest(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.api, o.project); err != nil {
		return err
	}
	r, err := c.do(ctx, http.MethodPost, apiPath("apis", o.api, "requests"), map[string]any{"project": o.project, "scopes": o.scopes.list(), "note": o.note})
	if err != nil {
		return err
	}
	return o.out.object(r, "id", "status", "api_name", "project_name", "scopes")
}

func withdrawRequest(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.project, o.request); err != nil {
		return err
	}
	r, err := c.do(ctx, http.MethodPost, apiPath("projects", o.project, "requests", o.request, "withdraw"), nil)
	if err != nil {
		return err
	}
	return o.out.object(r, "id", "status", "api_name", "project_name")
}
