// Command generate writes a synthetic e-commerce clickstream and its ground
// truth (package generate, tools/generate): go run ./tools/generate/cmd/generate --help.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/example/clickstream/tools/generate"
)

func main() {
	cfg, err := generate.ParseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(2)
	}
	began := time.Now()
	sum, err := generate.Generate(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
	generate.PrintSummary(os.Stdout, cfg, sum, time.Since(began))
}
