// Package pipelines builds the clickstream pipeline's graph and drives a run.
//
// Batch data flow (one way, top to bottom):
//
//	files.Read          raw lines (local or gs:// globs), counted as input_records
//	prepare.Prepare     one step for three packages, on each record:
//	  parse             -> events | dead letters (reason, payload, source, line)
//	  botfilter         user-agent and IP rules (needs the raw IP)
//	  enrich            URL, UTM, GA4 source/medium/channel group, device/browser/OS,
//	                    geo from the raw IP (--geo_db); IP anonymized
//	erased.Filter       events of erased people and devices (--erasure_requests,
//	                    read once) -> erased, written nowhere
//	bydevice.Batch      per device: dedup -> duplicates, rate rule -> bots,
//	                    sessionize.Batch -> sessions, session_id on events
//	runscope.Filter     rows of dates the run does not own -> out_of_range
//	warehouse.Write     fact_events, fact_sessions, bot_events, dead_letter (staged)
//	tally.Write         every outcome's count, as data
//
// On the local warehouse, Run then, under the warehouse's exclusive lock:
//
//	warehouse.CommitScope   the owned partitions of the tables the pipeline writes (and
//	                        reconciliation), with state_dates marking those dates pending
//	dimensions.Run          the dimension step: the SQL models of sql/models on DuckDB
//	                        (io/warehouse/duck, so cgo: step_cgo.go, and its !cgo twin that
//	                        refuses the local sink), which brings the state, the bridge and the
//	                        dimensions up to date and re-resolves fact_sessions where it changes
//	read back               every partition the run wrote, against what the pipeline counted
//	                        for it (tally.CountByDate)
//	the run's account       runs, run_outcomes, run_partitions, one more journaled commit
//
// and writes the run summary. The run is reconciled only when every input
// record is accounted for exactly once, every partition holds the rows
// counted for it, and the dimension step succeeded (a failed step leaves
// its dates pending for the next run's step). With the BigQuery sink the
// job does it all itself, so that nothing runs on a Dataflow launcher:
// bigquery.Pending marks the owned dates pending, every load waits for it,
// and the last stage (finishBigQuery) waits for every load, runs the
// dimension step on BigQuery (bigquery.Engine), reads back, decides the
// verdict and writes the run's account.
//
// Streaming reads Pub/Sub instead (streamingGraph): erased.FilterRefreshed
// (the requests read again every --erasure_refresh), bydevice.Streaming and
// sessionize.Streaming in place of their batch twins, every row appended
// as it comes, each message acknowledged once its rows are written, the
// outcomes counted per publish minute.
//
// One driver, Run, serves both modes: one validation pass (check), the
// mode's graph, then the job, then the summary, built once (newSummary).
// What differs between the local warehouse and BigQuery is behind the sink
// interface: how a table's rows are written in the graph, where the tallies
// go, and what happens once the job has ended (commit and count, or take
// what the job decided).
package pipelines
