// Command gen writes the Gatehouse verifier conformance vectors:
//
//	go run ./sdk/conformance/gen [-o sdk/conformance/vectors.json]
//
// (make vectors). The cases are built by package vectors; verify's
// TestConformanceVectorsAreCurrent fails when the committed file is not what a fresh
// build gives.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gatehouse-dev/gatehouse/sdk/conformance/vectors"
)

func main() {
	out := flag.String("o", "sdk/conformance/vectors.json", "output path")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	f, err := vectors.Build()
	if err != nil {
		return err
	}
	b, err := f.Encode()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Printf("gen: wrote %d cases and %d documents (%d bytes) to %s\n", len(f.Cases), len(f.Documents), len(b), out)
	return nil
}
