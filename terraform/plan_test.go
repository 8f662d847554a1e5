package terraform

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// instance is one instance of a resource as a plan would show it: every
// argument and block whose value is known from the configuration, plus the
// attributes the provider would compute (see computedFunc).
type instance struct {
	addr      string // google_x.name or google_x.name["key"]
	typ       string
	value     cty.Value // an object; nested blocks are tuples of objects
	dependsOn []string  // depends_on, as written
	failed    []string  // error messages of the lifecycle preconditions that fail
}

// computedFunc returns the attributes a provider computes for an instance
// of a resource type (a service account's email), from its arguments.
type computedFunc func(typ string, args map[string]cty.Value) map[string]cty.Value

// plan evaluates every resource of the module with the given variables,
// data sources (by type, then name) and computed attributes: a plan without
// a provider. It resolves references between resources by evaluating again
// until nothing new becomes known; an argument that never does (it needs an
// attribute computed by the cloud and not given by computed) is left out.
func plan(m *module, vars map[string]cty.Value, data map[string]cty.Value, computed computedFunc) (*evaluator, []instance) {
	e := newEvaluator(m, vars)
	e.objects["data"] = cty.ObjectVal(data)
	var all []instance
	for known, round := -1, 0; round < 20; round++ {
		byType := map[string]map[string]cty.Value{}
		all = nil
		for _, r := range m.resources {
			insts, value := e.resource(r, computed)
			if value == cty.NilVal {
				continue
			}
			if byType[r.typ] == nil {
				byType[r.typ] = map[string]cty.Value{}
			}
			byType[r.typ][r.name] = value
			all = append(all, insts...)
		}
		for typ, names := range byType {
			e.objects[typ] = cty.ObjectVal(names)
		}
		e.evalLocals()
		n := len(e.locals)
		for _, in := range all {
			n += leaves(in.value)
		}
		if n == known {
			break
		}
		known = n
	}
	return e, all
}

// preconditions returns the error messages of the lifecycle preconditions
// of a resource body that evaluate to false.
func (e *evaluator) preconditions(b *hclsyntax.Body, extra map[string]cty.Value) []string {
	lc := block(b, "lifecycle")
	if lc == nil {
		return nil
	}
	var failed []string
	for _, pc := range lc.Blocks {
		cond, ok := pc.Body.Attributes["condition"]
		if pc.Type != "precondition" || !ok {
			continue
		}
		v, _, err := e.eval(cond.Expr, extra)
		if err != nil || !v.IsKnown() || v.IsNull() || v.True() {
			continue
		}
		msg, _, _ := e.eval(pc.Body.Attributes["error_message"].Expr, extra)
		failed = append(failed, msg.AsString())
	}
	return failed
}

// resource evaluates the instances of r, and the value other resources see
// when they refer to it (an object, or a map of them with for_each, a tuple
// with count); NilVal while its for_each or count is not known.
func (e *evaluator) resource(r resource, computed computedFunc) ([]instance, cty.Value) {
	var deps []string
	if a, ok := r.body.Attributes["depends_on"]; ok {
		if tuple, ok := a.Expr.(*hclsyntax.TupleConsExpr); ok {
			for _, ex := range tuple.Exprs {
				tr, diags := hcl.AbsTraversalForExpr(ex)
				if diags.HasErrors() {
					continue
				}
				name := tr.RootName()
				for _, step := range tr[1:] {
					if attr, ok := step.(hcl.TraverseAttr); ok {
						name += "." + attr.Name
					}
				}
				deps = append(deps, name)
			}
		}
	}
	one := func(addr string, extra map[string]cty.Value) instance {
		v := e.body(r.body, extra, true)
		if computed != nil {
			attrs := v.AsValueMap()
			if attrs == nil {
				attrs = map[string]cty.Value{}
			}
			for k, c := range computed(r.typ, attrs) {
				attrs[k] = c
			}
			v = cty.ObjectVal(attrs)
		}
		return instance{addr: addr, typ: r.typ, value: v, dependsOn: deps, failed: e.preconditions(r.body, extra)}
	}
	if fe, ok := r.body.Attributes["for_each"]; ok {
		v, _, err := e.eval(fe.Expr, nil)
		if err != nil || !v.IsWhollyKnown() {
			return nil, cty.NilVal
		}
		var insts []instance
		byKey := map[string]cty.Value{}
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			if v.Type().IsSetType() {
				k = val
			}
			in := one(fmt.Sprintf("%s[%q]", r, k.AsString()), map[string]cty.Value{
				"each": cty.ObjectVal(map[string]cty.Value{"key": k, "value": val}),
			})
			insts = append(insts, in)
			byKey[k.AsString()] = in.value
		}
		return insts, cty.ObjectVal(byKey)
	}
	if c, ok := r.body.Attributes["count"]; ok {
		v, _, err := e.eval(c.Expr, nil)
		if err != nil || !v.IsKnown() || v.IsNull() {
			return nil, cty.NilVal
		}
		n, _ := v.AsBigFloat().Int64()
		var insts []instance
		var vals []cty.Value
		for i := range n {
			in := one(fmt.Sprintf("%s[%d]", r, i), map[string]cty.Value{
				"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(i)}),
			})
			insts = append(insts, in)
			vals = append(vals, in.value)
		}
		if len(vals) == 0 {
			return nil, cty.EmptyTupleVal
		}
		return insts, cty.TupleVal(vals)
	}
	in := one(r.String(), nil)
	return []instance{in}, in.value
}

// body evaluates a block's arguments and nested blocks (dynamic ones
// expanded) into an object; top says whether it is a resource's own body,
// whose meta-arguments are left out.
func (e *evaluator) body(b *hclsyntax.Body, extra map[string]cty.Value, top bool) cty.Value {
	attrs := map[string]cty.Value{}
	for name, a := range b.Attributes {
		if top && (name == "for_each" || name == "count" || name == "depends_on" || name == "provider") {
			continue
		}
		if v, _, err := e.eval(a.Expr, extra); err == nil {
			attrs[name] = v
		}
	}
	blocks := map[string][]cty.Value{}
	for _, blk := range b.Blocks {
		switch {
		case blk.Type == "lifecycle":
		case blk.Type == "dynamic" && len(blk.Labels) == 1:
			fe, ok := blk.Body.Attributes["for_each"]
			content := block(blk.Body, "content")
			if !ok || content == nil {
				continue
			}
			v, _, err := e.eval(fe.Expr, extra)
			if err != nil || !v.IsWhollyKnown() {
				continue
			}
			blocks[blk.Labels[0]] = []cty.Value{} // present, even if empty
			for it := v.ElementIterator(); it.Next(); {
				k, val := it.Element()
				inner := map[string]cty.Value{iterator(blk): cty.ObjectVal(map[string]cty.Value{"key": k, "value": val})}
				for n, x := range extra {
					inner[n] = x
				}
				blocks[blk.Labels[0]] = append(blocks[blk.Labels[0]], e.body(content, inner, false))
			}
		default:
			blocks[blk.Type] = append(blocks[blk.Type], e.body(blk.Body, extra, false))
		}
	}
	for typ, list := range blocks {
		attrs[typ] = cty.TupleVal(list)
		if len(list) == 0 {
			attrs[typ] = cty.EmptyTupleVal
		}
	}
	return cty.ObjectVal(attrs)
}

// leaves counts the known primitive values in v.
func leaves(v cty.Value) int {
	if v.IsNull() || !v.IsKnown() {
		return 0
	}
	if v.Type().IsPrimitiveType() {
		return 1
	}
	n := 0
	if v.CanIterateElements() {
		for it := v.ElementIterator(); it.Next(); {
			_, x := it.Element()
			n += leaves(x)
		}
	}
	return n
}

// get follows a path of attribute names and tuple indexes ("0") into v; it
// returns NilVal where the path does not exist.
func get(v cty.Value, path string) cty.Value {
	for _, step := range strings.Split(path, ".") {
		if v == cty.NilVal || v.IsNull() || !v.IsKnown() {
			return cty.NilVal
		}
		switch {
		case v.Type().IsObjectType():
			if !v.Type().HasAttribute(step) {
				return cty.NilVal
			}
			v = v.GetAttr(step)
		case v.Type().IsTupleType() || v.Type().IsListType():
			var i int
			if _, err := fmt.Sscan(step, &i); err != nil || i >= v.LengthInt() {
				return cty.NilVal
			}
			v = v.Index(cty.NumberIntVal(int64(i)))
		case v.Type().IsMapType():
			if !v.HasIndex(cty.StringVal(step)).True() {
				return cty.NilVal
			}
			v = v.Index(cty.StringVal(step))
		default:
			return cty.NilVal
		}
	}
	return v
}

// str is get for a string: "" when absent or null.
func str(v cty.Value, path string) string {
	x := get(v, path)
	if x == cty.NilVal || x.IsNull() || !x.IsKnown() || x.Type() != cty.String {
		return ""
	}
	return x.AsString()
}

// strs is get for a list, set or tuple of strings, sorted.
func strs(v cty.Value, path string) []string {
	x := get(v, path)
	if x == cty.NilVal || x.IsNull() || !x.IsKnown() || !x.CanIterateElements() {
		return nil
	}
	var out []string
	for it := x.ElementIterator(); it.Next(); {
		_, s := it.Element()
		if s.Type() == cty.String && !s.IsNull() {
			out = append(out, s.AsString())
		}
	}
	sort.Strings(out)
	return out
}

// blocks returns the nested blocks of v at path (a tuple), each an object.
func blocks(v cty.Value, path string) []cty.Value {
	x := get(v, path)
	if x == cty.NilVal || x.IsNull() || !x.CanIterateElements() {
		return nil
	}
	var out []cty.Value
	for it := x.ElementIterator(); it.Next(); {
		_, b := it.Element()
		out = append(out, b)
	}
	return out
}
