// Package warehouse is the embedded local warehouse: Hive-partitioned Parquet
// files under one directory (DefaultDir, ./warehouse, unless told otherwise),
// which DuckDB reads and BigQuery loads as they are.
//
// # Layout
//
//	<out>/<table>/<column>=YYYY-MM-DD/part-<uuid>.parquet   committed partitions
//	<out>/<table>/part-<uuid>.parquet                         an unpartitioned table
//	<out>/_staging/<run>/<table>/<column>=YYYY-MM-DD/...      a run's staged partitions
//	<out>/_staging/<run>/_tmp/                                files being written
//	<out>/_staging/<run>/_old/<table>/<column>=YYYY-MM-DD/    partitions being replaced
//	<out>/_staging/<run>/COMMIT.json                          a commit's journal
//	<out>/_staging/<run>/LOCK, RUN.json                       the run's lock, and who holds it
//	<out>/_warehouse.lock                                     the warehouse lock
//
// The tables are those of schemas/tables, each stored from its row type:
// fact_events from schemas.Event, bot_events from schemas.BotEvent,
// dead_letter from schemas.DeadLetter, fact_sessions from schemas.Session,
// the dimensions dim_device_users, dim_devices, dim_users and dim_pages
// from schemas.DeviceUser, schemas.Device, schemas.User and schemas.Page,
// the dimension step's state_* tables, and the runs' account (runs,
// run_outcomes, run_partitions); schemas.RowType lists them all. A table with time
// partitioning (schemas.Table.TimePartitioning.Field) is partitioned by day
// on that column, which the files also hold, so each file loads into
// BigQuery on its own:
//
//	SELECT * FROM read_parquet('warehouse/fact_events/*/*.parquet', hive_partitioning = true)
//
// A table without time partitioning (the dimensions) keeps its files in the
// table directory itself and is replaced whole: to the commit, the table
// directory is its one partition, swapped like any other.
//
//	SELECT * FROM read_parquet('warehouse/dim_devices/*.parquet')
//
// DATE columns are Parquet DATE, TIMESTAMP columns TIMESTAMP(MICROS, UTC)
// (DuckDB: TIMESTAMP WITH TIME ZONE), optional columns are NULL when the
// field is empty ("" or a zero time.Time) or a nil pointer. Everything the
// writer keeps out of the table directories starts with "_", so a reader's
// glob never meets a half-written or replaced file.
//
// The encoding is io/internal/parquetrows's, which io/bqwarehouse also
// uses to stage files for BigQuery load jobs: both sinks write the same
// files for the same rows.
//
// # Contract
//
// A run writes in two phases, so that replacing a partition is atomic and
// running the same input again gives the same warehouse:
//
//  1. Inside the pipeline, Write stages rows: one file per bundle and
//     partition date, streamed as rows arrive and renamed into the run's
//     staging when the bundle finishes. Nothing visible changes.
//  2. After the pipeline has finished, the driver calls CommitScope with
//     the tables it writes and the dates the run owns (a Scope). Each owned
//     partition of those tables is replaced whole by what the run staged for
//     it, or removed when the run staged nothing for it; other partitions,
//     and the other tables, are not touched.
//
// A step that runs in the driver after the pipeline's commit and rewrites
// what the warehouse holds (the dimension step: state partitions,
// dimensions, and the fact_sessions partitions whose resolution changed)
// stages its rows with Stage under its own run id and commits them with
// CommitScope too: it lists the partitions it may leave empty (a state
// partition of a date that lost its last row) and stages the others; a
// table it does not list gets exactly what it staged. The run's own account
// (runs, run_outcomes, run_partitions) is one more such commit. Every commit
// has the same journal, swaps and recovery. Commit(out, runID, owned) is
// the scope that lists every table with the same dates.
//
// Recover runs first in every run: it completes commits that were cut short
// and deletes the staging of runs that died before their commit. Readers may
// read at any time; writers in several processes follow the locks below.
//
//	if err := warehouse.Recover(out); err != nil { ... }
//	run, err := warehouse.BeginRun(out, warehouse.RunInfo{RunID: runID, Dates: owned})
//	defer run.Close()
//	warehouse.Write(s, out, runID, "fact_events", events)  // while building the graph
//	... run the pipeline ...
//	err = warehouse.Exclusive(out, func() error {
//		res, err := warehouse.CommitScope(out, runID, warehouse.Scope{"fact_events": owned, ...})
//		... the dimension step: read the committed tables, Stage, CommitScope ...
//		... read back, the run's account: Stage, CommitScope ...
//	})
//
// # Locks
//
// Several processes may write to one warehouse at once: a streaming run
// appending, a batch run staging, a backfill of other dates. They coordinate
// with advisory file locks (flock(2), through github.com/gofrs/flock), which
// the kernel releases when a process dies, however it dies: a lock is never
// stale, and no lock file needs cleaning up.
//
//   - The warehouse lock, <out>/_warehouse.lock. Exclusive: Commit and
//     CommitScope, Recover, and whatever a driver wraps in Exclusive (its
//     commit, the dimension step, which reads the committed warehouse and
//     rewrites partitions of it, the read-back and the run's account). Shared: each streaming publish (Append renaming a
//     bundle's files into their partitions) and each BeginRun. So streaming
//     goes on writing during a batch run, pausing only for the commit and
//     dimension step; and no streaming file lands between what a step read
//     and the partition it replaces, nor in a partition being swapped. A
//     process that waits for it says so in the log, with the lock's path.
//   - The run lock, <out>/_staging/<run>/LOCK, held for the run's whole
//     life: exclusively by a batch run's driver (BeginRun until Run.Close),
//     shared by each streaming appender of a run. Recover takes it before it
//     touches a run's staging, and skips the run when it cannot: the staging
//     of a live run is never deleted. A run directory is created and locked
//     under the shared warehouse lock, and Recover holds the exclusive one,
//     so Recover never meets a directory between its creation and its lock.
//   - RUN.json beside a batch run's lock says who holds it (run id, pid,
//     host, start time, owned dates). BeginRun writes its own, then reads
//     those of the other live batch runs, and fails at once with a
//     *RunConflictError naming the other run and its lock when they own a
//     date in common (a run without --dates owns every date of its input,
//     so it overlaps any run): the second of two runs that would replace the
//     same partitions never starts its pipeline.
//
// Exclusive is re-entrant within a process, which lets a commit and Recover
// run inside a driver's Exclusive; a process therefore writes through one
// goroutine at a time. Advisory locks bind only the writers that take them,
// and flock is not reliable on network filesystems (NFS): keep a warehouse
// on a local disk.
//
// # Crash windows
//
// What a reader sees, and what Recover does, if the process dies:
//
//   - While the pipeline runs, or after it and before Commit: only the run's
//     staging has changed. Readers see the previous warehouse; Recover deletes
//     the staging. A bundle that fails leaves only files in _tmp, never a file
//     in a staged partition; its retry writes new files.
//   - While Commit checks the staged files and writes its journal (a
//     temporary file renamed into place): nothing visible has changed; without
//     the journal Recover deletes the staging as above.
//   - Once the journal is in place the commit is decided: Recover (or Commit
//     called again with the same run id) completes it from the journal. On
//     Linux each partition is swapped by exchanging the visible and the
//     staged directory in one atomic rename (renameat2 RENAME_EXCHANGE), then
//     the replaced files are removed: a reader sees the complete old
//     partition or the complete new one, never a mix and never none (a
//     reader that listed the old files and opens them after the swap gets
//     "no such file" and reads again). Elsewhere, or on a filesystem that
//     cannot exchange, the visible directory is renamed to the run's _old,
//     the staged one to the visible name, and _old is removed; between those
//     renames the partition is absent. An owned date the run staged nothing
//     for is removed the second way. The journal names one staged file per
//     partition, which tells a resumed commit whether the swap happened.
//     Partitions are swapped one after another, so until the commit completes
//     some owned dates may show the new rows and others the old.
//   - Last, the run's staging is removed, the journal after everything else.
//
// Files and renames are synced to disk before the step that depends on them.
//
// A bundle whose files were renamed into staging but which the runner then
// retries anyway (its completion was lost) would stage its rows twice; a
// local Prism run fails the job rather than retry, so this is not guarded
// against.
package warehouse
