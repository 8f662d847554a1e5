package schemas

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// Every table has a row type and no row type lacks a table; a partitioned
// table's row type implements Partitioned and its partition column is a
// REQUIRED DATE.
func TestRowTypes(t *testing.T) {
	var names []string
	for _, table := range Tables() {
		names = append(names, table.Name)
		rowType, err := RowType(table.Name)
		if err != nil {
			t.Error(err)
			continue
		}
		column := table.TimePartitioning.Field
		if column == "" {
			continue
		}
		if !rowType.Implements(reflect.TypeFor[Partitioned]()) {
			t.Errorf("%s: %v does not implement Partitioned", table.Name, rowType)
		}
		if c, ok := table.Column(column); !ok || c.Type != "DATE" || c.Mode != "REQUIRED" {
			t.Errorf("%s: partition column %s is %+v, want a REQUIRED DATE", table.Name, column, c)
		}
	}
	if !slices.Equal(names, tableNames()) {
		t.Errorf("row types for %v, tables/ has %v", tableNames(), names)
	}
}

// PartitionDate is the UTC date of the partition column, zero for an
// unpartitioned table, and an error for a row that cannot be placed.
func TestPartitionDate(t *testing.T) {
	zone := time.FixedZone("UTC-7", -7*60*60)
	tests := []struct {
		name, table string
		row         any
		want        time.Time
		wantErr     bool
	}{
		{"partitioned", "dead_letter", DeadLetter{DeadLetterDate: time.Date(2026, 11, 1, 23, 30, 0, 0, zone)}, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), false},
		{"unpartitioned", "dim_pages", Page{}, time.Time{}, false},
		{"no date", "fact_events", Event{}, time.Time{}, true},
		{"not a row of a partitioned table", "fact_events", Page{}, time.Time{}, true},
		{"unknown table", "no_such_table", Event{}, time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PartitionDate(tt.table, tt.row)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Errorf("PartitionDate = %v, %v; want %v (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
