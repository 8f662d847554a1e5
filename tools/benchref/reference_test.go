package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/example/clickstream/internal/groundtruth"
)

// TestReferenceAgainstTruth runs reference.sql on a small generated sample
// (malformed lines, retries, beacons, skewed clocks and a truncated gzip
// file included) and checks what it wrote against the generator's truth:
// exactly the records the truth keeps after dead letters and duplicates
// (outcomes event and bot: the reference has no bot rules), each on its
// true event_date, and, over the truth's event records, the same sessions
// (each truth session is one reference session and no reference session
// spans two).
func TestReferenceAgainstTruth(t *testing.T) {
	dir := t.TempDir()
	if err := groundtruth.Generate(dir, "--seed", "11", "--events", "6000", "--days", "2", "--files_per_day", "3"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "reference")
	c, err := runReference(context.Background(), filepath.Join(dir, "raw", "*", "*"), out)
	if err != nil {
		t.Fatal(err)
	}

	kept := map[[2]string]groundtruth.Record{}
	truthSessions := map[string]bool{}
	truth, err := groundtruth.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range truth {
		if r.Outcome == "event" || r.Outcome == "bot" {
			kept[[2]string{r.DeviceID, r.EventID}] = r
		}
		if r.Outcome == "event" {
			truthSessions[r.Session] = true
		}
	}
	if len(kept) == 0 || len(truthSessions) == 0 {
		t.Fatal("the truth keeps no events")
	}

	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT device_id, event_id, event_date::VARCHAR, session_id
		FROM read_parquet(?, hive_partitioning = true)`, filepath.Join(out, "fact_events", "*", "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	refOf := map[string]string{}   // truth session -> reference session
	truthOf := map[string]string{} // reference session -> truth session
	for rows.Next() {
		var device, id, date, session string
		if err := rows.Scan(&device, &id, &date, &session); err != nil {
			t.Fatal(err)
		}
		seen++
		r, ok := kept[[2]string{device, id}]
		if !ok {
			t.Errorf("event (%s, %s) is not kept by the truth", device, id)
			continue
		}
		if date != r.EventDate {
			t.Errorf("event (%s, %s): event_date %s, truth %s", device, id, date, r.EventDate)
		}
		if r.Outcome != "event" {
			continue
		}
		if s, ok := refOf[r.Session]; ok && s != session {
			t.Errorf("truth session %s is split into reference sessions %s and %s", r.Session, s, session)
		}
		if s, ok := truthOf[session]; ok && s != r.Session {
			t.Errorf("reference session %s spans truth sessions %s and %s", session, s, r.Session)
		}
		refOf[r.Session], truthOf[session] = session, r.Session
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(kept) || c.events != int64(len(kept)) {
		t.Errorf("fact_events has %d rows (reported %d), the truth keeps %d", seen, c.events, len(kept))
	}
	if len(refOf) != len(truthSessions) {
		t.Errorf("the truth's events fall in %d reference sessions, the truth has %d", len(refOf), len(truthSessions))
	}

	var sessionRows, distinct int64
	err = db.QueryRow(`SELECT count(*), count(DISTINCT session_id) FROM read_parquet(?, hive_partitioning = true)`,
		filepath.Join(out, "fact_sessions", "*", "*.parquet")).Scan(&sessionRows, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	if sessionRows != c.sessions || distinct != c.sessions {
		t.Errorf("fact_sessions has %d rows, %d distinct ids; fact_events has %d sessions", sessionRows, distinct, c.sessions)
	}
}
