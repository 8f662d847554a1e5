package duck

import (
	"testing"
	"time"
)

// TestAppendKey: keys that differ are spelled differently, even where
// fmt.Sprint ran them together, and a value DuckDB returns is spelled like
// the same value read from Parquet.
func TestAppendKey(t *testing.T) {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	same := [][2][]any{
		{{day, "s1", int64(5)}, {day.In(time.FixedZone("CET", 3600)), "s1", int32(5)}},
		{{day, nil}, {day, nil}},
	}
	for _, p := range same {
		if a, b := string(appendKey(nil, p[0])), string(appendKey(nil, p[1])); a != b {
			t.Errorf("%v and %v spelled %q and %q, want one spelling", p[0], p[1], a, b)
		}
	}
	differ := [][2][]any{
		{{day, "abc1", int64(5)}, {day, "abc", int64(15)}},
		{{day, "a;", "b"}, {day, "a", ";b"}},
		{{day, ""}, {day, nil}},
		{{day, "5"}, {day, int64(5)}},
		{{day, "x"}, {day.AddDate(0, 0, 1), "x"}},
	}
	for _, p := range differ {
		if a, b := string(appendKey(nil, p[0])), string(appendKey(nil, p[1])); a == b {
			t.Errorf("%v and %v both spelled %q", p[0], p[1], a)
		}
	}
}
