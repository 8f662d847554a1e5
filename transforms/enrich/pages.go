package enrich

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/example/clickstream/internal/readfile"
	"github.com/example/clickstream/schemas"
)

// Page types (dim_pages.page_type).
const (
	PageHome         = "home"
	PageCategory     = "category"
	PageProduct      = "product"
	PageSearch       = "search"
	PageCart         = "cart"
	PageCheckout     = "checkout"
	PageConfirmation = "confirmation"
	PageOther        = "other"
)

// PageKey is the conformed key of a page, shared by fact_events,
// fact_sessions (landing and exit pages) and dim_pages: the first 16 hex
// digits of sha256("<host>|<path>"). It is empty for an event without a page.
func PageKey(host, path string) string {
	if host == "" && path == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(host + "|" + path))
	return hex.EncodeToString(sum[:8])
}

//go:embed data/page_types.txt
var defaultPageTypes string

// PageTypes classifies page paths by an ordered list of rules.
type PageTypes struct {
	rules []pageRule
}

type pageRule struct {
	kind string
	re   *regexp.Regexp
}

// DefaultPageTypes returns the built-in rules (data/page_types.txt).
func DefaultPageTypes() *PageTypes {
	pt, err := ParsePageTypes(strings.NewReader(defaultPageTypes))
	if err != nil {
		panic(fmt.Sprintf("enrich: built-in page types: %v", err)) // embedded: a bug
	}
	return pt
}

// maxPageTypesBytes bounds a page-type rules file: thousands of rules fit.
const maxPageTypesBytes = 1 << 20

// LoadPageTypes returns the rules of the file at path, a local path or a
// gs:// URL read through Beam's filesystems (so that a Dataflow launch can
// name one in Cloud Storage), or the built-in rules when path is empty.
// Every caller of a dimension step (the pipeline, tools/erase) loads them
// here, so that pages are typed by the same rules whoever runs the step.
func LoadPageTypes(ctx context.Context, path string) (*PageTypes, error) {
	if path == "" {
		return DefaultPageTypes(), nil
	}
	b, err := readfile.All(ctx, path, maxPageTypesBytes)
	if err != nil {
		return nil, fmt.Errorf("page types: %w", err)
	}
	pt, err := ParsePageTypes(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("page types %s: %w", path, err)
	}
	return pt, nil
}

// ParsePageTypes reads rules, one per line: a type, spaces, an RE2 pattern
// matched against the path; blank lines and # comments are skipped.
func ParsePageTypes(r io.Reader) (*PageTypes, error) {
	var pt PageTypes
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, pattern, ok := strings.Cut(line, " ")
		pattern = strings.TrimSpace(pattern)
		if !ok || pattern == "" {
			return nil, fmt.Errorf("page types line %d: want \"<type> <pattern>\", got %q", n, line)
		}
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, fmt.Errorf("page types line %d: %w", n, err)
		}
		pt.rules = append(pt.rules, pageRule{kind: kind, re: re})
	}
	return &pt, sc.Err()
}

// Rules returns the rules in order, as data: the dimension step loads them
// into the warehouse (page_type_rules), where dim_pages is typed in SQL.
func (pt *PageTypes) Rules() []schemas.PageTypeRule {
	rules := make([]schemas.PageTypeRule, len(pt.rules))
	for i, r := range pt.rules {
		rules[i] = schemas.PageTypeRule{Type: r.kind, Pattern: r.re.String()}
	}
	return rules
}

// Type returns the type of the first rule matching path, or PageOther.
func (pt *PageTypes) Type(path string) string {
	for _, r := range pt.rules {
		if r.re.MatchString(path) {
			return r.kind
		}
	}
	return PageOther
}
