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
//     CREATE_NEVER), with a job id made of the run id, table and date; an
//     owned date without rows is emptied by deleting <table>$YYYYMMDD; an
//     unpartitioned table (a dimension) is replaced whole;
//  4. the files are deleted and a LoadResult per partition says how many
//     rows BigQuery now holds there, for the run's reconciliation.
//
// # Idempotence
//
// A run replaces exactly the partitions of the dates it owns
// (LoadOptions.Owned), so re-running the same input, or a backfill of some
// dates, gives the same tables and touches no other date. Within a run, a
// retried bundle cannot load a partition twice: its job id is already
// taken, BigQuery answers 409, and Load waits for the existing job (after
// checking that it loads the same files). A run id must therefore name one
// run: given again to other input, Load fails rather than report the old
// run's load as its own.
//
// A load job is all or nothing: a file that does not fit the table, or a
// row outside the partition the job replaces, fails the job, which fails
// the pipeline with BigQuery's errors and leaves the partition as it was.
//
// # Counters
//
// Namespace "bigquery": files_staged, bytes_staged, rows_staged,
// rows_not_owned (rows of dates the run does not own, dropped), load_jobs,
// load_jobs_already_existing (409s), partitions_emptied, rows_loaded.
//
// # Tests
//
// Package bqfake is an in-process BigQuery REST API that the real client
// talks to; the TestIntegration* tests run against a real project when
// CLICKSTREAM_BQ_PROJECT is set.
package bigquery
