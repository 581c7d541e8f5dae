// Command pinspec generates the suite's pinned OpenAPI document from Stripe's official spec3.json, as shipped in the
// Go module github.com/stripe/stripe-mock (package embedded).
//
// It keeps the structure the suite validates against (paths, operations, schemas, types, enums, required lists,
// nullable flags and Stripe's structural x- extensions) for the PaymentIntent, Charge, Refund, Checkout Session, Event
// and webhook endpoint operations the suite calls, and every schema they reach. It drops Stripe's prose (descriptions, summaries) and
// collapses every expandable field the suite never asks to expand down to its unexpanded (id string) form, so a
// target that expands a field nobody asked for fails validation, and the document stays small.
//
// Usage (from the repository root):
//
//	go run ./harness/cmd/pinspec            # rewrite fixtures/openapi/{stripe-pinned.json,provenance.json}
//	go run ./harness/cmd/pinspec -check     # exit 1 if the committed files differ from what would be generated
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pi-conformance/suite/harness/pinspec"
)

func main() {
	dir := flag.String("dir", "fixtures/openapi", "directory that holds the pinned document and its provenance")
	check := flag.Bool("check", false, "only verify that the committed files are up to date")
	flag.Parse()

	out, err := pinspec.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pinspec:", err)
		os.Exit(1)
	}
	files := map[string][]byte{
		pinspec.DocumentFile:   out.Document,
		pinspec.ProvenanceFile: out.Provenance,
	}
	stale := false
	for name, data := range files {
		path := filepath.Join(*dir, name)
		if *check {
			have, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(have, data) {
				fmt.Fprintf(os.Stderr, "pinspec: %s is out of date; run: go run ./harness/cmd/pinspec\n", path)
				stale = true
			}
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "pinspec:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (%d bytes)\n", path, len(data))
	}
	if stale {
		os.Exit(1)
	}
	fmt.Printf("source %s@%s sha256:%s, %d paths, %d schemas\n", pinspec.SourceModule, out.ModuleVersion, out.SourceSHA256[:16], out.Paths, out.Schemas)
}
