package schemas

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// rowTypes maps every table of tables/ to the Go row type stored in it.
// TestRowTypes checks it against Tables().
var rowTypes = map[string]reflect.Type{
	"fact_events":    reflect.TypeFor[Event](),
	"bot_events":     reflect.TypeFor[BotEvent](),
	"dead_letter":    reflect.TypeFor[DeadLetter](),
	"fact_sessions":  reflect.TypeFor[Session](),
	"reconciliation": reflect.TypeFor[Reconciliation](),

	// Live tables of the streaming pipeline.
	"cart_abandonment": reflect.TypeFor[CartAbandonment](),
	"live_funnel_10m":  reflect.TypeFor[LiveFunnel](),
	"live_anomalies":   reflect.TypeFor[Anomaly](),
	"live_products_1h": reflect.TypeFor[LiveProduct](),
	"live_search_1h":   reflect.TypeFor[LiveSearch](),

	// Unpartitioned tables, replaced whole.
	"dim_device_users": reflect.TypeFor[DeviceUser](),
	"dim_devices":      reflect.TypeFor[Device](),
	"dim_users":        reflect.TypeFor[User](),
	"dim_pages":        reflect.TypeFor[Page](),

	// The dimension step's state (sql/models).
	"state_device_days":      reflect.TypeFor[DeviceDay](),
	"state_device_user_runs": reflect.TypeFor[DeviceUserRun](),
	"state_page_days":        reflect.TypeFor[PageDay](),
	"state_user_days":        reflect.TypeFor[UserDay](),
	"state_dates":            reflect.TypeFor[StateDate](),
	"dimension_lease":        reflect.TypeFor[Lease](),

	// Erasure (tools/erase).
	"erasure_requests": reflect.TypeFor[ErasureRequest](),
	"erasure_log":      reflect.TypeFor[ErasureLog](),

	// The runs' own account.
	"runs":           reflect.TypeFor[Run](),
	"run_outcomes":   reflect.TypeFor[RunOutcome](),
	"run_partitions": reflect.TypeFor[RunPartition](),
}

// RowType is the Go type of the rows of table: Event for fact_events,
// BotEvent for bot_events, DeadLetter for dead_letter, Session for
// fact_sessions, DeviceUser, Device, User and Page for the dimensions, and
// so on for every table of Tables(). Every sink stores exactly this type.
func RowType(table string) (reflect.Type, error) {
	t, ok := rowTypes[table]
	if !ok {
		return nil, fmt.Errorf("schemas: unknown table %q (have %s)", table, strings.Join(tableNames(), ", "))
	}
	return t, nil
}

// tableNames returns the tables that have a row type, sorted.
func tableNames() []string {
	names := make([]string, 0, len(rowTypes))
	for name := range rowTypes {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// partitionColumns maps every table to its partition column ("" for an
// unpartitioned table), read once from the table definitions.
var partitionColumns = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, t := range Tables() {
		m[t.Name] = t.TimePartitioning.Field
	}
	return m
})

// PartitionDate is the date of the partition of table that row belongs to:
// the UTC date of its partition column (row implements Partitioned), or
// the zero time for an unpartitioned table. A row of a partitioned table
// without a date is an error.
func PartitionDate(table string, row any) (time.Time, error) {
	column, ok := partitionColumns()[table]
	if !ok {
		return time.Time{}, fmt.Errorf("schemas: unknown table %q", table)
	}
	if column == "" {
		return time.Time{}, nil
	}
	p, ok := row.(Partitioned)
	if !ok {
		return time.Time{}, fmt.Errorf("schemas: table %s: element of type %T has no partition date", table, row)
	}
	if p.PartitionDate().IsZero() {
		return time.Time{}, fmt.Errorf("schemas: table %s: row has no %s", table, column)
	}
	return DateOf(p.PartitionDate()), nil
}
