package terraform

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeDefault returns the value deploy.mk gives a make variable when only
// PROJECT is set, and where that value comes from ($(origin)).
func makeDefault(t *testing.T, name, project string) (value, origin string) {
	t.Helper()
	cmd := exec.Command("make", "-s", "--no-print-directory", "-C", "..",
		"--eval", "print-%: ; @echo '$(origin $*)|$($*)'", "print-"+name, "PROJECT="+project)
	cmd.Env = append(os.Environ(), "MAKEFLAGS=", "MAKELEVEL=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make print-%s: %v", name, err)
	}
	origin, value, _ = strings.Cut(strings.TrimSpace(string(out)), "|")
	return value, origin
}

// TestMakeVariablesMatchDeploy checks the output make_variables against
// deploy/deploy.mk: every variable it prints is one deploy.mk defines, and
// with Terraform's defaults it holds what deploy.mk derives from PROJECT
// alone, so the make targets and Terraform name the same resources.
func TestMakeVariablesMatchDeploy(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	files, err := readModuleDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := load(t, dir, filepath.Dir(dir), files)
	e, _ := plan(m, testVars, dataSources(), computed)
	out, ok := m.outputs["make_variables"]
	if !ok {
		t.Fatal("no output make_variables")
	}
	v, _, err := e.eval(out.Expr, nil)
	if err != nil {
		t.Fatalf("make_variables: %v", err)
	}
	project := testVars["project_id"].AsString()
	for _, kv := range strings.Fields(v.AsString()) {
		name, value, _ := strings.Cut(kv, "=")
		got, origin := makeDefault(t, name, project)
		switch {
		case name == "PROJECT":
		case origin != "file":
			t.Errorf("make_variables sets %s, which deploy.mk does not define (origin %s)", name, origin)
		case got != value:
			t.Errorf("%s: Terraform %q, deploy.mk's default %q", name, value, got)
		}
	}
}
