package pseudonymize

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
)

// LoadKey resolves a key reference ("env:NAME" or "file:PATH", see the
// package documentation) to the key bytes.
//
// Errors never echo the reference beyond its scheme: a key pasted where its
// reference belongs must not end up in logs.
func LoadKey(ref string) ([]byte, error) {
	scheme, arg, ok := strings.Cut(ref, ":")
	if !ok {
		return nil, errors.New(`pseudonymize: key reference has no scheme: want "env:NAME" or "file:PATH"`)
	}
	switch scheme {
	case "env":
		if arg == "" {
			return nil, errors.New(`pseudonymize: key reference "env:" names no variable: want "env:NAME"`)
		}
		v := strings.TrimSpace(os.Getenv(arg))
		if v == "" {
			return nil, fmt.Errorf("pseudonymize: key variable %s is unset or empty: "+
				"set it to the key on every worker, e.g. export %s=\"$(openssl rand -hex 32)\"", arg, arg)
		}
		return []byte(v), nil
	case "file":
		if arg == "" {
			return nil, errors.New(`pseudonymize: key reference "file:" names no file: want "file:PATH"`)
		}
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("pseudonymize: read key file: %w", err)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			return nil, fmt.Errorf("pseudonymize: key file %s is empty", arg)
		}
		return b, nil
	default:
		return nil, errors.New(`pseudonymize: unsupported key reference scheme: want "env:NAME" or "file:PATH"`)
	}
}
