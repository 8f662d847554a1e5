// Package schemas is the single source of truth for the data the pipeline
// reads and writes.
//
//   - raw_event.md and raw_event.schema.json describe the raw event contract:
//     what the collector writes (newline-delimited JSON, one event or one
//     beacon per line) and what the pipeline accepts.
//   - tables/*.json define every output table: columns (BigQuery schema JSON,
//     each STRING column with its maxLength, which transforms/sanitize
//     enforces before every sink), partitioning, clustering and the
//     partition-filter requirement. The Go
//     row types in rows.go, the BigQuery sink and the Terraform module all read
//     these files; a test proves the row types match them column for column.
package schemas
