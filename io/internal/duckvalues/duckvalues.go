// Package duckvalues reads DuckDB query results as plain Go values, the
// same way for the two engines built on DuckDB: the local warehouse
// (io/warehouse/duck) and the BigQuery fake (io/bqwarehouse/bqfake).
//
// DuckDB's driver returns integers of every width, *big.Int for HUGEINT,
// duckdb.Decimal, float32 and times in the session's zone. Normalize maps
// them to the few types the engines promise: int64, float64, string, bool,
// []byte (BLOB), time.Time in UTC, and []any (LIST) and map[string]any
// (STRUCT) of those.
package duckvalues

import (
	"database/sql"
	"math/big"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// ScanRow scans the current row of rows, which has n columns, into fresh
// normalized values.
func ScanRow(rows *sql.Rows, n int) ([]any, error) {
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, v := range vals {
		vals[i] = Normalize(v)
	}
	return vals, nil
}

// Normalize gives a value from DuckDB's driver its plain Go type (see the
// package documentation). A HUGEINT beyond int64 becomes the nearest
// float64. LIST and STRUCT values are normalized in place.
func Normalize(v any) any {
	switch v := v.(type) {
	case *big.Int:
		if v.IsInt64() {
			return v.Int64()
		}
		f, _ := new(big.Float).SetInt(v).Float64()
		return f
	case duckdb.Decimal:
		return v.Float64()
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case float32:
		return float64(v)
	case time.Time:
		return v.UTC()
	case []any:
		for i := range v {
			v[i] = Normalize(v[i])
		}
		return v
	case map[string]any:
		for k, x := range v {
			v[k] = Normalize(x)
		}
		return v
	}
	return v
}
