package main

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCLITableAgrees: each command's synopsis names exactly the flags it takes (so help,
// completion and dispatch agree), every command is reachable from main, and a flag of
// another command is a usage error before anything is read or sent.
func TestCLITableAgrees(t *testing.T) {
	flagRE := regexp.MustCompile(`--([a-z-]+)`)
	seen := map[string]bool{}
	for _, c := range cliTable() {
		name := c.noun + " " + c.verb
		if seen[name] {
			t.Errorf("%s is in the table twice", name)
		}
		seen[name] = true
		var named []string
		for _, m := range flagRE.FindAllStringSubmatch(c.args, -1) {
			if m[1] != "json" && !slices.Contains(named, m[1]) {
				named = append(named, m[1])
			}
		}
		want := append([]string{}, c.flags...)
		slices.Sort(named)
		slices.Sort(want)
		if !slices.Equal(named, want) {
			t.Errorf("%s: the synopsis names %v, the command takes %v", name, named, want)
		}
		if !cliCommands[c.noun] {
			t.Errorf("%s: main does not hand %q to the client", name, c.noun)
		}
		if !strings.Contains(bashCompletion(), `"`+name+`") words="`+flagsOf(c)+`"`) {
			t.Errorf("%s: the bash completion lacks its flags", name)
		}
		var help bytes.Buffer
		printCLIUsage(&help)
		if !strings.Contains(help.String(), "gatehouse "+name+" "+c.args) {
			t.Errorf("%s: help does not show it", name)
		}
	}
	// A stray flag is refused before the stored credentials are even looked for.
	var stderr bytes.Buffer
	code := runCLI(context.Background(), []string{"secrets", "list", "--project", "p", "--api", "a"}, nil, &bytes.Buffer{}, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "does not take --api") {
		t.Errorf("a stray flag: exit %d, stderr %q", code, stderr.String())
	}
}
