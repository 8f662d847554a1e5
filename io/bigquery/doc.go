// Package bigquery writes the pipeline's tables to BigQuery: the tables are
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
//     (warehouse.FileWriter), one file per bundle and partition, under
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
// configuration in (*bq.LoadConfig now; *bq.QueryConfig for the SQL models:
// DML and MERGE scripts, queries writing a table with WRITE_TRUNCATE_DATA),
// the succeeded attempt's status and statistics out (JobResult), or a
// *JobFailedError. Each attempt has its own job id, <base>_a0, <base>_a1,
// ..., where the caller derives base from the work (run, table, partition).
// Before submitting, Run probes the attempts in order: one that succeeded
// is the answer, one still running is waited for, one that failed
// transiently (TransientReasons) is passed over for the next, one that
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
// talks to; the TestIntegration* tests run against a real project when
// CLICKSTREAM_BQ_PROJECT is set.
package bigquery
