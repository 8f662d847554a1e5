// Package models holds the dimension models: the SQL, one query per file,
// that builds the dimension state, the dimensions and the re-resolution of
// fact_sessions from the facts. io/dimensions runs them in the order
// step.json declares (Order) on an engine (DuckDB over the local warehouse,
// or BigQuery), after loading the tables step.json declares too (Inputs);
// README.md in this directory describes each model and the SQL dialect they
// are written in.
package models

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

//go:embed *.sql step.json
var files embed.FS

// step is step.json: what a dimension step loads and runs, declared once
// for the code that runs the models and the tools that check them.
type step struct {
	Inputs []Input  `json:"inputs"`
	Order  []string `json:"order"`
}

// Input is a table a step loads before its first model, in the format of
// schemas/tables: its name and columns.
type Input struct {
	Name    string   `json:"name"`
	Columns []Column `json:"schema"`
}

// Column is a column of an Input.
type Column struct {
	Name string `json:"name"`
	// Type is a GoogleSQL type: DATE, INT64, STRING or BOOL.
	Type string `json:"type"`
}

var declared = sync.OnceValue(func() step {
	b, err := files.ReadFile("step.json")
	if err != nil {
		panic(fmt.Sprintf("models: %v", err))
	}
	var s step
	if err := json.Unmarshal(b, &s); err != nil {
		panic(fmt.Sprintf("models: step.json: %v", err)) // embedded: a test reads it
	}
	return s
})

// Order returns the models in the order a step runs them (step.json).
func Order() []string { return append([]string(nil), declared().Order...) }

// Inputs returns the tables a step loads before its first model
// (step.json).
func Inputs() []Input { return append([]Input(nil), declared().Inputs...) }

// InputNamed returns the declared input name and panics when there is
// none: input names are constants of the code that loads them.
func InputNamed(name string) Input {
	for _, in := range declared().Inputs {
		if in.Name == name {
			return in
		}
	}
	panic(fmt.Sprintf("models: step.json declares no input %q", name))
}

// Text returns the SQL of the named model (the file <name>.sql) and panics
// when there is none: model names are constants of the code that runs them.
func Text(name string) string {
	b, err := files.ReadFile(name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("models: %v", err))
	}
	return string(b)
}

// Names lists the models, sorted.
func Names() []string {
	entries, err := fs.Glob(files, "*.sql")
	if err != nil {
		panic(fmt.Sprintf("models: %v", err))
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = strings.TrimSuffix(path.Base(e), ".sql")
	}
	sort.Strings(names)
	return names
}

// Params are a query's named parameters (@name in the SQL), by name without
// the "@". The Go type of a value gives the parameter's GoogleSQL type, as a
// BigQuery caller declares it:
//
//	Date                          DATE
//	int, int64                    INT64
//	float64                       FLOAT64
//	string                        STRING
//	bool                          BOOL
type Params map[string]any

// Date is a DATE parameter value: a calendar day, no time of day.
type Date struct{ time.Time }

// ParseDate parses a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// DateOf is the UTC calendar day of t.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

func (d Date) String() string { return d.Format(time.DateOnly) }

// AddDays is d moved by n days.
func (d Date) AddDays(n int) Date { return Date{d.AddDate(0, 0, n)} }
