// Package runstatustest holds the stand-ins that the tests of
// tools/runstatus and of the deploy targets (make backfill and make daily,
// which wait with runstatus) talk to, with no cloud:
//
//   - Dataflow: an in-process server of the Dataflow jobs API (v1b3) for one
//     project and region, serving jobs.get, jobs.list by name and
//     jobs.messages.list. Each job answers a scripted sequence of states,
//     one per jobs.get, so a test decides how a job ends; FailGets answers
//     the next gets with a server error.
//   - BigQuery: io/bqwarehouse/bqfake with BigQuery's tabledata.list in front
//     of it (rows and TIMESTAMPs as the API encodes them with
//     formatOptions.useInt64Timestamp, in pages of pageRows rows), which
//     runstatus reads the run tables with and which bqfake does not serve.
//     Every other call goes to bqfake. NewBigQuery creates the dataset and
//     the run tables from schemas/tables.
//   - Account: a run's rows in runs, run_outcomes and run_partitions, put
//     into BigQuery with PutBigQuery (load jobs of the Parquet files the
//     warehouse writes) or into a local warehouse with PutLocal
//     (warehouse.Stage and Commit).
//
// Not modelled: partition decorators in tabledata.list, RECORD columns,
// jobs.list's other filters, job metrics.
package runstatustest
