// Package storagewritetest is an in-process fake of the BigQuery Storage
// Write API for tests: no BigQuery emulator can be had, and the fake lets
// the real managedwriter client (and so storagewrite.Append) run against it
// over gRPC.
//
// It serves what managedwriter uses for default streams (GetWriteStream and
// the AppendRows bidirectional stream) for the tables of schemas.Tables() in
// one project and dataset, and behaves as BigQuery does where the sink
// depends on it:
//
//   - each row is decoded with the descriptor the writer sent; a row that
//     does not decode, sets a field that is not a column (or of a type or
//     mode the column cannot take) or misses a REQUIRED column is refused
//     with a row error naming its index;
//   - a request with any refused row is appended in none of its rows and
//     answered with InvalidArgument and the row errors; the writer sends
//     the other rows again;
//   - a request over the API's 10 MB limit is refused as a whole.
//
// A test can inject transient failures (FailNext: Unavailable, ending the
// connection) and permanent row rejections (RejectRows), and reads back
// the accepted rows per table (Rows, Decode).
//
// Not modelled: committed, pending and buffered streams, offsets, schema
// updates, quotas and per-row size limits.
package storagewritetest
