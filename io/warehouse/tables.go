package warehouse

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// rowTypes maps every table of schemas/tables to the Go row type stored in
// it. A test checks it against schemas.Tables() column by column.
var rowTypes = map[string]reflect.Type{
	"fact_events":    reflect.TypeFor[schemas.Event](),
	"bot_events":     reflect.TypeFor[schemas.BotEvent](),
	"dead_letter":    reflect.TypeFor[schemas.DeadLetter](),
	"fact_sessions":  reflect.TypeFor[schemas.Session](),
	"reconciliation": reflect.TypeFor[schemas.Reconciliation](),

	// Live tables of the streaming pipeline.
	"cart_abandonment": reflect.TypeFor[schemas.CartAbandonment](),
	"live_funnel_10m":  reflect.TypeFor[schemas.LiveFunnel](),
	"live_anomalies":   reflect.TypeFor[schemas.Anomaly](),

	// Unpartitioned tables, replaced whole.
	"dim_device_users": reflect.TypeFor[schemas.DeviceUser](),
	"dim_devices":      reflect.TypeFor[schemas.Device](),
	"dim_users":        reflect.TypeFor[schemas.User](),
	"dim_pages":        reflect.TypeFor[schemas.Page](),

	// The dimension step's state (sql/models).
	"state_device_days":      reflect.TypeFor[schemas.DeviceDay](),
	"state_device_user_runs": reflect.TypeFor[schemas.DeviceUserRun](),
	"state_page_days":        reflect.TypeFor[schemas.PageDay](),
	"state_dates":            reflect.TypeFor[schemas.StateDate](),
	"dimension_lease":        reflect.TypeFor[schemas.Lease](),

	// The runs' own account.
	"runs":           reflect.TypeFor[schemas.Run](),
	"run_outcomes":   reflect.TypeFor[schemas.RunOutcome](),
	"run_partitions": reflect.TypeFor[schemas.RunPartition](),
}

// tableNames returns the warehouse's tables, sorted.
func tableNames() []string {
	names := make([]string, 0, len(rowTypes))
	for name := range rowTypes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// table is what the warehouse needs to know about one table.
type table struct {
	name    string
	column  string // partition column; "" for an unpartitioned table
	rowType reflect.Type
	codec   *rowCodec
}

var (
	tablesOnce sync.Once
	tables     map[string]*table
	tablesErr  error
)

// lookupTable returns the named table, or an error when it is not a
// warehouse table or, for a partitioned table, its row type does not
// implement schemas.Partitioned.
func lookupTable(name string) (*table, error) {
	tablesOnce.Do(func() {
		tables = make(map[string]*table, len(rowTypes))
		for _, name := range tableNames() {
			t, err := newTable(name, rowTypes[name])
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

func newTable(name string, rowType reflect.Type) (*table, error) {
	column := schemas.MustTable(name).TimePartitioning.Field
	if column != "" && !rowType.Implements(reflect.TypeFor[schemas.Partitioned]()) {
		return nil, fmt.Errorf("warehouse: table %s: %v does not implement schemas.Partitioned", name, rowType)
	}
	codec, err := newRowCodec(rowType)
	if err != nil {
		return nil, fmt.Errorf("warehouse: table %s: %w", name, err)
	}
	if _, ok := codec.schema.Lookup(column); column != "" && !ok {
		return nil, fmt.Errorf("warehouse: table %s: partition column %s is not a field of %v", name, column, rowType)
	}
	return &table{name: name, column: column, rowType: rowType, codec: codec}, nil
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

// rowCodec turns rows of one Go type into Parquet rows.
//
// parquet-go v0.32.0 writes a time.Time field tagged `date` as its Unix
// nanoseconds cut to 32 bits (both GenericWriter and Schema.Deconstruct; its
// readers are right), so the encoder lets Deconstruct do every column and then
// rewrites the DATE columns of time.Time fields as days since the epoch.
type rowCodec struct {
	schema *parquet.Schema
	dates  []dateField
}

// dateField is a time.Time (or *time.Time) struct field stored in a DATE
// column.
type dateField struct {
	field  int // index in the struct
	column int // leaf column index in the schema
	ptr    bool
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	timePtrType = reflect.TypeFor[*time.Time]()
)

func newRowCodec(rowType reflect.Type) (codec *rowCodec, err error) {
	if rowType.Kind() != reflect.Struct {
		return nil, fmt.Errorf("row type %v is not a struct", rowType)
	}
	defer func() {
		// parquet.SchemaOf panics on tags it cannot map.
		if r := recover(); r != nil {
			err = fmt.Errorf("parquet schema of %v: %v", rowType, r)
		}
	}()
	schema := parquet.SchemaOf(reflect.New(rowType).Elem().Interface())
	c := &rowCodec{schema: schema}
	for i := range rowType.NumField() {
		f := rowType.Field(i)
		if f.Type != timeType && f.Type != timePtrType {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		leaf, ok := schema.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("field %s: column %q not in the parquet schema", f.Name, name)
		}
		if !isDate(leaf.Node.Type()) {
			continue
		}
		c.dates = append(c.dates, dateField{field: i, column: leaf.ColumnIndex, ptr: f.Type == timePtrType})
	}
	return c, nil
}

// encode appends the Parquet values of row (a value of the codec's type) to
// dst[:0].
func (c *rowCodec) encode(dst parquet.Row, row any) parquet.Row {
	out := c.schema.Deconstruct(dst[:0], row)
	if len(c.dates) == 0 {
		return out
	}
	v := reflect.ValueOf(row)
	for _, d := range c.dates {
		f := v.Field(d.field)
		if d.ptr {
			if f.IsNil() {
				continue
			}
			f = f.Elem()
		}
		days := daysSinceEpoch(f.Interface().(time.Time))
		for i, value := range out {
			if value.Column() == d.column && !value.IsNull() {
				out[i] = parquet.Int32Value(days).Level(value.RepetitionLevel(), value.DefinitionLevel(), d.column)
			}
		}
	}
	return out
}

// daysSinceEpoch is the Parquet DATE value of t's UTC calendar date.
func daysSinceEpoch(t time.Time) int32 {
	return int32(schemas.DateOf(t).Unix() / (24 * 60 * 60))
}

// isDate reports whether a Parquet leaf type is a DATE.
func isDate(t parquet.Type) bool {
	lt := t.LogicalType()
	if lt == nil {
		return false
	}
	_, ok := lt.Value.(*format.DateType)
	return ok
}
