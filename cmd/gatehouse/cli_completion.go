package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// serverCommands are the first words that do not talk to a portal.
var serverCommands = []string{"serve", "migrate", "signing-keys", "version", "help"}

// completion handles "gatehouse completion bash|zsh|fish": it prints a script that
// completes commands, subcommands and flags, built from the same table as dispatch.
// Load it with `source <(gatehouse completion bash)` (zsh likewise), or
// `gatehouse completion fish | source`.
func completion(args []string, w io.Writer) error {
	if len(args) != 1 {
		return usageErr("usage: gatehouse completion bash|zsh|fish")
	}
	switch args[0] {
	case "bash":
		_, err := io.WriteString(w, bashCompletion())
		return err
	case "zsh":
		// zsh runs the bash function through its bashcompinit layer.
		_, err := io.WriteString(w, "#compdef gatehouse\nautoload -U +X bashcompinit && bashcompinit\n"+bashCompletion())
		return err
	case "fish":
		_, err := io.WriteString(w, fishCompletion())
		return err
	}
	return usageErr("usage: gatehouse completion bash|zsh|fish (not %q)", args[0])
}

// flagsOf lists a command's flags as typed, --json included.
func flagsOf(c cliCommand) string {
	out := make([]string, 0, len(c.flags)+1)
	for _, f := range c.flags {
		out = append(out, "--"+f)
	}
	return strings.Join(append(out, "--json"), " ")
}

// firstWords are the words completed after `gatehouse`.
func firstWords() string {
	return strings.Join(append(append([]string{}, serverCommands...), cliNouns()...), " ")
}

// bashCompletion is the bash script: a function _gatehouse reading COMP_WORDS and
// COMP_CWORD, registered with complete -F.
func bashCompletion() string {
	var verbs, flags strings.Builder
	nouns := map[string]bool{}
	for _, c := range cliTable() {
		if !nouns[c.noun] {
			nouns[c.noun] = true
			fmt.Fprintf(&verbs, "        %s) words=%q ;;\n", c.noun, strings.Join(verbsOf(c.noun), " "))
		}
		fmt.Fprintf(&flags, "        \"%s %s\") words=%q ;;\n", c.noun, c.verb, flagsOf(c))
	}
	return `# bash completion for gatehouse: source <(gatehouse completion bash)
_gatehouse() {
    local cur=${COMP_WORDS[COMP_CWORD]} words=""
    COMPREPLY=()
    if [ "$COMP_CWORD" -eq 1 ]; then
        words="` + firstWords() + `"
    elif [ "$COMP_CWORD" -eq 2 ]; then
        case "${COMP_WORDS[1]}" in
` + verbs.String() + `        signing-keys) words="list rotate" ;;
        completion) words="bash zsh fish" ;;
        login) words="--url" ;;
        esac
    else
        case "${COMP_WORDS[1]} ${COMP_WORDS[2]}" in
` + flags.String() + `        login*) words="--url" ;;
        esac
    fi
    # compgen fails when nothing matches; that is an empty answer, not an error.
    COMPREPLY=($(compgen -W "$words" -- "$cur")) || COMPREPLY=()
}
complete -F _gatehouse gatehouse
`
}

// fishCompletion is the fish script.
func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# fish completion for gatehouse: gatehouse completion fish | source\ncomplete -c gatehouse -f\n")
	fmt.Fprintf(&b, "complete -c gatehouse -n __fish_use_subcommand -a %q\n", firstWords())
	byNoun := map[string][]cliCommand{}
	for _, c := range cliTable() {
		byNoun[c.noun] = append(byNoun[c.noun], c)
	}
	nouns := make([]string, 0, len(byNoun))
	for n := range byNoun {
		nouns = append(nouns, n)
	}
	sort.Strings(nouns)
	for _, n := range nouns {
		fmt.Fprintf(&b, "complete -c gatehouse -n '__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s' -a %q\n",
			n, strings.Join(verbsOf(n), " "), strings.Join(verbsOf(n), " "))
		for _, c := range byNoun[n] {
			for _, f := range append(append([]string{}, c.flags...), "json") {
				fmt.Fprintf(&b, "complete -c gatehouse -n '__fish_seen_subcommand_from %s; and __fish_seen_subcommand_from %s' -l %s\n", n, c.verb, f)
			}
		}
	}
	b.WriteString("complete -c gatehouse -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	b.WriteString("complete -c gatehouse -n '__fish_seen_subcommand_from signing-keys' -a 'list rotate'\n")
	b.WriteString("complete -c gatehouse -n '__fish_seen_subcommand_from login' -l url\n")
	return b.String()
}
