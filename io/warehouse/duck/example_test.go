package duck_test

import (
	"fmt"

	"github.com/example/clickstream/io/warehouse/duck"
	"github.com/example/clickstream/sql/models"
)

// BigQuery's typed named parameters become typed DuckDB parameters.
func ExampleTranslate() {
	start, _ := models.ParseDate("2026-11-01")
	q, names, err := duck.Translate(
		"SELECT COUNT(*) FROM fact_events WHERE event_date BETWEEN @start_date - @lookback_days AND @start_date",
		models.Params{"start_date": start, "lookback_days": int64(7)})
	if err != nil {
		panic(err)
	}
	fmt.Println(q)
	fmt.Println(names)
	// Output:
	// SELECT COUNT(*) FROM fact_events WHERE event_date BETWEEN CAST($start_date AS DATE) - CAST($lookback_days AS INTEGER) AND CAST($start_date AS DATE)
	// [start_date lookback_days]
}
