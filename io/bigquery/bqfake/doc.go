// Package bqfake is an in-process fake of the BigQuery REST API (v2) for
// tests: the real client (cloud.google.com/go/bigquery) talks to it through
// option.WithEndpoint(server.URL()) and option.WithoutAuthentication()
// (Server.ClientOptions). There is no BigQuery emulator to be had, so it
// serves exactly the calls that io/bigquery makes, with the checks BigQuery
// makes on them:
//
//   - datasets.get (datasets are made with AddDataset);
//   - tables.get, tables.insert (schema types and modes as the API reports
//     them, e.g. INT64 as INTEGER; day partitioning on a DATE or TIMESTAMP
//     column; at most 4 clustering columns that exist), tables.delete of a
//     table or of one partition (table$YYYYMMDD);
//   - jobs.insert of load and query jobs, and jobs.get. A job normally runs
//     to completion when it is inserted; like BigQuery, the insert succeeds
//     and a job that fails reports it in its status (errorResult). A job id
//     can be used once: reusing it answers 409 Already Exists. jobs.get
//     finds a job outside the US and EU multi-regions only with its
//     location. Query jobs run only with HandleQueries, whose function
//     gives each one's statistics or error (the fake does not run SQL).
//
// A load job reads Parquet source files from local paths or gs:// URLs
// (through Beam's filesystems, so fake-gcs-server works with
// STORAGE_EMULATOR_HOST), WRITE_TRUNCATE, into a table that exists
// (CREATE_NEVER). Like BigQuery, it fails, loading nothing, when a file's
// columns do not fit the table (a column the table lacks, another type, a
// NULLABLE column into a REQUIRED one, a REQUIRED column missing or NULL, a
// LIST without list inference, which loads as a RECORD) or when a row
// loaded into table$YYYYMMDD belongs to another partition. Other job types,
// formats, dispositions and wildcard URIs answer "not implemented", never a
// silent success.
//
// Tests read back what the server holds: Rows (decoded values) and
// RowsOf (into a row type), Partitions, Table (the metadata received),
// Jobs (the configurations received, with status and statistics) and
// Requests.
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
//   - RejectRows: a load job with a refused row fails whole, one error per
//     refused row, as with no bad records allowed;
//   - DelayJobs: a job stays RUNNING for some polls before it runs.
package bqfake
