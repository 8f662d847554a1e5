package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/example/clickstream/"

// forbidden lists, for each layer (a top-level directory), the layers its
// non-test code must not depend on, directly or through another package.
var forbidden = map[string][]string{
	"schemas":    {"transforms", "io", "internal", "pipelines", "tools", "sql"},
	"transforms": {"io", "pipelines", "tools"},
	"io":         {"transforms", "pipelines", "tools"},
}

// layer is the top-level directory of a module package, or "" for a
// package outside the module.
func layer(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, module)
	if !ok {
		return ""
	}
	top, _, _ := strings.Cut(rest, "/")
	return top
}

// violations returns, for each package of the listing (lines of an import
// path followed by its transitive dependencies, as go list -deps finds
// them), a message per forbidden dependency.
func violations(listing string) (problems []string, packages int) {
	for _, line := range strings.Split(strings.TrimSpace(listing), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg, deps := fields[0], fields[1:]
		packages++
		for _, bad := range forbidden[layer(pkg)] {
			for _, dep := range deps {
				if layer(dep) == bad {
					problems = append(problems, pkg+" depends on "+dep+" ("+layer(pkg)+" must not depend on "+bad+")")
				}
			}
		}
	}
	return problems, packages
}

// TestImportsFollowTheData fails on any package of schemas, transforms or
// io whose non-test code depends on a layer it must not. Deps is the
// transitive list that go list -deps prints.
func TestImportsFollowTheData(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`,
		module+"schemas/...", module+"transforms/...", module+"io/...")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	problems, packages := violations(string(out))
	if packages < 20 {
		t.Fatalf("go list found %d packages, want the module's schemas, transforms and io:\n%s", packages, out)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// The check itself finds a violation, direct or transitive, and lets the
// allowed directions pass.
func TestViolations(t *testing.T) {
	listing := module + "io/files " + module + "schemas fmt\n" +
		module + "transforms/parse " + module + "internal/pseudonym " + module + "io/files\n" +
		module + "schemas encoding/json\n"
	problems, n := violations(listing)
	want := module + "transforms/parse depends on " + module + "io/files (transforms must not depend on io)"
	if n != 3 || len(problems) != 1 || problems[0] != want {
		t.Errorf("violations = %q over %d packages, want [%q] over 3", problems, n, want)
	}
}
