// Package bqwarehouse writes the pipeline's tables to BigQuery: the tables are
// those of schemas/tables, converted by Schema and Metadata.
//
// # Tables
//
// Terraform owns the tables. Before a run, the driver calls EnsureTables,
// which checks that each table exists and matches its definition (columns,
// types, modes, day partitioning on its column, clustering, partition
// filter requirement) and fails listing every difference; with create (the
// pipeline's --create_tables, for development projects) it creates the
// tables that are missing.
//
// # Batch loads
//
// Load replaces partitions by load jobs from inside the pipeline, so that
// a job submitted to Dataflow with --execute_async, whose launcher exits
// at once, still loads:
//
//  1. rows are staged as Parquet, encoded exactly like the local warehouse
//     (io/internal/parquetrows), one file per bundle and partition, under
//     <TempLocation>/clickstream/<RunID>/<table>/<column>=<YYYY-MM-DD>/;
//  2. the files are grouped by partition date (global window; batch only);
//  3. one load job per partition replaces <table>$YYYYMMDD (WRITE_TRUNCATE,
//     CREATE_NEVER), run by a JobRunner with a base id made of the run id,
//     table and date; an owned date without rows is emptied by deleting
//     <table>$YYYYMMDD; an unpartitioned table (a dimension) is replaced
//     whole;
//  4. the files are deleted and a LoadResult per partition says how many
//     rows BigQuery now holds there, or why its load failed, for the run's
//     reconciliation.
//
// # Jobs
//
// Every BigQuery job the project runs goes through JobRunner.Run: a job
// configuration in (*bq.LoadConfig for the loads, *bq.QueryConfig for the
// dimension step's queries and scripts), the succeeded attempt's status and
// statistics out (JobResult), or a *JobFailedError. Each attempt has its own job id, <base>_a0, <base>_a1,
// ..., where the caller derives base from the work (run, table, partition).
// Before submitting, Run probes the attempts in order: one that succeeded
// is the answer, one still running is waited for, one that failed
// transiently (TransientReasons, or a transaction aborted by a concurrent
// update: ConcurrentUpdate) is passed over for the next, one that
// failed for good is the answer again (a JobFailedError; the same work
// would fail the same way). Attempts that fail transiently are followed by
// the next after a backoff, up to MaxAttempts per call; then the caller's
// bundle fails and the runner's retry carries on where it stopped. Failed
// requests (5xx, rate limits) are retried by the client library.
//
// # Idempotence
//
// A run replaces exactly the partitions of the dates it owns
// (LoadOptions.Owned), so re-running the same input, or a backfill of some
// dates, gives the same tables and touches no other date. Within a run, a
// retried bundle cannot load a partition twice: the attempts of its job
// already exist, and Load takes the one that succeeded or waits for the
// one running (after checking that it loads the same files). A run id must
// therefore name one run: given again to other input, Load fails rather
// than report the old run's load as its own.
//
// A load job is all or nothing: a file that does not fit the table, or a
// row outside the partition the job replaces, fails the job for good. Load
// then reports it in that partition's LoadResult (Error, the job id, rows
// 0), leaves the partition as it was and goes on with the others; the
// run's summary lists the partition as a problem.
//
// # Dimensions
//
// Engine is the dimension step's engine on BigQuery (io/dimensions runs
// the models of sql/models on it, as it runs them on DuckDB locally):
//
//	e, err := bigquery.NewEngine(ctx, bigquery.EngineOptions{Runner: r, Dataset: "clickstream", RunID: runID})
//	...
//	res, err := dimensions.Run(ctx, e, dimensions.Options{RunID: runID, Dates: owned, PageTypes: rules})
//	err = errors.Join(err, e.Close(ctx))
//
// A run marks its dates pending before it loads their facts (MarkPending,
// one transaction on state_dates; in the pipeline, Pending is the stage
// that does it, and LoadOptions.After makes every load wait for it); the
// step processes them with every date still pending and marks them built
// when it writes.
//
// # Rows of the run's account
//
// ReplaceRows replaces a few rows of several tables in one transaction of
// DML (the run's rows of runs, run_outcomes and run_partitions), every
// value a query parameter and NULL a literal; PartitionRows reads how many
// rows partitions hold from INFORMATION_SCHEMA.PARTITIONS, what a run
// reads back of the tables its dimension step wrote. Transaction runs any
// statements as one transaction and Query reads a query's rows (io/erasure
// uses both, with PendingStatements to mark dates pending in its own
// transaction); a []string parameter is an ARRAY<STRING>, for `col IN
// UNNEST(@list)`.
//
// Intermediate results: temporary tables of a BigQuery session. NewEngine
// opens a session (the job that takes the lease creates it), every job of
// the step runs in it, and each model's result is CREATE TEMP TABLE
// <model> AS <the model's SQL>. The models name the results of the models
// before them by those plain names, as on DuckDB, so their text runs as
// written; permanent scratch tables would need a run-scoped prefix written
// into every model (a rewrite of the SQL), or a dataset of their own that
// hides the warehouse's tables, and an expiration or a clean-up. Temporary
// tables are seen by their session only and go with it: Close ends it (CALL
// BQ.ABORT_SESSION()); a step that dies leaves a session that BigQuery ends
// after 24 hours without use (https://cloud.google.com/bigquery/docs/sessions-terminating).
// Sessions cost nothing; their temporary tables are billed as storage
// while they last. A model the step knows to be empty is
// created from a dry run's schema (a dry run reads nothing and is not
// billed; it is not a job, so it does not go through the JobRunner).
//
// Job ids: clickstream_<run id>_dims_<token>_<nn>_<model or action>_a<n>.
// The token is random for each execution of the step: a step run again (a
// retried bundle) opens a new session, and must not take the old
// session's jobs, whose temporary tables are gone with it, for its own;
// within the execution, the JobRunner's attempts and probes apply to every
// job. The models only read, so running a step again costs its queries
// and changes nothing else.
//
// Writes: one multi-statement transaction of DML (Apply), not query jobs
// writing tables. BEGIN TRANSACTION; check the lease; per replaced state
// partition DELETE and INSERT; per dimension DELETE every row and INSERT
// the new ones; one UPDATE of fact_sessions.resolved_user_key for the
// changed sessions; give the lease back; COMMIT TRANSACTION. Why:
//
//   - all or none: the step changes nine tables, and BigQuery commits a
//     transaction whole or not at all; query jobs with WRITE_TRUNCATE_DATA,
//     one per table or partition, would commit one by one, and a failure
//     between them would leave the dimensions out of step with their state
//     and state_dates;
//   - schemas kept: DML never changes a table's schema, while a plain
//     WRITE_TRUNCATE query job replaces it with the query's (every column
//     NULLABLE, descriptions gone; EnsureTables then fails the next run);
//   - fact_sessions is never truncated: a streaming job appends to its
//     partitions, so only the resolved_user_key of the rows that change is
//     updated, in the partitions named as literal dates (the table requires
//     a partition filter, which a subquery does not satisfy). Rows that the
//     Storage Write API wrote minutes ago may be updated by DML; rows in
//     the legacy insertAll streaming buffer (last 30 to 90 minutes) may
//     not, and the pipeline never uses insertAll (BigQuery's DML
//     limitations, https://cloud.google.com/bigquery/docs/data-manipulation-language#limitations;
//     https://cloud.google.com/knowledge/kb/cannot-update-or-delete-over-bigquery-streaming-tables-000004334).
//
// DML concurrency: BigQuery runs the mutating DML of one table one at a
// time and aborts a transaction that conflicts with a concurrent update of
// a table it writes ("Transaction is aborted due to concurrent update
// against table ...", reason invalidQuery;
// https://cloud.google.com/bigquery/docs/transactions#transaction_concurrency).
// Nothing of it is written; the JobRunner runs the whole transaction again
// as a transient failure (ConcurrentUpdate). The step's own writers never
// meet (the lease); what can meet it is another run marking dates pending,
// or loading fact_sessions partitions.
//
// Two runs' steps never interleave: the lease is the one row of
// dimension_lease. NewEngine takes it in a transaction when nobody holds
// it, when its holder is a step of the same run (a retried step), or when
// the holder's time is up (EngineOptions.LeaseTTL, an hour by default: a
// step that died gives nothing back); otherwise it fails at once with a
// *LeaseHeldError that names the holder, and the run's dates stay pending
// for the next run. Apply's transaction starts by checking that the step
// still holds the lease (ERROR() otherwise), so a step whose lease was
// taken over cannot write; it gives the lease back in the same commit, and
// Close gives it back after a failure.
//
// Dialect: the models run as written. What the engine writes around them
// (CREATE TEMP TABLE ... AS, the count, the Load and Apply statements, the
// lease) uses plain names and the subset that the fake's DuckDB runs too;
// Dates reads INFORMATION_SCHEMA.PARTITIONS (billed at its 10 MB minimum).
// Within a step, each model reads the tables as they are when its job
// runs: there is no snapshot across jobs, which the lease makes harmless
// for the step's own tables.
//
// # Counters
//
// Namespace "bigquery": files_staged, bytes_staged, rows_staged,
// rows_not_owned (rows of dates the run does not own, dropped), load_jobs
// (partitions loaded by a job the bundle submitted),
// load_jobs_already_existing (by an attempt found existing: a retried
// bundle, or a 409 on an insert whose answer was lost), load_job_retries
// (attempts that failed transiently), load_jobs_failed (partitions whose
// load failed for good), partitions_emptied, rows_loaded.
//
// # Tests
//
// Package bqfake is an in-process BigQuery REST API that the real client
// talks to, running query jobs on an embedded DuckDB;
// io/dimensions' TestBigQueryEngineEqualsDuckDB checks that the Engine on
// it gives the DuckDB engine's rows. The TestIntegration* tests run against
// a real project when CLICKSTREAM_BQ_PROJECT is set.
package bqwarehouse
