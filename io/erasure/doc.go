// Package erasure carries out the right to erasure (GDPR Art. 17, CCPA) on
// the local warehouse or BigQuery, and the raw archive: tools/erase is its
// command.
//
// Requests are data: Hash turns a filed request (a person's user_id, or a
// device_id) into a row of erasure_requests, the user_id hashed with every
// key version given and dropped; File adds rows to the table. Erase erases
// every pending request (one without a complete row in erasure_log):
//
//	rows, err := erasure.Hash(filed, keys)
//	err = erasure.File(out, runID, rows)
//	res, err := erasure.Erase(ctx, erasure.Options{Warehouse: out, Keys: keys})
//	hits, err := erasure.Verify(ctx, nil, out, rawGlobs, rows) // none: no trace left
//
// Rules says, for every table of schemas/tables, how its rows are matched to
// a request, or that the table is derived (rebuilt by the dimension step),
// an aggregate or the erasure's own record; a test fails for a table added
// without a rule. Erase rewrites only the partitions that lose rows, through
// the warehouse's journaled commit, blanks the raw lines of the erased rows
// from a plan written before the commit, and runs the dimension step on the
// erased dates. Killed at any point, it is completed by the next run with
// the same end state and log; with nothing pending it changes nothing.
// Raw files are local or gs:// objects (rawfiles.go: a gs:// object is
// replaced under a generation precondition, read back, keeps its original
// age as customTime, and loses its old generation).
//
// On BigQuery, FileBigQuery and EraseBigQuery do the same with the same
// Rules and subjects (bigquery.go): each rule becomes SQL, one SELECT per
// table finds the erased rows, and one transaction of DML, through
// bqwarehouse's job runner, deletes them from the partitions that hold
// them, marks the erased dates pending and appends the log; the dimension
// step then runs on BigQuery. Verify searches local and gs:// raw files.
package erasure
