package botfilter

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"

	"github.com/example/clickstream/internal/readfile"
)

// DefaultUACacheSize is the number of distinct user agents whose verdict a
// worker's DoFn instance remembers when Options.UACacheSize is 0. Verdicts are
// small; the keys (user agents, ~150 bytes) dominate: about 3 MB.
const DefaultUACacheSize = 10_000

// maxRuleFileBytes bounds a rule file: a deny list of a million entries fits.
const maxRuleFileBytes = 64 << 20

// Options configures a Marker. Only paths travel with the job; each worker
// reads the files when its DoFn is set up. Any path a Beam filesystem opens
// works (local, gs:// when the pipeline imports the gcs filesystem).
type Options struct {
	// UserAgentFile, if set, names a file of extra user-agent patterns: one
	// RE2 pattern per line, matched case-insensitively against the user agent
	// with its allow-listed tokens blanked (see the package doc), tried after
	// the crawler list and the built-in patterns and before isbot's. Blank
	// lines and lines starting with # are skipped.
	UserAgentFile string
	// IPFile, if set, names the IP deny list: one IPv4 or IPv6 address or
	// CIDR prefix per line; # starts a comment; blank lines are skipped.
	IPFile string
	// UACacheSize bounds the user-agent verdict cache; 0 means
	// DefaultUACacheSize.
	UACacheSize int
}

// Validate checks what can be checked without reading the files.
func (o Options) Validate() error {
	if o.UACacheSize < 0 {
		return fmt.Errorf("botfilter: UACacheSize is %d, want >= 0 (0: default %d)", o.UACacheSize, DefaultUACacheSize)
	}
	for name, path := range map[string]string{"UserAgentFile": o.UserAgentFile, "IPFile": o.IPFile} {
		if path == "" {
			continue
		}
		if err := checkScheme(path); err != nil {
			return fmt.Errorf("botfilter: %s: %w", name, err)
		}
	}
	return nil
}

func (o Options) cacheSize() int {
	if o.UACacheSize == 0 {
		return DefaultUACacheSize
	}
	return o.UACacheSize
}

// checkScheme reports a path whose filesystem is not registered, which
// filesystem.ValidateScheme would panic on.
func checkScheme(path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	filesystem.ValidateScheme(path)
	return nil
}

// readRuleFile reads a whole rule file through Beam's filesystems.
func readRuleFile(ctx context.Context, path string) (io.Reader, error) {
	b, err := readfile.All(ctx, path, maxRuleFileBytes)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}
