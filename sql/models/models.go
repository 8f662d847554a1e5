// Package models holds the dimension models: the SQL, one query per file,
// that builds the dimension state, the dimensions and the re-resolution of
// fact_sessions from the facts. io/dimensions runs them in order on an
// engine (DuckDB over the local warehouse, or BigQuery); README.md in this
// directory describes each model and the SQL dialect they are written in.
package models

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

//go:embed *.sql
var files embed.FS

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
