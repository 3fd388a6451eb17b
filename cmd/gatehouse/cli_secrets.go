package main

import (
	"context"
	"net/http"
)

// secretCommands are `gatehouse secrets …`.
func secretCommands() []cliCommand {
	return []cliCommand{
		{noun: "secrets", verb: "list", args: "--project ID [--json]", flags: []string{"project"},
			help: "list a project's client secrets (never their values)", run: listSecrets},
		{noun: "secrets", verb: "create", args: "--project ID --name NAME [--expires-in-days N] [--json]", flags: []string{"project", "name", "expires-in-days"},
			help: "create a client secret (default: no expiry); the secret alone goes to stdout, shown only now", run: createSecret},
		{noun: "secrets", verb: "revoke", args: "--project ID --secret SECRET_ID [--json]", flags: []string{"project", "secret"},
			help: "revoke a client secret", run: revokeSecret},
	}
}

func listSecrets(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.project); err != nil {
		return err
	}
	return o.listing(ctx, c, apiPath("projects", o.project, "secrets"), "id", "name", "hint", "status", "expires_at")
}

func createSecret(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.project, o.name); err != nil {
		return err
	}
	s, err := c.do(ctx, http.MethodPost, apiPath("projects", o.project, "secrets"), map[string]any{"name": o.name, "expires_in_days": o.days})
	if err != nil {
		return err
	}
	return o.out.shownOnce(o.stderr, "client secret", s)
}

func revokeSecret(ctx context.Context, c *client, o *cliOptions) error {
	if err := o.require(o.project, o.secret); err != nil {
		return err
	}
	s, err := c.do(ctx, http.MethodPost, apiPath("projects", o.project, "secrets", o.secret, "revoke"), nil)
	if err != nil {
		return err
	}
	return o.out.object(s, "id", "name", "status")
}
