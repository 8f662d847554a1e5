package warehousesql_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
	"github.com/example/clickstream/tools/query/warehousesql"
)

// TestLiveFunnel10mCurrent: the view keeps, per window and group, the
// firing with the highest pane index (of two equal appends of it, the later
// one).
func TestLiveFunnel10mCurrent(t *testing.T) {
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	row := func(start time.Time, class string, pane, viewers int64, fired time.Duration) schemas.LiveFunnel {
		return schemas.LiveFunnel{
			WindowDate: schemas.DateOf(start), WindowStart: start, WindowEnd: start.Add(10 * time.Minute),
			DefaultChannelGroup: class, DeviceType: "mobile", PaneIndex: pane, PaneTiming: schemas.PaneEarly,
			ProductViewers: viewers, FiredAt: at.Add(fired),
		}
	}
	next := at.Add(10 * time.Minute)
	w := openViews(t, nil, nil, []schemas.LiveFunnel{
		row(at, "search", 0, 2, time.Minute), row(at, "search", 2, 4, 3*time.Minute),
		row(at, "search", 1, 3, 2*time.Minute), row(at, "search", 2, 4, 4*time.Minute),
		row(at, "direct", 0, 1, time.Minute), row(next, "search", 0, 5, 11*time.Minute),
	})
	res, err := w.Run(context.Background(), `
SELECT window_start, default_channel_group, pane_index, product_viewers, fired_at FROM live_funnel_10m_current
WHERE window_date BETWEEN @start_date AND @end_date
ORDER BY window_start, default_channel_group`, warehousesql.Params{"start_date": models.DateOf(at), "end_date": models.DateOf(at)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range res.Rows {
		got = append(got, fmt.Sprint(r...))
	}
	want := []string{
		fmt.Sprint(at, "direct", int64(0), int64(1), at.Add(time.Minute)),
		fmt.Sprint(at, "search", int64(2), int64(4), at.Add(4*time.Minute)),
		fmt.Sprint(next, "search", int64(0), int64(5), at.Add(11*time.Minute)),
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows\n%q\nwant\n%q", got, want)
	}
}
