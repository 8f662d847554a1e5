package bqfake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	bqv2 "google.golang.org/api/bigquery/v2"

	"github.com/example/clickstream/io/internal/duckvalues"
)

// session is a BigQuery session: a DuckDB connection of its own, which
// holds the session's temporary tables until CALL BQ.ABORT_SESSION() (or
// the server's end).
type session struct {
	conn *sql.Conn
}

// result is what a query job returns: the rows of its last statement when
// that is a query.
type result struct {
	schema *bqv2.TableSchema
	rows   [][]any
}

// resultTable is the temporary table a query's rows go through on their
// way to a destination table.
const resultTable = "bqfake_destination_rows"

// query runs a query job's statements, in order, on DuckDB, and returns its
// statistics and result. The caller holds s.mu.
//
// Each statement commits on its own, as in BigQuery, unless it is between
// BEGIN TRANSACTION and COMMIT TRANSACTION: then all of them commit, or
// none when one fails (or when AbortTransactions strikes at the COMMIT).
func (s *Server) query(ctx context.Context, job *bqv2.Job) (*bqv2.JobStatistics2, *bqv2.SessionInfo, *result, *jobError) {
	cfg := job.Configuration.Query
	if cfg.UseLegacySql == nil || *cfg.UseLegacySql {
		return nil, nil, nil, failf("notImplemented", "bqfake: legacy SQL is not implemented: set useLegacySql false")
	}
	conn, sessionID, done, jerr := s.connection(ctx, cfg)
	if jerr != nil {
		return nil, nil, nil, jerr
	}
	defer done()
	var info *bqv2.SessionInfo
	if sessionID != "" {
		info = &bqv2.SessionInfo{SessionId: sessionID}
	}
	stmts, jerr := s.prepare(ctx, conn, cfg)
	if jerr != nil {
		return nil, info, nil, jerr
	}
	if cfg.DestinationTable != nil && (len(stmts) != 1 || stmts[0].kind != kindQuery) {
		return nil, info, nil, failf("invalid", "Cannot set destination table in jobs with DML statements or scripts")
	}
	if sessionID == "" && len(stmts) == 1 && stmts[0].kind == kindCreateTemp {
		return nil, info, nil, failf("invalidQuery", "Use of CREATE TEMPORARY TABLE requires a script or session")
	}
	stats := &bqv2.JobStatistics2{StatementType: "SCRIPT"}
	if len(stmts) == 1 {
		stats.StatementType = stmts[0].kind
	}
	sc := &script{conn: conn, job: job.JobReference.JobId, session: sessionID}
	var res *result
	for i, st := range stmts {
		last := i == len(stmts)-1
		r, affected, jerr := s.statement(ctx, sc, st, cfg, last)
		if jerr == nil && last && sc.tx != nil {
			jerr = failf("invalidQuery", "bqfake: the transaction was neither committed nor rolled back (transactions across jobs of a session are not implemented)")
		}
		if jerr != nil {
			if sc.tx != nil {
				_ = rollback(ctx, conn) // the failure is what the job reports
			}
			return nil, info, nil, jerr
		}
		if last && r != nil {
			res, stats.Schema = r, r.schema
		}
		if len(stmts) == 1 && st.kind != kindCreateTemp {
			stats.NumDmlAffectedRows = affected
		}
	}
	if sc.end {
		s.endSession(sessionID)
	}
	return stats, info, res, nil
}

// script is the state of a query job's statements on their connection.
type script struct {
	conn    *sql.Conn
	job     string
	session string
	// tx are the tables the open transaction writes; nil outside one.
	tx []string
	// end is set by CALL BQ.ABORT_SESSION(): the session ends with the job.
	end bool
}

// statement runs one statement of a script, and returns the rows of a
// query or the rows a DML statement affected. Every query runs, so that an
// ERROR() in it fails the job.
func (s *Server) statement(ctx context.Context, sc *script, st statement, cfg *bqv2.JobConfigurationQuery, last bool) (*result, int64, *jobError) {
	switch st.kind {
	case kindBegin:
		if sc.tx != nil {
			return nil, 0, failf("invalidQuery", "Nested transactions are not supported")
		}
	case kindCommit, kindRollback:
		if sc.tx == nil {
			return nil, 0, failf("invalidQuery", "%s without BEGIN TRANSACTION", st.kind)
		}
		if st.kind == kindCommit && strike(s.faults.aborts, sc.job) != nil {
			return nil, 0, abortError(sc.tx)
		}
	case kindAbortSession:
		if sc.session == "" {
			return nil, 0, failf("invalidQuery", "CALL BQ.ABORT_SESSION() outside a session")
		}
		sc.end = true
		return nil, 0, nil
	case kindQuery:
		if last && cfg.DestinationTable != nil {
			res, jerr := s.writeDestination(ctx, sc.conn, st, cfg)
			return res, 0, jerr
		}
		res, err := queryResult(ctx, sc.conn, st)
		if err != nil {
			return nil, 0, duckError(err)
		}
		return res, 0, nil
	}
	sr, err := sc.conn.ExecContext(ctx, st.sql, st.args...)
	if err != nil {
		return nil, 0, duckError(err)
	}
	switch st.kind {
	case kindBegin:
		sc.tx = []string{}
	case kindCommit, kindRollback:
		sc.tx = nil
	case kindInsert, kindUpdate, kindDelete:
		if sc.tx != nil {
			sc.tx = append(sc.tx, st.target)
		}
	}
	n, err := sr.RowsAffected()
	if err != nil {
		return nil, 0, duckError(err)
	}
	return nil, n, nil
}

// connection is the DuckDB connection a query job runs on: its session's,
// a new session's, or one of its own that done closes.
func (s *Server) connection(ctx context.Context, cfg *bqv2.JobConfigurationQuery) (conn *sql.Conn, sessionID string, done func(), jerr *jobError) {
	for _, p := range cfg.ConnectionProperties {
		if p.Key == "session_id" {
			sessionID = p.Value
		}
	}
	done = func() {}
	switch {
	case sessionID != "" && cfg.CreateSession:
		return nil, "", done, failf("invalid", "Cannot both create a session and join session %s", sessionID)
	case sessionID != "":
		ss, ok := s.sessions[sessionID]
		if !ok {
			return nil, "", done, failf("notFound", "Session %s was not found or has ended", sessionID)
		}
		return ss.conn, sessionID, done, nil
	}
	c, err := s.store.db.Conn(ctx)
	if err != nil {
		return nil, "", done, failf("backendError", "bqfake: %v", err)
	}
	if !cfg.CreateSession {
		return c, "", func() { _ = c.Close() }, nil // a job's own connection: its temporary tables go with it
	}
	s.nextSession++
	sessionID = fmt.Sprintf("bqfake-session-%d", s.nextSession)
	s.sessions[sessionID] = &session{conn: c}
	return c, sessionID, done, nil
}

// endSession ends a session and its temporary tables.
func (s *Server) endSession(id string) {
	if ss, ok := s.sessions[id]; ok {
		_ = ss.conn.Close() // nothing is left to lose
		delete(s.sessions, id)
	}
}

// prepare sets conn's search path to the job's default dataset (then the
// dialect's macros) and translates its SQL.
func (s *Server) prepare(ctx context.Context, conn *sql.Conn, cfg *bqv2.JobConfigurationQuery) ([]statement, *jobError) {
	tr := &translator{s: s, params: map[string]*bqv2.QueryParameter{}}
	path := "main"
	if d := cfg.DefaultDataset; d != nil {
		if _, ok := s.datasets[d.DatasetId]; !ok || d.ProjectId != "" && d.ProjectId != s.project {
			return nil, failf("notFound", "Not found: Dataset %s:%s", d.ProjectId, d.DatasetId)
		}
		tr.dataset = d.DatasetId
		path = d.DatasetId + ",main"
	}
	if _, err := conn.ExecContext(ctx, "SET search_path = "+quoteString(path)); err != nil {
		return nil, failf("backendError", "bqfake: %v", err)
	}
	for _, p := range cfg.QueryParameters {
		tr.params[p.Name] = p
	}
	stmts, err := tr.translate(cfg.Query)
	var jerr *jobError
	switch {
	case errors.As(err, &jerr):
		return nil, jerr
	case err != nil:
		return nil, failf("invalidQuery", "%v", err)
	}
	return stmts, nil
}

// queryResult runs a query statement and returns its rows.
func queryResult(ctx context.Context, q querier, st statement) (*result, error) {
	rows, err := q.QueryContext(ctx, st.sql, st.args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }() // a read: errors surface in rows.Err
	res := &result{}
	if res.schema, err = schemaOf(rows); err != nil {
		return nil, err
	}
	for rows.Next() {
		vals, err := duckvalues.ScanRow(rows, len(res.schema.Fields))
		if err != nil {
			return nil, err
		}
		res.rows = append(res.rows, vals)
	}
	return res, rows.Err()
}

// duckError is a job's error for a DuckDB error: notFound for a table
// that does not exist, invalidQuery for anything else.
func duckError(err error) *jobError {
	msg := err.Error()
	if strings.Contains(msg, "Catalog Error") && strings.Contains(msg, "does not exist") {
		return failf("notFound", "Not found: %s", msg)
	}
	return failf("invalidQuery", "%s", msg)
}

// abortError is BigQuery's error for a transaction that a concurrent one
// made abort at its commit.
func abortError(tables []string) *jobError {
	table := "(none written)"
	if len(tables) > 0 {
		table = tables[0]
	}
	return failf("invalidQuery", "Transaction is aborted due to concurrent update against table %s. Transaction ID: bqfake-injected", table)
}

// writeDestination runs a query into the job's destination table, as its
// write disposition says, and returns the rows written.
//
// WRITE_TRUNCATE replaces the table's rows and its schema by the query's:
// every column becomes NULLABLE (REPEATED for an array) and loses its
// description, as in BigQuery; a partitioned table keeps its partitioning
// only when the job names the same. WRITE_TRUNCATE_DATA replaces the rows
// and keeps the schema; WRITE_APPEND adds the rows; WRITE_EMPTY (the
// default) writes only into an empty table. The query's columns go into the
// table's columns of the same names, which must have their types.
func (s *Server) writeDestination(ctx context.Context, conn *sql.Conn, st statement, cfg *bqv2.JobConfigurationQuery) (*result, *jobError) {
	dst := cfg.DestinationTable
	name, _, decorated := strings.Cut(dst.TableId, "$")
	ds, ok := s.datasets[dst.DatasetId]
	switch {
	case decorated:
		return nil, failf("notImplemented", "bqfake: a partition as a query's destination is not implemented")
	case dst.ProjectId != s.project || !ok:
		return nil, failf("notFound", "Not found: Dataset %s:%s", dst.ProjectId, dst.DatasetId)
	}
	if _, err := conn.ExecContext(ctx, "CREATE TEMP TABLE "+resultTable+" AS "+st.sql, st.args...); err != nil {
		return nil, duckError(err)
	}
	defer func() { _, _ = conn.ExecContext(ctx, "DROP TABLE temp."+resultTable) }() // a job's scratch
	res, err := queryResult(ctx, conn, statement{sql: "SELECT * FROM " + resultTable})
	if err != nil {
		return nil, duckError(err)
	}
	t := ds.tables[name]
	disposition := cfg.WriteDisposition
	if disposition == "" {
		disposition = "WRITE_EMPTY"
	}
	switch {
	case t == nil && cfg.CreateDisposition == "CREATE_NEVER":
		return nil, failf("notFound", "Not found: Table %s:%s.%s", s.project, dst.DatasetId, name)
	case t == nil:
		meta := &bqv2.Table{TableReference: &bqv2.TableReference{ProjectId: s.project, DatasetId: dst.DatasetId, TableId: name}, Schema: res.schema}
		if err := s.addTable(ctx, dst.DatasetId, meta); err != nil {
			return nil, failf("invalid", "%v", err)
		}
		return res, s.insertByName(ctx, conn, ds.tables[name], res.schema)
	case disposition == "WRITE_EMPTY":
		parts, err := s.store.partitions(ctx, dst.DatasetId, t)
		if err != nil {
			return nil, duckError(err)
		}
		if len(parts) > 0 {
			return nil, failf("duplicate", "Already Exists: Table %s:%s.%s", s.project, dst.DatasetId, name)
		}
		return res, s.insertByName(ctx, conn, t, res.schema)
	case disposition == "WRITE_APPEND":
		return res, s.insertByName(ctx, conn, t, res.schema)
	case disposition == "WRITE_TRUNCATE_DATA":
		return res, s.inTransaction(ctx, conn, func() *jobError {
			if _, err := conn.ExecContext(ctx, "DELETE FROM "+tableName(dst.DatasetId, name)); err != nil {
				return duckError(err)
			}
			return s.insertByName(ctx, conn, t, res.schema)
		})
	case disposition == "WRITE_TRUNCATE":
		if jerr := checkPartitioning(t, cfg, res.schema); jerr != nil {
			return nil, jerr
		}
		return res, s.inTransaction(ctx, conn, func() *jobError {
			if _, err := conn.ExecContext(ctx, "DROP TABLE "+tableName(dst.DatasetId, name)); err != nil {
				return duckError(err)
			}
			if err := createTable(ctx, conn, dst.DatasetId, name, res.schema); err != nil {
				return duckError(err)
			}
			if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", tableName(dst.DatasetId, name), resultTable)); err != nil {
				return duckError(err)
			}
			t.meta.Schema = clone(res.schema)
			return nil
		})
	}
	return nil, failf("notImplemented", "bqfake: write disposition %q is not implemented", disposition)
}

// inTransaction runs f in a DuckDB transaction on conn: all or nothing.
func (s *Server) inTransaction(ctx context.Context, conn *sql.Conn, f func() *jobError) *jobError {
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return duckError(err)
	}
	if jerr := f(); jerr != nil {
		_ = rollback(ctx, conn) // the failure is what the job reports
		return jerr
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return duckError(err)
	}
	return nil
}

// insertByName inserts the destination rows into t, each query column into
// the table column of its name.
func (s *Server) insertByName(ctx context.Context, conn *sql.Conn, t *table, schema *bqv2.TableSchema) *jobError {
	have := map[string]*bqv2.TableFieldSchema{}
	for _, f := range t.meta.Schema.Fields {
		have[strings.ToLower(f.Name)] = f
	}
	cols := make([]string, len(schema.Fields))
	for i, f := range schema.Fields {
		tf, ok := have[strings.ToLower(f.Name)]
		switch {
		case !ok:
			return failf("invalid", "Invalid schema update. Cannot add fields (field: %s)", f.Name)
		case legacyType(tf.Type) != f.Type && !(legacyType(tf.Type) == "FLOAT" && f.Type == "INTEGER"),
			(tf.Mode == "REPEATED") != (f.Mode == "REPEATED"):
			return failf("invalid", "Query column %d has type %s which cannot be inserted into column %s, which has type %s %s",
				i+1, f.Type, tf.Name, tf.Mode, legacyType(tf.Type))
		}
		cols[i] = quoteIdent(tf.Name)
	}
	ref := t.meta.TableReference
	_, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) SELECT * FROM %s",
		tableName(ref.DatasetId, ref.TableId), strings.Join(cols, ", "), resultTable))
	if err != nil {
		return duckError(err)
	}
	return nil
}

// checkPartitioning refuses a WRITE_TRUNCATE query into a partitioned
// table that would lose its partitioning, as BigQuery does.
func checkPartitioning(t *table, cfg *bqv2.JobConfigurationQuery, schema *bqv2.TableSchema) *jobError {
	p := t.meta.TimePartitioning
	if p == nil {
		return nil
	}
	want := fmt.Sprintf("interval(type:day,field:%s)", p.Field)
	got := "none"
	if q := cfg.TimePartitioning; q != nil {
		got = fmt.Sprintf("interval(type:%s,field:%s)", strings.ToLower(q.Type), q.Field)
	}
	if got != want {
		return failf("invalid", "Incompatible table partitioning specification. Expects partitioning specification %s, but input partitioning specification is %s", want, got)
	}
	if !slices.ContainsFunc(schema.Fields, func(f *bqv2.TableFieldSchema) bool { return strings.EqualFold(f.Name, p.Field) }) {
		return failf("invalid", "The field specified for time partitioning can not be found in the schema: %s", p.Field)
	}
	return nil
}

// dryRun validates a query job without running it, as jobs.insert does
// with dryRun: the query's schema, nothing read. The caller holds s.mu.
func (s *Server) dryRun(ctx context.Context, job *bqv2.Job) *jobError {
	cfg := job.Configuration.Query
	if cfg == nil || cfg.CreateSession {
		return failf("notImplemented", "bqfake: only dry runs of queries, outside a new session, are implemented")
	}
	conn, sessionID, done, jerr := s.connection(ctx, cfg)
	if jerr != nil {
		return jerr
	}
	defer done()
	stmts, jerr := s.prepare(ctx, conn, cfg)
	if jerr != nil {
		return jerr
	}
	if len(stmts) != 1 || stmts[0].kind != kindQuery {
		return failf("notImplemented", "bqfake: dry runs of statements other than one query are not implemented")
	}
	st := stmts[0]
	st.sql = "SELECT * FROM (" + st.sql + ") AS q LIMIT 0"
	res, err := queryResult(ctx, conn, st)
	if err != nil {
		return duckError(err)
	}
	job.Status = &bqv2.JobStatus{State: "DONE"}
	job.Statistics = &bqv2.JobStatistics{Query: &bqv2.JobStatistics2{StatementType: kindQuery, Schema: res.schema}}
	if sessionID != "" {
		job.Statistics.SessionInfo = &bqv2.SessionInfo{SessionId: sessionID}
	}
	return nil
}
