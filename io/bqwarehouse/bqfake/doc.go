// Package bqfake is an in-process fake of the BigQuery REST API (v2) for
// tests: the real client (cloud.google.com/go/bigquery) talks to it through
// option.WithEndpoint(server.URL()) and option.WithoutAuthentication()
// (Server.ClientOptions). There is no BigQuery emulator to be had, so it
// serves exactly the calls that io/bqwarehouse makes, with the checks BigQuery
// makes on them:
//
//   - datasets.get (datasets are made with AddDataset);
//   - tables.get, tables.insert (schema types and modes as the API reports
//     them, e.g. INT64 as INTEGER; day partitioning on a DATE or TIMESTAMP
//     column; at most 4 clustering columns that exist), tables.delete of a
//     table or of one partition (table$YYYYMMDD), tabledata.list (what the
//     client's Table.Read calls);
//   - jobs.insert of load and query jobs (and dry runs of a query), jobs.get
//     and jobs.getQueryResults (what the client's Job.Read calls). A job
//     normally runs to completion when it is inserted; like BigQuery, the
//     insert succeeds and a job that fails reports it in its status
//     (errorResult). A job id can be used once: reusing it answers 409
//     Already Exists. jobs.get finds a job outside the US and EU
//     multi-regions only with its location.
//
// The rows live in an embedded DuckDB database (one schema per dataset, a
// REQUIRED column NOT NULL), which every call reads and writes. It needs
// cgo, as io/warehouse/duck does.
//
// # Load jobs
//
// A load job reads Parquet source files from local paths or gs:// URLs
// (through Beam's filesystems, so fake-gcs-server works with
// STORAGE_EMULATOR_HOST), WRITE_TRUNCATE, into a table that exists
// (CREATE_NEVER). Like BigQuery, it fails, loading nothing, when a file's
// columns do not fit the table (a column the table lacks, another type, a
// NULLABLE column into a REQUIRED one, a REQUIRED column missing or NULL, a
// LIST without list inference, which loads as a RECORD) or when a row
// loaded into table$YYYYMMDD belongs to another partition.
//
// # Query jobs
//
// A query job's GoogleSQL runs on DuckDB over the rows the server holds,
// through the small translation of dialect.go (parameters of their declared
// types, TIMESTAMP as DuckDB's TIMESTAMPTZ, GoogleSQL's string literals and
// comments, `quoted` paths, INFORMATION_SCHEMA.PARTITIONS, the macros the
// project's SQL needs). Executing on DuckDB proves the orchestration, not
// the dialect: which jobs run, in which session and transaction, what they
// write and what a failure leaves. Whether BigQuery accepts the SQL is
// checked by GoogleSQL's own analyzer (make sqlcheck); DuckDB's implicit
// casts, for one, let through what BigQuery would refuse.
//
//   - Statements: SELECT, INSERT, UPDATE, DELETE, CREATE TEMP TABLE,
//     BEGIN/COMMIT/ROLLBACK TRANSACTION, CALL BQ.ABORT_SESSION(); several
//     make a script, whose result is its last statement's (the default key
//     result statement). Anything else (MERGE, permanent DDL, scripting)
//     answers "not implemented", never a silent success.
//   - Transactions: each statement commits on its own unless it is between
//     BEGIN TRANSACTION and COMMIT TRANSACTION; then all of them commit, or
//     none when one fails. A transaction must end in the job that opens it.
//   - Sessions: a job with createSession opens one (statistics.sessionInfo
//     gives its id); jobs with the connection property session_id run in
//     it and see its temporary tables until CALL BQ.ABORT_SESSION(). A
//     script outside a session has temporary tables of its own; a single
//     CREATE TEMP TABLE outside one is refused, as in BigQuery.
//   - Destination tables, as BigQuery writes them: WRITE_TRUNCATE replaces
//     the rows and the schema by the query's (every column NULLABLE, no
//     description), and refuses a partitioned table unless the job names
//     its partitioning; WRITE_TRUNCATE_DATA replaces the rows and keeps the
//     schema; WRITE_APPEND and WRITE_EMPTY add rows. DML keeps the schema.
//
// Tests read back what the server holds: Rows (decoded values) and
// RowsOf (into a row type), Partitions, Table (the metadata, as the jobs
// left it), Jobs (the configurations received, with status and statistics)
// and Requests.
//
// # Faults
//
// A test injects what can go wrong with BigQuery; each fault strikes the
// next n times, then the server behaves again:
//
//   - FailRequests: 5xx (or any status) on matching requests, not served;
//   - LoseJobInsertResponses: the job runs but its answer is lost (503), so
//     the client's retry of the insert meets 409 Already Exists;
//   - FailJobs: a job runs and ends DONE with an error result of a given
//     reason (transient like backendError, or permanent like invalid);
//   - FailQueryJobs: the same for the query jobs whose id matches, so that
//     one job of a sequence fails;
//   - AbortTransactions: the transaction of a matching query job is rolled
//     back at its COMMIT, as BigQuery aborts one that conflicts with a
//     concurrent update of the same table;
//   - RejectRows: a load job with a refused row fails whole, one error per
//     refused row, as with no bad records allowed;
//   - DelayJobs: a job stays RUNNING for some polls before it runs.
package bqfake
