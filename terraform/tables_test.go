package terraform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/example/clickstream/schemas"
)

const bqTable = "google_bigquery_table"

// testVars are the values of the variables without a default.
var testVars = map[string]cty.Value{"project_id": cty.StringVal("test-project")}

// declared is one table or view instance a google_bigquery_table resource
// declares, as Terraform would evaluate it.
type declared struct {
	resource      string
	tableID       string
	view          bool
	schema        []schemas.Column
	partitioning  schemas.Partitioning
	clustering    []string
	requireFilter bool
}

// checkModule returns every table and view the module declares and the ways
// in which it breaks the rules: each table is declared once, from its
// schemas/tables/<name>.json (nothing of its definition restated in the .tf
// files), with the definition the pipeline checks (tables); each view once,
// its query read from sql/views/<name>.sql (views).
func checkModule(m *module, tables []schemas.Table, views []string) ([]declared, []string) {
	e := newEvaluator(m, testVars)
	var all []declared
	var problems []string
	for _, r := range m.resources {
		if r.typ != bqTable {
			continue
		}
		got, p := checkResource(e, r)
		all = append(all, got...)
		problems = append(problems, p...)
	}

	defs := map[string]schemas.Table{}
	for _, t := range tables {
		defs[t.Name] = t
	}
	seen := map[string]string{}
	for _, d := range all {
		if prev, dup := seen[d.tableID]; dup {
			problems = append(problems, fmt.Sprintf("%s declared twice: by %s and by %s", d.tableID, prev, d.resource))
			continue
		}
		seen[d.tableID] = d.resource
		if d.view {
			if !slices.Contains(views, d.tableID) {
				problems = append(problems, fmt.Sprintf("%s: view %s has no sql/views/%s.sql", d.resource, d.tableID, d.tableID))
			}
			continue
		}
		def, ok := defs[d.tableID]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: table %s has no definition in schemas/tables", d.resource, d.tableID))
			continue
		}
		problems = append(problems, compare(d, def)...)
	}
	for _, t := range tables {
		if _, ok := seen[t.Name]; !ok {
			problems = append(problems, fmt.Sprintf("schemas/tables/%s.json: no table declared from it", t.Name))
		}
	}
	for _, v := range views {
		if _, ok := seen[v]; !ok {
			problems = append(problems, fmt.Sprintf("sql/views/%s.sql: no view declared from it", v))
		}
	}
	return all, problems
}

// compare reports where Terraform's table differs from the definition the
// pipeline checks its tables against.
func compare(d declared, def schemas.Table) []string {
	var p []string
	if !reflect.DeepEqual(d.schema, def.Schema) {
		p = append(p, fmt.Sprintf("%s: %s schema differs from schemas/tables/%s.json", d.resource, d.tableID, d.tableID))
	}
	if d.partitioning != def.TimePartitioning {
		p = append(p, fmt.Sprintf("%s: %s partitioned by %+v, the pipeline checks %+v", d.resource, d.tableID, d.partitioning, def.TimePartitioning))
	}
	if !slices.Equal(d.clustering, def.Clustering) {
		p = append(p, fmt.Sprintf("%s: %s clustered by %q, the pipeline checks %q", d.resource, d.tableID, d.clustering, def.Clustering))
	}
	if d.requireFilter != def.RequirePartitionFilter {
		p = append(p, fmt.Sprintf("%s: %s require_partition_filter %v, the pipeline checks %v", d.resource, d.tableID, d.requireFilter, def.RequirePartitionFilter))
	}
	return p
}

// checkResource evaluates one google_bigquery_table resource per instance.
func checkResource(e *evaluator, r resource) ([]declared, []string) {
	view := block(r.body, "view")
	problems := literals(r, view)

	type instance struct{ key, value cty.Value }
	var instances []instance
	var forEachReads []string
	if fe, ok := r.body.Attributes["for_each"]; ok {
		v, reads, err := e.eval(fe.Expr, nil)
		if err != nil {
			return nil, append(problems, fmt.Sprintf("%s: for_each: %v", r, err))
		}
		forEachReads = reads
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			if v.Type().IsSetType() {
				k = val
			}
			instances = append(instances, instance{k, val})
		}
	} else {
		problems = append(problems, fmt.Sprintf("%s: declared without for_each over schemas/tables/*.json or sql/views/*.sql", r))
		instances = []instance{{}}
	}

	var out []declared
	for _, in := range instances {
		var extra map[string]cty.Value
		if in.key != cty.NilVal {
			extra = map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": in.key, "value": in.value})}
		}
		name := r.String()
		if in.key != cty.NilVal && in.key.Type() == cty.String {
			name = fmt.Sprintf("%s[%q]", r, in.key.AsString())
		}
		d := declared{resource: name, view: view != nil}
		if err := evalInto(e, r.body, "table_id", extra, &d.tableID); err != nil || d.tableID == "" {
			problems = append(problems, fmt.Sprintf("%s: table_id: %v", name, err))
			continue
		}
		if view != nil {
			q, ok := view.Attributes["query"]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: view without a query", name))
				continue
			}
			_, reads, err := e.eval(q.Expr, extra)
			want := "templatefile:sql/views/" + d.tableID + ".sql"
			if err != nil || !slices.Contains(reads, want) {
				problems = append(problems, fmt.Sprintf("%s: view query not rendered from sql/views/%s.sql with templatefile (read %q, err %v)", name, d.tableID, reads, err))
			}
			out = append(out, d)
			continue
		}
		if want := "file:schemas/tables/" + d.tableID + ".json"; in.key != cty.NilVal && !slices.Contains(forEachReads, want) {
			problems = append(problems, fmt.Sprintf("%s: for_each does not read schemas/tables/%s.json (read %q)", name, d.tableID, forEachReads))
		}
		var schemaJSON string
		err := evalInto(e, r.body, "schema", extra, &schemaJSON)
		if err == nil {
			err = json.Unmarshal([]byte(schemaJSON), &d.schema)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: schema: %v", name, err))
		}
		for attr, dst := range map[string]any{"clustering": &d.clustering, "require_partition_filter": &d.requireFilter} {
			if err := evalInto(e, r.body, attr, extra, dst); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: %v", name, attr, err))
			}
		}
		if err := partitioning(e, r.body, extra, &d.partitioning); err != nil {
			problems = append(problems, fmt.Sprintf("%s: time_partitioning: %v", name, err))
		}
		out = append(out, d)
	}
	return out, problems
}

// literals reports the attributes carrying a table's definition or a view's
// query that do not come from the instance (each.value): restated copies.
func literals(r resource, view *hclsyntax.Body) []string {
	var p []string
	literal := func(where string, expr hclsyntax.Expression, roots ...string) {
		for _, tr := range expr.Variables() {
			if slices.Contains(roots, tr.RootName()) {
				return
			}
		}
		p = append(p, fmt.Sprintf("%s: %s restated in Terraform instead of read from schemas/tables or sql/views", r, where))
	}
	if view != nil {
		if q, ok := view.Attributes["query"]; ok {
			literal("view.query", q.Expr, "each")
		}
		return p
	}
	if _, ok := r.body.Attributes["schema"]; !ok {
		p = append(p, fmt.Sprintf("%s: no schema", r))
	}
	for _, name := range []string{"schema", "clustering", "require_partition_filter"} {
		if a, ok := r.body.Attributes[name]; ok {
			literal(name, a.Expr, "each")
		}
	}
	for _, b := range r.body.Blocks {
		switch {
		case b.Type == "time_partitioning":
			for _, name := range []string{"type", "field"} {
				if a, ok := b.Body.Attributes[name]; ok {
					literal("time_partitioning."+name, a.Expr, "each")
				}
			}
		case b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == "time_partitioning":
			if fe, ok := b.Body.Attributes["for_each"]; ok {
				literal("dynamic time_partitioning for_each", fe.Expr, "each")
			}
			if content := block(b.Body, "content"); content != nil {
				for _, name := range []string{"type", "field"} {
					if a, ok := content.Attributes[name]; ok {
						literal("time_partitioning."+name, a.Expr, "each", iterator(b))
					}
				}
			}
		}
	}
	return p
}

// partitioning evaluates a static or dynamic time_partitioning block.
func partitioning(e *evaluator, body *hclsyntax.Body, extra map[string]cty.Value, dst *schemas.Partitioning) error {
	for _, b := range body.Blocks {
		switch {
		case b.Type == "time_partitioning":
			if err := evalInto(e, b.Body, "type", extra, &dst.Type); err != nil {
				return err
			}
			return evalInto(e, b.Body, "field", extra, &dst.Field)
		case b.Type == "dynamic" && len(b.Labels) == 1 && b.Labels[0] == "time_partitioning":
			fe, ok := b.Body.Attributes["for_each"]
			content := block(b.Body, "content")
			if !ok || content == nil {
				return fmt.Errorf("dynamic block without for_each or content")
			}
			v, _, err := e.eval(fe.Expr, extra)
			if err != nil {
				return err
			}
			if v.LengthInt() > 1 {
				return fmt.Errorf("%d time_partitioning blocks", v.LengthInt())
			}
			for it := v.ElementIterator(); it.Next(); {
				k, val := it.Element()
				inner := map[string]cty.Value{iterator(b): cty.ObjectVal(map[string]cty.Value{"key": k, "value": val})}
				for n, x := range extra {
					inner[n] = x
				}
				if err := evalInto(e, content, "type", inner, &dst.Type); err != nil {
					return err
				}
				if err := evalInto(e, content, "field", inner, &dst.Field); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// evalInto evaluates an attribute (absent: null) into a Go value.
func evalInto(e *evaluator, body *hclsyntax.Body, name string, extra map[string]cty.Value, dst any) error {
	a, ok := body.Attributes[name]
	if !ok {
		return nil
	}
	v, _, err := e.eval(a.Expr, extra)
	if err != nil {
		return err
	}
	if v.IsNull() {
		return nil
	}
	b, err := ctyjson.SimpleJSONValue{Value: v}.MarshalJSON()
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}

func block(body *hclsyntax.Body, typ string) *hclsyntax.Body {
	for _, b := range body.Blocks {
		if b.Type == typ {
			return b.Body
		}
	}
	return nil
}

// iterator is a dynamic block's iterator name: its label unless set.
func iterator(b *hclsyntax.Block) string {
	if a, ok := b.Body.Attributes["iterator"]; ok {
		if tr, diags := hcl.AbsTraversalForExpr(a.Expr); !diags.HasErrors() {
			return tr.RootName()
		}
	}
	return b.Labels[0]
}

// viewNames lists sql/views/*.sql under root (none while the directory does
// not exist).
func viewNames(t *testing.T, root string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "sql", "views", "*.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".sql"))
	}
	sort.Strings(names)
	return names
}

func load(t *testing.T, dir, root string, files map[string][]byte) *module {
	t.Helper()
	m, err := parseModule(dir, root, files)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTablesAndViewsComeFromDefinitions checks the repository's own
// configuration: one table per schemas/tables file, one view per sql/views
// file, nothing restated, partitioning and clustering as the pipeline checks.
func TestTablesAndViewsComeFromDefinitions(t *testing.T) {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(dir)
	files, err := readModuleDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	views := viewNames(t, root)
	got, problems := checkModule(load(t, dir, root, files), schemas.Tables(), views)
	for _, p := range problems {
		t.Error(p)
	}
	var tables, gotViews []string
	for _, d := range got {
		if d.view {
			gotViews = append(gotViews, d.tableID)
		} else {
			tables = append(tables, d.tableID)
		}
	}
	sort.Strings(tables)
	sort.Strings(gotViews)
	var want []string
	for _, def := range schemas.Tables() {
		want = append(want, def.Name)
	}
	if !slices.Equal(tables, want) {
		t.Errorf("tables declared %q, want %q", tables, want)
	}
	if !slices.Equal(gotViews, views) {
		t.Errorf("views declared %q, want %q", gotViews, views)
	}
	t.Logf("%d tables, %d views", len(tables), len(gotViews))
}

// TestChecksCatchCopies runs the checks on a copy of the configuration in a
// scratch repository (with a view of its own, whatever sql/views holds
// today), unchanged and broken in the ways they must catch.
func TestChecksCatchCopies(t *testing.T) {
	src, err := readModuleDir(".")
	if err != nil {
		t.Fatal(err)
	}
	factEvents, err := os.ReadFile("../schemas/tables/fact_events.json")
	if err != nil {
		t.Fatal(err)
	}
	const view = "SELECT session_date, COUNT(*) AS sessions\nFROM `${project}.${dataset}.fact_sessions`\nWHERE session_date >= '2026-01-01'\nGROUP BY 1\n"

	tests := []struct {
		name string
		edit map[string][2]string // file -> {old, new} in the configuration
		add  string               // an extra .tf file
		want []string             // each matches a problem, and each problem matches one
	}{
		{name: "configuration as it is"},
		{
			name: "a table declared literally",
			add: `resource "google_bigquery_table" "fact_events" {
  dataset_id = "clickstream"
  table_id   = "fact_events"
  schema     = jsonencode([{ name = "event_id", type = "STRING", mode = "REQUIRED" }])
  clustering = ["event_type", "device_id"]
  require_partition_filter = true
  time_partitioning {
    type  = "DAY"
    field = "event_date"
  }
}`,
			want: []string{
				`google_bigquery_table.fact_events: declared without for_each`,
				`google_bigquery_table.fact_events: schema restated`,
				`google_bigquery_table.fact_events: clustering restated`,
				`google_bigquery_table.fact_events: require_partition_filter restated`,
				`google_bigquery_table.fact_events: time_partitioning.type restated`,
				`google_bigquery_table.fact_events: time_partitioning.field restated`,
				`fact_events declared twice`,
			},
		},
		{
			name: "a table definition copied into a local",
			add: fmt.Sprintf(`locals {
  copied = { fact_events = jsondecode(%q) }
}

resource "google_bigquery_table" "copy" {
  for_each   = local.copied
  dataset_id = "clickstream"
  table_id   = each.value.name
  schema     = jsonencode(each.value.schema)
  clustering = each.value.clustering
  require_partition_filter = each.value.require_partition_filter
  time_partitioning {
    type  = each.value.time_partitioning.type
    field = each.value.time_partitioning.field
  }
}`, factEvents),
			want: []string{
				`google_bigquery_table.copy["fact_events"]: for_each does not read schemas/tables/fact_events.json`,
				`fact_events declared twice`,
			},
		},
		{
			name: "clustering changed on the way",
			edit: map[string][2]string{"bigquery.tf": {
				`jsondecode(file("${local.tables_dir}/${f}"))`,
				`merge(jsondecode(file("${local.tables_dir}/${f}")), { clustering = ["device_id"] })`,
			}},
			want: []string{
				`google_bigquery_table.table["fact_events"]: fact_events clustered by ["device_id"], the pipeline checks ["event_type" "device_id"]`,
				`clustered by ["device_id"], the pipeline checks`,
			},
		},
		{
			name: "partitioned on another column",
			edit: map[string][2]string{"bigquery.tf": {
				`field         = time_partitioning.value.field`,
				`field         = "received_date"`,
			}},
			want: []string{
				`google_bigquery_table.table: time_partitioning.field restated`,
				`fact_events partitioned by {Type:DAY Field:received_date}, the pipeline checks {Type:DAY Field:event_date}`,
				`partitioned by {Type:DAY Field:received_date}, the pipeline checks`,
			},
		},
		{
			name: "a table left out",
			edit: map[string][2]string{"bigquery.tf": {`"*.json"`, `"fact_*.json"`}},
			want: []string{`schemas/tables/dim_pages.json: no table declared from it`, `: no table declared from it`},
		},
		{
			name: "a view's query written inline",
			edit: map[string][2]string{"bigquery.tf": {
				`templatefile(each.value, { project = var.project_id, dataset = var.dataset_id })`,
				`"SELECT 1"`,
			}},
			want: []string{
				`google_bigquery_table.view: view.query restated`,
				`google_bigquery_table.view["sessions_by_day"]: view query not rendered from sql/views/sessions_by_day.sql`,
			},
		},
		{
			name: "views left out",
			edit: map[string][2]string{"bigquery.tf": {`"*.sql"`, `"none_*.sql"`}},
			want: []string{`sql/views/sessions_by_day.sql: no view declared from it`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "terraform")
			files := map[string][]byte{}
			for name, b := range src {
				files[name] = b
			}
			for name, ed := range tt.edit {
				if !strings.Contains(string(files[name]), ed[0]) {
					t.Fatalf("%s no longer contains %q: update this test", name, ed[0])
				}
				files[name] = []byte(strings.Replace(string(files[name]), ed[0], ed[1], 1))
			}
			if tt.add != "" {
				files["zz_added.tf"] = []byte(tt.add)
			}
			for name, b := range files {
				writeFile(t, filepath.Join(dir, name), string(b))
			}
			copyDir(t, "../schemas/tables", filepath.Join(root, "schemas", "tables"))
			writeFile(t, filepath.Join(root, "sql", "views", "sessions_by_day.sql"), view)

			_, problems := checkModule(load(t, dir, root, files), schemas.Tables(), viewNames(t, root))
			for _, w := range tt.want {
				if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, w) }) {
					t.Errorf("no problem contains %q", w)
				}
			}
			for _, p := range problems {
				if !slices.ContainsFunc(tt.want, func(w string) bool { return strings.Contains(p, w) }) {
					t.Errorf("unexpected problem: %s", p)
				}
			}
		})
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join(from, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(to, en.Name()), string(b))
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
