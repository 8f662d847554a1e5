package warehousesql_test

import (
	"context"
	"fmt"
	"os"

	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
)

// Results print as aligned text, CSV or JSON.
func ExampleWrite() {
	day, _ := models.ParseDate("2026-11-01")
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

// The views of sql/views (BigQuery templates) read the local tables: here
// those of a warehouse with no files yet, so the view is empty.
func ExampleWarehouse_CreateViews() {
	ctx := context.Background()
	w, err := warehousesql.Open(ctx, "no-such-warehouse")
	if err != nil {
		panic(err)
	}
	defer w.Close()
	views, err := w.CreateViews(ctx, "../../../sql/views")
	if err != nil {
		panic(err)
	}
	fmt.Println(views)
	day, _ := models.ParseDate("2026-11-01")
	res, err := w.Run(ctx, "SELECT COUNT(*) AS sessions FROM fact_sessions_current WHERE session_date BETWEEN @start_date AND @end_date",
		warehousesql.Params{"start_date": day, "end_date": day})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Rows)
	// Output:
	// [fact_events_current fact_sessions_current fact_sessions_numbered live_funnel_10m_current]
	// [[0]]
}
