package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// module is a parsed Terraform module: its resources, data sources, locals
// and variables.
type module struct {
	dir         string // the module directory, path.module
	root        string // the repository root, that file reads are reported relative to
	resources   []resource
	data        []resource
	locals      map[string]*hclsyntax.Attribute
	outputs     map[string]*hclsyntax.Attribute // each output's value
	types       map[string]cty.Type             // variables' types
	defaults    map[string]cty.Value            // variables' defaults
	validations map[string][]validation         // variables' validation blocks
}

// validation is one validation block of a variable.
type validation struct {
	condition hclsyntax.Expression
	message   string
}

type resource struct {
	typ, name string
	body      *hclsyntax.Body
}

func (r resource) String() string { return r.typ + "." + r.name }

// parseModule parses .tf sources (file name -> contents) of a module in dir.
func parseModule(dir, root string, files map[string][]byte) (*module, error) {
	m := &module{dir: dir, root: root, locals: map[string]*hclsyntax.Attribute{}, outputs: map[string]*hclsyntax.Attribute{},
		types:    map[string]cty.Type{},
		defaults: map[string]cty.Value{}, validations: map[string][]validation{}}
	p := hclparse.NewParser()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, diags := p.ParseHCL(files[name], name)
		if diags.HasErrors() {
			return nil, fmt.Errorf("parse %s: %s", name, diags.Error())
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			switch {
			case b.Type == "resource" && len(b.Labels) == 2:
				m.resources = append(m.resources, resource{typ: b.Labels[0], name: b.Labels[1], body: b.Body})
			case b.Type == "output" && len(b.Labels) == 1:
				if a, ok := b.Body.Attributes["value"]; ok {
					m.outputs[b.Labels[0]] = a
				}
			case b.Type == "data" && len(b.Labels) == 2:
				m.data = append(m.data, resource{typ: b.Labels[0], name: b.Labels[1], body: b.Body})
			case b.Type == "locals":
				for n, a := range b.Body.Attributes {
					m.locals[n] = a
				}
			case b.Type == "variable" && len(b.Labels) == 1:
				m.types[b.Labels[0]] = cty.DynamicPseudoType
				if a, ok := b.Body.Attributes["type"]; ok {
					ty, diags := typeexpr.TypeConstraint(a.Expr)
					if diags.HasErrors() {
						return nil, fmt.Errorf("variable %s type: %s", b.Labels[0], diags.Error())
					}
					m.types[b.Labels[0]] = ty
				}
				if a, ok := b.Body.Attributes["default"]; ok {
					v, diags := a.Expr.Value(nil)
					if diags.HasErrors() {
						return nil, fmt.Errorf("variable %s default: %s", b.Labels[0], diags.Error())
					}
					m.defaults[b.Labels[0]] = v
				}
				for _, vb := range b.Body.Blocks {
					cond, ok := vb.Body.Attributes["condition"]
					if vb.Type != "validation" || !ok {
						continue
					}
					msg, diags := vb.Body.Attributes["error_message"].Expr.Value(nil)
					if diags.HasErrors() {
						return nil, fmt.Errorf("variable %s error_message: %s", b.Labels[0], diags.Error())
					}
					m.validations[b.Labels[0]] = append(m.validations[b.Labels[0]], validation{cond.Expr, msg.AsString()})
				}
			}
		}
	}
	return m, nil
}

// readModuleDir reads every .tf file of dir.
func readModuleDir(dir string) (map[string][]byte, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		files[filepath.Base(p)] = b
	}
	return files, nil
}

// evaluator evaluates a module's expressions the way Terraform does, for the
// functions this configuration uses, and records which files each
// expression read: that is how a test tells a definition read from
// schemas/tables from one restated in the .tf files.
type evaluator struct {
	m          *module
	vars       map[string]cty.Value
	locals     map[string]cty.Value
	localReads map[string][]string
	objects    map[string]cty.Value // resources and data sources known so far, by type (data: by "data")
	reads      []string             // files read by the expression being evaluated
}

// newEvaluator evaluates every local that depends only on variables and
// other locals; locals that need a resource's attributes stay unknown
// (see plan for those).
func newEvaluator(m *module, vars map[string]cty.Value) *evaluator {
	e := &evaluator{m: m, vars: map[string]cty.Value{}, locals: map[string]cty.Value{}, localReads: map[string][]string{},
		objects: map[string]cty.Value{}}
	for k, v := range m.defaults {
		e.vars[k] = v
	}
	for k, v := range vars {
		e.vars[k] = v
	}
	// As Terraform does, give each value its variable's type (a default of
	// null becomes a typed null, an object literal a map).
	for k, v := range e.vars {
		if ty, ok := m.types[k]; ok {
			if c, err := convert.Convert(v, ty); err == nil {
				e.vars[k] = c
			}
		}
	}
	e.evalLocals()
	return e
}

// evalLocals evaluates the locals not yet known whose references are known.
func (e *evaluator) evalLocals() {
	for progress := true; progress; {
		progress = false
		for name, a := range e.m.locals {
			if _, done := e.locals[name]; done || !e.ready(a.Expr) {
				continue
			}
			v, reads, err := e.eval(a.Expr, nil)
			if err != nil {
				continue
			}
			e.locals[name], e.localReads[name] = v, reads
			progress = true
		}
	}
}

// validate returns the error messages of the variable's validations that
// value fails.
func (e *evaluator) validate(name string, value cty.Value) []string {
	saved := e.vars[name]
	if c, err := convert.Convert(value, e.m.types[name]); err == nil {
		value = c
	}
	e.vars[name] = value
	defer func() { e.vars[name] = saved }()
	var failed []string
	for _, v := range e.m.validations[name] {
		ok, _, err := e.eval(v.condition, nil)
		if err != nil || ok.IsNull() || !ok.True() {
			failed = append(failed, v.message)
		}
	}
	return failed
}

// ready reports whether every variable expr refers to is known.
func (e *evaluator) ready(expr hclsyntax.Expression) bool {
	for _, tr := range expr.Variables() {
		switch tr.RootName() {
		case "var", "path":
		case "local":
			attr, ok := tr[1].(hcl.TraverseAttr)
			if !ok {
				return false
			}
			if _, done := e.locals[attr.Name]; !done {
				return false
			}
		default:
			if _, known := e.objects[tr.RootName()]; !known {
				return false
			}
		}
	}
	return true
}

// eval evaluates expr with extra variables (each, a dynamic block's
// iterator) and returns the files it read, including through locals.
func (e *evaluator) eval(expr hclsyntax.Expression, extra map[string]cty.Value) (cty.Value, []string, error) {
	e.reads = nil
	vars := map[string]cty.Value{
		"var":   cty.ObjectVal(e.vars),
		"local": cty.ObjectVal(e.locals),
		"path":  cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(e.m.dir)}),
	}
	for k, v := range e.objects {
		vars[k] = v
	}
	for k, v := range extra {
		vars[k] = v
	}
	v, diags := expr.Value(&hcl.EvalContext{Variables: vars, Functions: e.functions()})
	reads := e.reads
	for _, tr := range expr.Variables() {
		if len(tr) > 1 && tr.RootName() == "local" {
			if attr, ok := tr[1].(hcl.TraverseAttr); ok {
				reads = append(reads, e.localReads[attr.Name]...)
			}
		}
	}
	slices.Sort(reads)
	reads = slices.Compact(reads)
	if diags.HasErrors() {
		return cty.NilVal, reads, fmt.Errorf("%s", diags.Error())
	}
	return v, reads, nil
}

func (e *evaluator) record(kind, path string) {
	rel, err := filepath.Rel(e.m.root, path)
	if err != nil {
		rel = path
	}
	e.reads = append(e.reads, kind+":"+filepath.ToSlash(rel))
}

// functions are Terraform's functions used by the configuration; file,
// fileset and templatefile record what they read.
func (e *evaluator) functions() map[string]function.Function {
	file := function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			b, err := os.ReadFile(p)
			if err != nil {
				return cty.NilVal, err
			}
			e.record("file", p)
			return cty.StringVal(string(b)), nil
		},
	})
	fileset := function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "pattern", Type: cty.String}},
		Type:   function.StaticReturnType(cty.Set(cty.String)),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			dir, pattern := args[0].AsString(), args[1].AsString()
			matches, err := filepath.Glob(filepath.Join(dir, pattern))
			if err != nil {
				return cty.NilVal, err
			}
			e.record("fileset", filepath.Join(dir, pattern))
			if len(matches) == 0 {
				return cty.SetValEmpty(cty.String), nil
			}
			var vals []cty.Value
			for _, p := range matches {
				rel, err := filepath.Rel(dir, p)
				if err != nil {
					return cty.NilVal, err
				}
				vals = append(vals, cty.StringVal(filepath.ToSlash(rel)))
			}
			return cty.SetVal(vals), nil
		},
	})
	templatefile := function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}, {Name: "vars", Type: cty.DynamicPseudoType}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			b, err := os.ReadFile(p)
			if err != nil {
				return cty.NilVal, err
			}
			e.record("templatefile", p)
			tmpl, diags := hclsyntax.ParseTemplate(b, p, hcl.InitialPos)
			if diags.HasErrors() {
				return cty.NilVal, fmt.Errorf("%s", diags.Error())
			}
			v, diags := tmpl.Value(&hcl.EvalContext{Variables: args[1].AsValueMap()})
			if diags.HasErrors() {
				return cty.NilVal, fmt.Errorf("%s", diags.Error())
			}
			return v, nil
		},
	})
	return map[string]function.Function{
		"file":         file,
		"fileset":      fileset,
		"templatefile": templatefile,
		"jsondecode":   stdlib.JSONDecodeFunc,
		"jsonencode":   stdlib.JSONEncodeFunc,
		"trimsuffix":   stdlib.TrimSuffixFunc,
		"length":       stdlib.LengthFunc,
		"lookup":       lookup,
		"keys":         stdlib.KeysFunc,
		"merge":        stdlib.MergeFunc,
		"concat":       stdlib.ConcatFunc,
		"toset":        stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"try":          tryfunc.TryFunc,
		"can":          tryfunc.CanFunc,
		"split":        stdlib.SplitFunc,
		"contains":     stdlib.ContainsFunc,
		"values":       stdlib.ValuesFunc,
		"floor":        stdlib.FloorFunc,
		"regex":        stdlib.RegexFunc,
		"alltrue":      alltrue,
		"join":         stdlib.JoinFunc,
	}
}

// lookup is Terraform's lookup, whose default, unlike cty's, may be null.
var lookup = function.New(&function.Spec{
	Params:   []function.Parameter{{Name: "inputMap", Type: cty.DynamicPseudoType}, {Name: "key", Type: cty.String}},
	VarParam: &function.Parameter{Name: "default", Type: cty.DynamicPseudoType, AllowNull: true, AllowDynamicType: true},
	Type:     function.StaticReturnType(cty.DynamicPseudoType),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		m, key := args[0], args[1].AsString()
		switch {
		case m.Type().IsObjectType() && m.Type().HasAttribute(key):
			return m.GetAttr(key), nil
		case (m.Type().IsMapType() || m.Type().IsObjectType()) && m.HasIndex(cty.StringVal(key)).True():
			return m.Index(cty.StringVal(key)), nil
		case len(args) == 3 && args[2].IsNull() && m.Type().IsMapType():
			return cty.NullVal(m.Type().ElementType()), nil
		case len(args) == 3:
			return args[2], nil
		}
		return cty.NilVal, fmt.Errorf("lookup: no key %q and no default", key)
	},
})

// alltrue is Terraform's alltrue: whether every element of a list is true.
var alltrue = function.New(&function.Spec{
	Params: []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
	Type:   function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			if v.IsNull() || !v.True() {
				return cty.False, nil
			}
		}
		return cty.True, nil
	},
})
