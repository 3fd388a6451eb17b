package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// cliCommand is one `gatehouse NOUN VERB` of the API client. The table of them drives
// dispatch, `gatehouse help` and the shell completion scripts, so the three agree.
type cliCommand struct {
	noun, verb string
	// args is the synopsis of the flags, as help shows it; flags lists the flags the
	// command takes (every other flag is a usage error).
	args  string
	flags []string
	help  string
	run   func(ctx context.Context, c *client, o *cliOptions) error
}

// cliOptions are the parsed flags and where the output goes.
type cliOptions struct {
	team, project, name, description, api, key, secret, grant, request, identifier, note string
	// publicKeyFile is a file holding a public key (PEM or JWK) to bind a new key to.
	publicKeyFile   string
	scopes          multiFlag
	days            int
	daysSet, listed bool
	out             printer
	stderr          io.Writer
	// usage is the command's synopsis, for a usage error.
	usage string
}

// cliTable lists every API client command, in the order help shows them.
func cliTable() []cliCommand {
	var all []cliCommand
	for _, group := range [][]cliCommand{projectCommands(), keyCommands(), secretCommands(), apiCommands(), grantCommands(), requestCommands()} {
		all = append(all, group...)
	}
	return all
}

// cliNouns are the first words that run the API client (with login and completion).
func cliNouns() []string {
	nouns := []string{"login", "completion"}
	for _, c := range cliTable() {
		if !slices.Contains(nouns, c.noun) {
			nouns = append(nouns, c.noun)
		}
	}
	return nouns
}

// cliCommands are the subcommands main hands to runCLI.
var cliCommands = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range cliNouns() {
		m[n] = true
	}
	return m
}()

// verbsOf lists a noun's verbs, in table order.
func verbsOf(noun string) []string {
	var out []string
	for _, c := range cliTable() {
		if c.noun == noun {
			out = append(out, c.verb)
		}
	}
	return out
}

// cli runs one client command.
func cli(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	noun, args := args[0], args[1:]
	switch noun {
	case "login":
		return login(ctx, args, stdin, stdout, stderr)
	case "completion":
		return completion(args, stdout)
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageErr("usage: gatehouse %s %s [flags]", noun, strings.Join(verbsOf(noun), "|"))
	}
	verb, args := args[0], args[1:]
	i := slices.IndexFunc(cliTable(), func(c cliCommand) bool { return c.noun == noun && c.verb == verb })
	if i < 0 {
		return usageErr("unknown command %q; `gatehouse help` lists the commands", noun+" "+verb)
	}
	cmd := cliTable()[i]
	o, err := parseFlags(cmd, args, stdout, stderr)
	if err != nil {
		return err
	}
	c, err := loadClient()
	if err != nil {
		return err
	}
	return cmd.run(ctx, c, o)
}

// parseFlags reads the command's flags; a flag another command takes is a usage error.
func parseFlags(cmd cliCommand, args []string, stdout, stderr io.Writer) (*cliOptions, error) {
	o := &cliOptions{stderr: stderr, usage: "usage: gatehouse " + cmd.noun + " " + cmd.verb + " " + cmd.args}
	fs := flag.NewFlagSet("gatehouse "+cmd.noun+" "+cmd.verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	fs.StringVar(&o.team, "team", "", "team id")
	fs.StringVar(&o.project, "project", "", "project id")
	fs.StringVar(&o.name, "name", "", "name")
	fs.StringVar(&o.description, "description", "", "description")
	fs.StringVar(&o.api, "api", "", "API id")
	fs.StringVar(&o.key, "key", "", "API key id")
	fs.StringVar(&o.secret, "secret", "", "client secret id")
	fs.StringVar(&o.grant, "grant", "", "grant id")
	fs.StringVar(&o.request, "request", "", "access request id")
	fs.StringVar(&o.identifier, "identifier", "", "the API's identifier (the aud of its credentials)")
	fs.StringVar(&o.note, "note", "", "a note (an access request's reason, or a decision's note)")
	fs.StringVar(&o.publicKeyFile, "public-key", "", "a file with a public key (PEM or JWK) to bind the key to: every use then needs a DPoP proof")
	fs.BoolVar(&o.listed, "listed", false, "list the API in the catalog")
	fs.Var(&o.scopes, "scope", "a scope (repeatable; apis create: NAME or NAME=DESCRIPTION)")
	fs.IntVar(&o.days, "expires-in-days", 0, "lifetime in days (keys: default 90; secrets: default no expiry)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gatehouse %s %s %s\n  %s\n", cmd.noun, cmd.verb, cmd.args, cmd.help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &cliError{exitUsage, err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usageErr("unexpected argument %q", fs.Arg(0))
	}
	var stray []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "expires-in-days" {
			o.daysSet = true
		}
		if f.Name != "json" && !slices.Contains(cmd.flags, f.Name) {
			stray = append(stray, "--"+f.Name)
		}
	})
	if stray != nil {
		sort.Strings(stray)
		return nil, usageErr("gatehouse %s %s does not take %s\nusage: gatehouse %s %s %s", cmd.noun, cmd.verb, strings.Join(stray, ", "),
			cmd.noun, cmd.verb, cmd.args)
	}
	o.out = printer{w: stdout, json: *asJSON}
	return o, nil
}

// require is a usage error showing the command's synopsis unless every value is set.
func (o *cliOptions) require(values ...string) error {
	for _, v := range values {
		if v == "" {
			return usageErr("%s", o.usage)
		}
	}
	return nil
}

// listing prints the collection at path as a table of cols.
func (o *cliOptions) listing(ctx context.Context, c *client, path string, cols ...string) error {
	rows, err := c.list(ctx, path)
	if err != nil {
		return err
	}
	return o.out.table(rows, cols...)
}

// printCLIUsage writes the client commands for `gatehouse help`.
func printCLIUsage(w io.Writer) {
	fmt.Fprintln(w, "  gatehouse login --url URL  store a personal access token read from stdin")
	fmt.Fprintln(w, "  (or set GATEHOUSE_URL and GATEHOUSE_TOKEN, e.g. to a service account's access token)")
	for _, c := range cliTable() {
		fmt.Fprintf(w, "  gatehouse %s %s %s\n      %s\n", c.noun, c.verb, c.args, c.help)
	}
	fmt.Fprintln(w, "  gatehouse completion bash|zsh|fish  print a shell completion script")
	fmt.Fprintln(w, "  Every command takes --json for JSON output.")
}
