// Command benchref runs the batch benchmark's DuckDB reference
// (reference.sql: read, parse, split beacons, event time, deduplication,
// sessions, Hive-partitioned Parquet; nothing else the pipeline does) on
// the raw files the pipeline reads, and compares the two.
//
//	benchref --input '/tmp/clickstream-bench/raw/*/*' --output /tmp/clickstream-bench/reference
//	benchref --input '...' --output DIR -- bin/clickstream --input '...' --output ...
//
// With a command after --, it runs that command, then the reference, each as
// a child process, and prints both wall times, CPU times and peak resident
// memories (the kernel's rusage of each child) and their ratios. Without
// one, it runs the reference in this process and prints its counts.
package main

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

//go:embed reference.sql
var referenceSQL string

var (
	input  = flag.String("input", "", "Glob of the raw files (gzip or plain), as the pipeline's --input. Required.")
	output = flag.String("output", "", "Output directory: fact_events/ and fact_sessions/ are replaced. Required.")
)

func main() {
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: benchref --input GLOB --output DIR [-- PIPELINE COMMAND...]\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *input == "" || *output == "" {
		flag.Usage()
		os.Exit(2)
	}
	var err error
	if flag.NArg() > 0 {
		err = compare(flag.Args())
	} else {
		var c counts
		start := time.Now()
		c, err = runReference(context.Background(), *input, *output)
		if err == nil {
			fmt.Printf("DuckDB reference: %d events, %d sessions in %.1fs\n", c.events, c.sessions, time.Since(start).Seconds())
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchref:", err)
		os.Exit(1)
	}
}

// counts are what the reference wrote.
type counts struct {
	events, sessions int64
}

// runReference runs reference.sql on the files of glob and writes
// outDir/fact_events and outDir/fact_sessions, replacing them.
func runReference(ctx context.Context, glob, outDir string) (c counts, err error) {
	for _, t := range []string{"fact_events", "fact_sessions"} {
		if err := os.RemoveAll(filepath.Join(outDir, t)); err != nil {
			return c, fmt.Errorf("clear output: %w", err)
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return c, fmt.Errorf("create output: %w", err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return c, fmt.Errorf("open duckdb: %w", err)
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	// Temporary tables live on one connection.
	conn, err := db.Conn(ctx)
	if err != nil {
		return c, fmt.Errorf("open duckdb: %w", err)
	}
	defer func() { err = errors.Join(err, conn.Close()) }()
	text := strings.NewReplacer(
		"{{input}}", quote(glob),
		"{{output_events}}", quote(filepath.Join(outDir, "fact_events")),
		"{{output_sessions}}", quote(filepath.Join(outDir, "fact_sessions")),
	).Replace(referenceSQL)
	if _, err := conn.ExecContext(ctx, text); err != nil {
		return c, fmt.Errorf("reference.sql: %w", err)
	}
	err = conn.QueryRowContext(ctx, "SELECT count(*), count(DISTINCT session_id) FROM sessionized").Scan(&c.events, &c.sessions)
	if err != nil {
		return c, fmt.Errorf("count: %w", err)
	}
	return c, nil
}

// quote makes s an SQL string literal.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// usage is what one child process cost.
type usage struct {
	wall, cpu time.Duration
	peakBytes int64
}

// compare runs the pipeline command, then the reference in a child of this
// binary, and prints the table of both.
func compare(pipeline []string) error {
	p, err := runChild(pipeline)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own binary: %w", err)
	}
	r, err := runChild([]string{self, "--input", *input, "--output", *output})
	if err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	fmt.Printf("\n%-22s %9s %9s %12s\n", "", "wall", "CPU", "peak memory")
	for _, row := range []struct {
		name string
		u    usage
	}{{"pipeline", p}, {"DuckDB reference", r}} {
		fmt.Printf("%-22s %8.1fs %8.1fs %9.0f MB\n", row.name, row.u.wall.Seconds(), row.u.cpu.Seconds(), float64(row.u.peakBytes)/1e6)
	}
	fmt.Printf("%-22s %8.2fx %8.2fx %11.2fx\n", "pipeline / DuckDB",
		ratio(p.wall.Seconds(), r.wall.Seconds()), ratio(p.cpu.Seconds(), r.cpu.Seconds()),
		ratio(float64(p.peakBytes), float64(r.peakBytes)))
	return nil
}

// ratio is a/b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// runChild runs argv with this process's stdout and stderr and returns its
// wall time, user+system CPU time and peak resident set size.
func runChild(argv []string) (usage, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(start)}
	if cmd.ProcessState == nil { // it did not start
		return u, fmt.Errorf("%s: %w", argv[0], err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		u.peakBytes = ru.Maxrss * 1024 // kilobytes on Linux
	}
	if err != nil {
		return u, fmt.Errorf("%s: %w", argv[0], err)
	}
	return u, nil
}
