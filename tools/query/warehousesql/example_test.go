package warehousesql_test

import (
	"fmt"
	"os"

	"github.com/example/clickstream/tools/query/warehousesql"
)

// BigQuery's typed named parameters become typed DuckDB parameters.
func ExampleTranslate() {
	start, _ := warehousesql.ParseDate("2026-11-01")
	q, names, err := warehousesql.Translate(
		"SELECT COUNT(*) FROM fact_events WHERE event_date BETWEEN @start_date - @lookback_days AND @start_date",
		warehousesql.Params{"start_date": start, "lookback_days": int64(7)})
	if err != nil {
		panic(err)
	}
	fmt.Println(q)
	fmt.Println(names)
	// Output:
	// SELECT COUNT(*) FROM fact_events WHERE event_date BETWEEN CAST($start_date AS DATE) - CAST($lookback_days AS INTEGER) AND CAST($start_date AS DATE)
	// [start_date lookback_days]
}

// Results print as aligned text, CSV or JSON.
func ExampleWrite() {
	day, _ := warehousesql.ParseDate("2026-11-01")
	res := &warehousesql.Result{
		Columns: []string{"day", "sessions", "conversion_rate"},
		Types:   []string{"DATE", "BIGINT", "DOUBLE"},
		Rows:    [][]any{{day.Time, int64(3179), 0.0293}, {day.AddDays(1).Time, int64(3892), nil}},
	}
	for _, format := range warehousesql.Formats {
		if err := warehousesql.Write(os.Stdout, res, format); err != nil {
			panic(err)
		}
	}
	// Output:
	// day         sessions  conversion_rate
	// ----------  --------  ---------------
	// 2026-11-01      3179           0.0293
	// 2026-11-02      3892             NULL
	// (2 rows)
	// day,sessions,conversion_rate
	// 2026-11-01,3179,0.0293
	// 2026-11-02,3892,
	// [
	//   {"day": "2026-11-01", "sessions": 3179, "conversion_rate": 0.0293},
	//   {"day": "2026-11-02", "sessions": 3892, "conversion_rate": null}
	// ]
}
