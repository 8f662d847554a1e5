package bqfake_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/schemas"
)

// runQuery runs a query job in dataset "ds" and returns it with its final
// status; set, when given, configures it further.
func runQuery(t *testing.T, client *bigquery.Client, id, sql string, set func(*bigquery.Query)) (*bigquery.Job, *bigquery.JobStatus) {
	t.Helper()
	ctx := context.Background()
	q := client.Query(sql)
	q.DefaultDatasetID = "ds"
	q.JobID = id
	if set != nil {
		set(q)
	}
	job, err := q.Run(ctx)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	// The server runs a job when it is inserted; jobs.get reports how it
	// ended (Wait would read a failed query's error from getQueryResults).
	status, err := job.Status(ctx)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return job, status
}

// mustQuery runs a query job that must succeed, and returns its rows.
func mustQuery(t *testing.T, client *bigquery.Client, id, sql string, set func(*bigquery.Query)) [][]bigquery.Value {
	t.Helper()
	job, status := runQuery(t, client, id, sql, set)
	if err := status.Err(); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return readAll(t, job)
}

func readAll(t *testing.T, job *bigquery.Job) [][]bigquery.Value {
	t.Helper()
	it, err := job.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out [][]bigquery.Value
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
}

// failure runs a query job that must fail, and returns its error result.
func failure(t *testing.T, client *bigquery.Client, id, sql string, set func(*bigquery.Query)) *bigquery.Error {
	t.Helper()
	_, status := runQuery(t, client, id, sql, set)
	var be *bigquery.Error
	if !errors.As(status.Err(), &be) {
		t.Fatalf("%s: error %v, want the job failed", id, status.Err())
	}
	return be
}

// loadPages gives dim_pages the pages keys, typed "home".
func loadPages(t *testing.T, client *bigquery.Client, keys ...string) {
	t.Helper()
	rows := make([]schemas.Page, len(keys))
	for i, k := range keys {
		rows[i] = page(k, "/"+k)
		rows[i].PageType = "home"
	}
	status, err := load(t, client, "dim_pages", "load-pages-"+strings.Join(keys, "-"), true, writeFile(t, "dim_pages", rows...))
	if err != nil || status.Err() != nil {
		t.Fatalf("load: %v %v", err, status.Err())
	}
}

// pageKeys lists dim_pages' keys with their types, sorted.
func pageKeys(t *testing.T, srv *bqfake.Server) []string {
	t.Helper()
	var out []string
	for _, r := range srv.Rows("ds", "dim_pages") {
		out = append(out, fmt.Sprint(r["page_key"], ":", r["page_type"]))
	}
	slices.Sort(out)
	return out
}

// TestQueryJobs: a query's SQL runs on the rows the server holds, with
// typed parameters, and the client reads its rows and schema as from
// BigQuery; SQL that fails fails the job.
func TestQueryJobs(t *testing.T) {
	srv, client := setUp(t, "EU")
	status, err := load(t, client, "fact_sessions$20261101", "load", true, writeFile(t, "fact_sessions", session("s1", day1, "/a", "/b"), session("s2", day1)))
	if err != nil || status.Err() != nil {
		t.Fatalf("load: %v %v", err, status.Err())
	}
	at := day1.Add(10*time.Hour + 123456*time.Microsecond)
	rows := mustQuery(t, client, "q1", `-- parameters of every type the project uses
SELECT session_id, session_date, session_start, page_path_sequence, event_count + @n AS n, @flag AS flag,
  @at AS at, "it's" AS s, r'\d' AS raw, 'a\tb' AS escaped, CAST(1.5 AS FLOAT64) AS f
FROM fact_sessions # a comment
WHERE session_date = @day AND session_id = @id`, func(q *bigquery.Query) {
		q.Parameters = []bigquery.QueryParameter{
			{Name: "n", Value: int64(40)}, {Name: "flag", Value: true}, {Name: "at", Value: at},
			{Name: "day", Value: civil.DateOf(day1)}, {Name: "id", Value: "s1"},
		}
	})
	want := []bigquery.Value{"s1", civil.DateOf(day1), day1.Add(10 * time.Hour), []bigquery.Value{"/a", "/b"}, int64(42), true, at, "it's", `\d`, "a\tb", 1.5}
	if len(rows) != 1 || fmt.Sprint(rows[0]) != fmt.Sprint(want) {
		t.Errorf("rows %v, want [%v]", rows, want)
	}

	be := failure(t, client, "q2", "SELECT nope FROM fact_sessions WHERE session_date = @day", func(q *bigquery.Query) {
		q.Parameters = []bigquery.QueryParameter{{Name: "day", Value: civil.DateOf(day1)}}
	})
	if be.Reason != "invalidQuery" || !strings.Contains(be.Message, "nope") {
		t.Errorf("unknown column: %+v", be)
	}
	if be := failure(t, client, "q3", "SELECT * FROM no_table", nil); be.Reason != "notFound" {
		t.Errorf("unknown table: %+v", be)
	}
	if be := failure(t, client, "q4", "MERGE dim_pages USING dim_pages AS s ON FALSE WHEN NOT MATCHED THEN INSERT ROW", nil); !strings.Contains(be.Message, "not implemented") {
		t.Errorf("MERGE: %+v, want not implemented", be)
	}
	if be := failure(t, client, "q5", "SELECT @missing", nil); !strings.Contains(be.Message, "Query parameter 'missing' not found") {
		t.Errorf("a parameter without value: %+v", be)
	}
	_, err = client.Query("SELECT 1").Run(context.Background()) // legacy SQL unset: the client sets it false
	if err != nil {
		t.Errorf("a query without job id options: %v", err)
	}
	if n := len(srv.Jobs()); n != 7 {
		t.Errorf("%d jobs, want 7", n)
	}
}

// TestDML: INSERT, UPDATE and DELETE change the rows and report how many;
// a table keeps its schema, and a statement that breaks a REQUIRED column
// fails and changes nothing.
func TestDML(t *testing.T) {
	srv, client := setUp(t, "US")
	loadPages(t, client, "k1", "k2")
	for _, tt := range []struct {
		sql  string
		n    int64
		want []string
	}{
		{"INSERT dim_pages (page_key, page_type) VALUES ('k3', 'cart')", 1, []string{"k1:home", "k2:home", "k3:cart"}},
		{"UPDATE dim_pages AS p SET page_type = s.t FROM (SELECT 'k1' AS k, 'search' AS t) AS s WHERE p.page_key = s.k", 1, []string{"k1:search", "k2:home", "k3:cart"}},
		{"DELETE dim_pages WHERE page_type = 'home'", 1, []string{"k1:search", "k3:cart"}},
	} {
		job, status := runQuery(t, client, "", tt.sql, nil)
		if status.Err() != nil {
			t.Fatalf("%s: %v", tt.sql, status.Err())
		}
		stats := status.Statistics.Details.(*bigquery.QueryStatistics)
		if stats.NumDMLAffectedRows != tt.n {
			t.Errorf("%s: %d rows affected, want %d (job %s)", tt.sql, stats.NumDMLAffectedRows, tt.n, job.ID())
		}
		if got := pageKeys(t, srv); !slices.Equal(got, tt.want) {
			t.Errorf("after %s: %v, want %v", tt.sql, got, tt.want)
		}
	}
	be := failure(t, client, "", "UPDATE dim_pages SET page_type = NULL WHERE page_key = 'k1'", nil)
	if !strings.Contains(be.Message, "NOT NULL") {
		t.Errorf("NULL into a REQUIRED column: %+v", be)
	}
	if got := pageKeys(t, srv); !slices.Equal(got, []string{"k1:search", "k3:cart"}) {
		t.Errorf("a failed UPDATE changed dim_pages: %v", got)
	}
	if err := bqwarehouse.EnsureTables(context.Background(), client, "ds", schemas.Tables(), false); err != nil {
		t.Errorf("DML changed a table's definition: %v", err)
	}
}

// TestTransactions: a multi-statement transaction commits all its
// statements or, when one fails or a concurrent one aborts it, none;
// statements outside a transaction commit one by one, as in BigQuery.
func TestTransactions(t *testing.T) {
	srv, client := setUp(t, "US")
	loadPages(t, client, "k1", "k2")
	const replace = `BEGIN TRANSACTION;
DELETE FROM dim_pages WHERE TRUE;
INSERT INTO dim_pages (page_key, page_type) VALUES ('k3', 'cart');
%s
COMMIT TRANSACTION;`
	be := failure(t, client, "broken", fmt.Sprintf(replace, "INSERT INTO dim_pages (page_key, page_type) VALUES ('k4', NULL);"), nil)
	if !strings.Contains(be.Message, "NOT NULL") {
		t.Errorf("failing statement: %+v", be)
	}
	if got := pageKeys(t, srv); !slices.Equal(got, []string{"k1:home", "k2:home"}) {
		t.Errorf("a failed transaction left %v", got)
	}

	srv.AbortTransactions("aborted", 1)
	be = failure(t, client, "aborted", fmt.Sprintf(replace, ""), nil)
	if be.Reason != "invalidQuery" || !strings.Contains(be.Message, "Transaction is aborted due to concurrent update against table dim_pages") {
		t.Errorf("aborted transaction: %+v", be)
	}
	if !bqwarehouse.ConcurrentUpdate(be) {
		t.Error("the JobRunner would not run an aborted transaction again")
	}
	if got := pageKeys(t, srv); !slices.Equal(got, []string{"k1:home", "k2:home"}) {
		t.Errorf("an aborted transaction left %v", got)
	}

	mustQuery(t, client, "committed", fmt.Sprintf(replace, ""), nil)
	if got := pageKeys(t, srv); !slices.Equal(got, []string{"k3:cart"}) {
		t.Errorf("after the transaction: %v", got)
	}

	failure(t, client, "no transaction", "DELETE FROM dim_pages WHERE TRUE; INSERT INTO dim_pages (page_key, page_type) VALUES ('k5', NULL)", nil)
	if got := pageKeys(t, srv); len(got) != 0 {
		t.Errorf("outside a transaction the DELETE stays: got %v", got)
	}
	if be := failure(t, client, "open", "BEGIN TRANSACTION; DELETE FROM dim_pages WHERE TRUE", nil); !strings.Contains(be.Message, "neither committed nor rolled back") {
		t.Errorf("a transaction left open: %+v", be)
	}
}

// TestSessions: temporary tables live in their session, from the job that
// creates it to CALL BQ.ABORT_SESSION(); a script has its own.
func TestSessions(t *testing.T) {
	_, client := setUp(t, "US")
	in := func(id string) func(*bigquery.Query) {
		return func(q *bigquery.Query) {
			q.ConnectionProperties = []*bigquery.ConnectionProperty{{Key: "session_id", Value: id}}
		}
	}
	_, status := runQuery(t, client, "open", "CREATE TEMP TABLE kept AS SELECT 41 AS n; SELECT COUNT(*) FROM kept", func(q *bigquery.Query) { q.CreateSession = true })
	if status.Err() != nil || status.Statistics.SessionInfo == nil {
		t.Fatalf("create session: %v %+v", status.Err(), status.Statistics)
	}
	id := status.Statistics.SessionInfo.SessionID
	if rows := mustQuery(t, client, "read", "SELECT n + 1 FROM kept", in(id)); len(rows) != 1 || rows[0][0] != int64(42) {
		t.Errorf("the session's table: %v", rows)
	}
	if be := failure(t, client, "outside", "SELECT n FROM kept", nil); be.Reason != "notFound" {
		t.Errorf("a session's table outside it: %+v", be)
	}
	if be := failure(t, client, "single", "CREATE TEMP TABLE alone AS SELECT 1 AS n", nil); !strings.Contains(be.Message, "requires a script or session") {
		t.Errorf("a temporary table outside a script or session: %+v", be)
	}
	mustQuery(t, client, "script", "CREATE TEMP TABLE mine AS SELECT 1 AS n; SELECT n FROM mine", nil)
	if be := failure(t, client, "after script", "SELECT n FROM mine", in(id)); be.Reason != "notFound" {
		t.Errorf("a script's table after the script: %+v", be)
	}
	mustQuery(t, client, "end", "CALL BQ.ABORT_SESSION()", in(id))
	if be := failure(t, client, "ended", "SELECT n FROM kept", in(id)); be.Reason != "notFound" || !strings.Contains(be.Message, "Session") {
		t.Errorf("a job in an ended session: %+v", be)
	}
}

// TestWriteDispositions: a query job writing a table with plain
// WRITE_TRUNCATE replaces its schema with the query's, as BigQuery does:
// every column NULLABLE, descriptions gone, so the table no longer matches
// its definition; WRITE_TRUNCATE_DATA keeps the schema; WRITE_APPEND adds
// rows; a partitioned table refuses a WRITE_TRUNCATE without its
// partitioning.
func TestWriteDispositions(t *testing.T) {
	srv, client := setUp(t, "US")
	ctx := context.Background()
	loadPages(t, client, "k1")
	const pages = "SELECT CONCAT(page_key, 'x') AS page_key, host, path, 'cart' AS page_type FROM dim_pages"
	into := func(table string, d bigquery.TableWriteDisposition) func(*bigquery.Query) {
		return func(q *bigquery.Query) { q.Dst, q.WriteDisposition = client.Dataset("ds").Table(table), d }
	}
	modes := func() []string {
		md, _ := srv.Table("ds", "dim_pages")
		var out []string
		for _, f := range md.Schema.Fields {
			out = append(out, fmt.Sprintf("%s %s %q", f.Name, f.Mode, f.Description))
		}
		return out
	}
	defined := modes()
	if !strings.Contains(defined[0], "page_key REQUIRED") || strings.HasSuffix(defined[0], `""`) {
		t.Fatalf("dim_pages as created: %v", defined)
	}

	mustQuery(t, client, "data", pages, into("dim_pages", bigquery.WriteTruncateData))
	if got := pageKeys(t, srv); !slices.Equal(got, []string{"k1x:cart"}) {
		t.Errorf("WRITE_TRUNCATE_DATA wrote %v", got)
	}
	if got := modes(); !slices.Equal(got, defined) {
		t.Errorf("WRITE_TRUNCATE_DATA changed the schema:\n got  %v\n want %v", got, defined)
	}
	mustQuery(t, client, "append", pages, into("dim_pages", bigquery.WriteAppend))
	if got := pageKeys(t, srv); !slices.Equal(got, []string{"k1x:cart", "k1xx:cart"}) {
		t.Errorf("WRITE_APPEND wrote %v", got)
	}
	if be := failure(t, client, "extra", "SELECT 'k' AS page_key, 'x' AS page_type, 1 AS color", into("dim_pages", bigquery.WriteAppend)); !strings.Contains(be.Message, "Cannot add fields (field: color)") {
		t.Errorf("a column the table lacks: %+v", be)
	}
	if be := failure(t, client, "empty", pages, into("dim_pages", bigquery.WriteEmpty)); be.Reason != "duplicate" {
		t.Errorf("WRITE_EMPTY into a table with rows: %+v", be)
	}

	rows := mustQuery(t, client, "truncate", pages, into("dim_pages", bigquery.WriteTruncate))
	if len(rows) != 2 {
		t.Errorf("the job returned %d rows, want the 2 written", len(rows))
	}
	want := []string{`page_key NULLABLE ""`, `host NULLABLE ""`, `path NULLABLE ""`, `page_type NULLABLE ""`}
	if got := modes(); !slices.Equal(got, want) {
		t.Errorf("WRITE_TRUNCATE left the schema\n %v\nwant\n %v", got, want)
	}
	err := bqwarehouse.EnsureTables(ctx, client, "ds", []schemas.Table{schemas.MustTable("dim_pages")}, false)
	if err == nil || !strings.Contains(err.Error(), "column page_key has mode NULLABLE, want REQUIRED") {
		t.Errorf("the check of a table after WRITE_TRUNCATE: %v", err)
	}

	be := failure(t, client, "partitioned", "SELECT * FROM fact_sessions WHERE session_date = '2026-11-01'", into("fact_sessions", bigquery.WriteTruncate))
	if !strings.Contains(be.Message, "Incompatible table partitioning specification") {
		t.Errorf("WRITE_TRUNCATE into a partitioned table without its partitioning: %+v", be)
	}
}

// TestInformationSchemaPartitions: a dataset's INFORMATION_SCHEMA.PARTITIONS
// lists the partitions holding rows.
func TestInformationSchemaPartitions(t *testing.T) {
	_, client := setUp(t, "US")
	for i, d := range []time.Time{day1, day2} {
		status, err := load(t, client, "fact_sessions$"+d.Format("20060102"), fmt.Sprint("load", i), true, writeFile(t, "fact_sessions", session("s", d)))
		if err != nil || status.Err() != nil {
			t.Fatalf("load: %v %v", err, status.Err())
		}
	}
	loadPages(t, client, "k1", "k2")
	rows := mustQuery(t, client, "parts", "SELECT table_name, partition_id, total_rows FROM `test-project.ds.INFORMATION_SCHEMA.PARTITIONS` "+
		"WHERE table_name IN ('fact_sessions', 'dim_pages', 'fact_events') ORDER BY table_name, partition_id", nil)
	if got := fmt.Sprint(rows); got != "[[dim_pages <nil> 2] [fact_sessions 20261101 1] [fact_sessions 20261102 1]]" {
		t.Errorf("partitions %s", got)
	}
}

// TestDryRun: a dry run gives a query's schema and reads nothing; it is
// not a job, and a query BigQuery would refuse is refused at once.
func TestDryRun(t *testing.T) {
	srv, client := setUp(t, "US")
	ctx := context.Background()
	q := client.Query("SELECT page_key, COUNT(*) AS n FROM dim_pages GROUP BY page_key")
	q.DefaultDatasetID, q.DryRun = "ds", true
	job, err := q.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stats := job.LastStatus().Statistics.Details.(*bigquery.QueryStatistics)
	if len(stats.Schema) != 2 || stats.Schema[0].Name != "page_key" || stats.Schema[0].Type != bigquery.StringFieldType || stats.Schema[1].Type != bigquery.IntegerFieldType {
		t.Errorf("schema %+v", stats.Schema)
	}
	q = client.Query("SELECT nope FROM dim_pages")
	q.DefaultDatasetID, q.DryRun = "ds", true
	var apiErr *googleapi.Error
	if _, err := q.Run(ctx); !errors.As(err, &apiErr) || apiErr.Code != http.StatusBadRequest {
		t.Errorf("dry run of a bad query: %v, want 400", err)
	}
	if jobs := srv.Jobs(); len(jobs) != 0 {
		t.Errorf("dry runs left %d jobs", len(jobs))
	}
}

// TestFailQueryJobs: the query jobs whose ids match fail before running;
// the others run.
func TestFailQueryJobs(t *testing.T) {
	srv, client := setUp(t, "US")
	srv.FailQueryJobs("_model_", 1, "invalidQuery")
	if be := failure(t, client, "step_model_a0", "INSERT INTO dim_pages (page_key, page_type) VALUES ('k', 'home')", nil); be.Message != "bqfake: injected query job failure (invalidQuery)" {
		t.Errorf("injected failure: %+v", be)
	}
	mustQuery(t, client, "step_other_a0", "SELECT 1", nil)
	mustQuery(t, client, "step_model_a1", "INSERT INTO dim_pages (page_key, page_type) VALUES ('k', 'home')", nil)
	if got := pageKeys(t, srv); !slices.Equal(got, []string{"k:home"}) {
		t.Errorf("dim_pages %v, want the second attempt's row only", got)
	}
}

// TestReadPages: a query's rows and a table's rows (tabledata.list) read
// in pages.
func TestReadPages(t *testing.T) {
	_, client := setUp(t, "US")
	ctx := context.Background()
	loadPages(t, client, "k1", "k2", "k3", "k4", "k5")
	job, status := runQuery(t, client, "pages", "SELECT page_key FROM dim_pages ORDER BY page_key DESC", nil)
	if status.Err() != nil {
		t.Fatal(status.Err())
	}
	it, err := job.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	it.PageInfo().MaxSize = 2
	var keys []string
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, row[0].(string))
	}
	if !slices.Equal(keys, []string{"k5", "k4", "k3", "k2", "k1"}) {
		t.Errorf("query rows %v", keys)
	}
	tit := client.Dataset("ds").Table("dim_pages").Read(ctx)
	tit.PageInfo().MaxSize = 2
	keys = nil
	for {
		var p struct {
			PageKey  string `bigquery:"page_key"`
			PageType string `bigquery:"page_type"`
		}
		err := tit.Next(&p)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, p.PageKey+":"+p.PageType)
	}
	if !slices.Equal(keys, []string{"k1:home", "k2:home", "k3:home", "k4:home", "k5:home"}) {
		t.Errorf("table rows %v", keys)
	}
}
