// Package bigquery writes the pipeline's tables to BigQuery: the tables are
// those of schemas/tables, converted by Schema.
package bigquery
