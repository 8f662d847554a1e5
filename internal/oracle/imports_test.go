package oracle_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Only tests import the oracle: the pipeline runs the identity and pages
// rules as SQL. And no transform reaches into the warehouse: transforms
// are Beam transforms, and what runs on the committed warehouse is
// io/dimensions' step.
func TestImports(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "github.com/example/clickstream/...")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	const (
		module    = "github.com/example/clickstream/"
		oracle    = module + "internal/oracle"
		warehouse = module + "io/warehouse"
	)
	packages := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := fields[0], fields[1:]
		packages++
		if slices.Contains(imports, oracle) {
			t.Errorf("%s imports %s, which only tests may import", pkg, oracle)
		}
		if strings.HasPrefix(pkg, module+"transforms/") && slices.ContainsFunc(imports, func(i string) bool {
			return i == warehouse || strings.HasPrefix(i, warehouse+"/")
		}) {
			t.Errorf("%s imports %s: a transform does not read or write the warehouse", pkg, warehouse)
		}
	}
	if packages < 10 {
		t.Fatalf("go list found %d packages: %s", packages, out)
	}
}
