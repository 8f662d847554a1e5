package warehouse

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/example/clickstream/schemas"
)

// tableNames returns the warehouse's tables, those of schemas/tables,
// sorted.
func tableNames() []string {
	var names []string
	for _, t := range schemas.Tables() {
		names = append(names, t.Name)
	}
	return names
}

// table is what the warehouse needs to know about one table.
type table struct {
	name    string
	column  string // partition column; "" for an unpartitioned table
	rowType reflect.Type
}

var (
	tablesOnce sync.Once
	tables     map[string]*table
	tablesErr  error
)

// lookupTable returns the named table, or an error when it is not a
// warehouse table.
func lookupTable(name string) (*table, error) {
	tablesOnce.Do(func() {
		tables = map[string]*table{}
		for _, name := range tableNames() {
			t, err := newTable(name)
			if err != nil {
				tablesErr = err
				return
			}
			tables[name] = t
		}
	})
	if tablesErr != nil {
		return nil, tablesErr
	}
	t, ok := tables[name]
	if !ok {
		return nil, fmt.Errorf("warehouse: unknown table %q (have %s)", name, strings.Join(tableNames(), ", "))
	}
	return t, nil
}

// mustTable is lookupTable for graph construction, where a bad table name is
// a programming error.
func mustTable(name string) *table {
	t, err := lookupTable(name)
	if err != nil {
		panic(err)
	}
	return t
}

func newTable(name string) (*table, error) {
	rowType, err := schemas.RowType(name)
	if err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	return &table{name: name, column: schemas.MustTable(name).TimePartitioning.Field, rowType: rowType}, nil
}

// partitioned reports whether the table is partitioned by day; an
// unpartitioned table is one directory of files, replaced whole.
func (t *table) partitioned() bool { return t.column != "" }

// partition is the directory name of the partition of date, relative to the
// table's directory: "" for an unpartitioned table, whose files sit in the
// table directory itself, so that the same directory swap replaces it whole.
func (t *table) partition(date time.Time) string {
	if !t.partitioned() {
		return ""
	}
	return partitionName(t.column, date)
}

// dates lists the partitions of the table under dir (the table's directory,
// final or staged), sorted. An unpartitioned table has one, dated zero, when
// dir exists.
func (t *table) dates(dir string) ([]time.Time, error) {
	if t.partitioned() {
		return partitionDates(dir, t.column)
	}
	ok, err := exists(dir)
	if err != nil || !ok {
		return nil, err
	}
	return []time.Time{{}}, nil
}
