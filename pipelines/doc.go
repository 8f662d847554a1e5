// Package pipelines builds the clickstream pipeline's graph and drives a run.
//
// Batch data flow (one way, top to bottom):
//
//	files.Read          raw lines (local or gs:// globs), counted as input_records
//	parse.Parse         -> events | dead letters (reason, payload, source, line)
//	botfilter.Mark      user-agent and IP rules (needs the raw IP)
//	enrich.Enrich       URL, UTM, referrer class, device/browser/OS; IP anonymized
//	bydevice.Apply      per device: dedup -> duplicates, rate rule -> bots,
//	                    sessionize.Split -> sessions, session_id on events
//	runscope.Filter     rows of dates the run does not own -> out_of_range
//	warehouse.Write     fact_events, fact_sessions, bot_events, dead_letter (staged)
//	tally.Write         every outcome's count, as data
//
// Run then commits the staged partitions, runs the identity step
// (identity.Apply: the device->user bridge and dimensions, retroactive
// stitching of earlier sessions) and the pages step (pages.Apply: dim_pages)
// on the committed warehouse, reads the owned partitions back and writes the
// run summary; the run is reconciled only when every input record is
// accounted for exactly once and every table holds the rows counted for it.
package pipelines
