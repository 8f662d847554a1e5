// Package files reads raw event files (local paths or gs:// globs, through
// Beam's filesystems) into one schemas.Record per line.
//
// Beam's textio is not used: it silently truncates gzip input, has no line
// numbers, no line-size limit, and fails the bundle on a corrupt gzip file.
// Here each file is read by one DoFn call with a streaming line reader:
//
//   - gzip is detected from the content (magic bytes), not the file name, and
//     concatenated gzip members are read;
//   - every record carries its file and 1-based line number;
//   - a line longer than the size limit becomes a record with ReadError
//     "too_large" (its first bytes kept for the dead letter);
//   - a gzip stream that breaks off yields the complete lines before the
//     break, then one record with ReadError "corrupt_gzip" holding the broken
//     tail; the file's other records are unreadable by nature;
//   - a file is read up to two caps, its decompressed bytes
//     (ReadOptions.MaxFileBytes) and its input records (MaxFileRecords), so
//     that a small gzip bomb cannot expand into millions of rows: the line
//     the cap falls in and the rest of the file become one record with
//     ReadError "file_too_large", whose Size is the bytes of the file not
//     read (compressed bytes, not decompressed, for gzip; for a plain file
//     its detail also counts the lines skipped);
//   - blank lines are not records (counted as files/blank_lines);
//   - any other read failure (e.g. a network error) fails the bundle so the
//     runner retries it.
//
// Read also counts input_records independently of parsing: a line that is a
// beacon ({"events":[...]}) counts one record per element, any other line
// counts one. The parse transform must account for exactly that many
// outcomes, which is what the run's reconciliation checks.
//
// A gzip file cannot be split, so parallelism comes from many files.
package files
