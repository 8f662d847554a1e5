// Package parquetrows encodes the rows of the pipeline's tables as Parquet,
// the one encoding both sinks write: io/warehouse stores these files and
// io/bqwarehouse stages them for BigQuery load jobs, so the same rows make
// the same bytes in both.
//
// A table's columns come from its Go row type (schemas.RowType) and its
// parquet struct tags. DATE columns are Parquet DATE (days since the
// epoch), TIMESTAMP columns TIMESTAMP(MICROS, UTC), optional columns are
// NULL when the field is empty ("" or a zero time.Time) or a nil pointer,
// and repeated columns are Parquet LISTs (which BigQuery loads with list
// inference). Files are Snappy-compressed, in row groups of up to 16Ki
// rows. Values of a table's row type go through parquet-go's typed writer
// (see typedWriter for the two parquet-go bugs it works around); rows
// already in their Parquet form, and values of a look-alike struct type,
// through Schema.Deconstruct.
package parquetrows
