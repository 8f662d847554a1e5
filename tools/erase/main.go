// Command erase carries out the right to erasure on the local warehouse or
// on BigQuery: it files the requests of a requests file (a person's user_id
// is hashed on arrival with every key version given and never stored), then
// erases every pending request from every table and from the raw archive
// (local files or gs:// objects), rebuilds the dimensions of the erased
// dates, and prints what it removed.
//
//	erase --warehouse=warehouse --requests=requests.jsonl \
//	    --hash_key=env:CLICKSTREAM_HASH_KEY[,file:old.key] --verify_raw='data/raw/*/*'
//
// On BigQuery (the flags of the pipeline's BigQuery sink; erasure_requests
// and erasure_log are tables of the dataset, and the raw plan of an erasure
// in progress is kept in --plan_dir, which a re-run after a crash must be
// given again):
//
//	erase --sink=bigquery --bq_project=my-project --bq_dataset=clickstream \
//	    --plan_dir=/var/lib/clickstream-erase --requests=requests.jsonl \
//	    --hash_key=secret:projects/my-project/secrets/hash-key/versions/3 \
//	    --verify_raw='gs://my-archive/raw/*/*'
//
// A requests file has one JSON object per line:
//
//	{"request_id":"r-2026-0042","user_id":"u-123","received_at":"2026-12-01T09:00:00Z"}
//	{"request_id":"r-2026-0043","device_id":"d-9f2c","received_at":"2026-12-01T09:05:00Z"}
//
// With --verify_raw it then searches every table (on BigQuery, one query
// per table: a full scan) and those raw files for the requests' hashed keys
// and device ids, and exits 3 if any is left.
//
// It is a binary of its own rather than a --mode of the pipeline: erasure
// runs no Beam pipeline, and the pipeline binary's flags are its job's
// configuration (it is re-executed as the Dataflow worker and runs in the
// Flex Template launcher). Like runstatus and query, it is an operator's
// tool that works on what the pipeline wrote.
//
// Exit status: 0 done (and verified), 1 an error, 2 bad flags, 3 traces left.
package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/io/erasure"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

func main() {
	out := flag.String("warehouse", "warehouse", "Local warehouse directory (--sink=local).")
	sink := flag.String("sink", "local", "Where the tables are: local (the --warehouse) or bigquery (--bq_project, --bq_dataset, --plan_dir).")
	bqProject := flag.String("bq_project", "", "BigQuery: the project of the dataset.")
	bqDataset := flag.String("bq_dataset", "", "BigQuery: the dataset holding the tables of schemas/tables.")
	planDir := flag.String("plan_dir", "erasure", "BigQuery: directory keeping the raw plan of an erasure in progress (give the same to a re-run).")
	requests := flag.String("requests", "", "Requests file to file first (JSON lines: request_id, user_id or device_id, received_at). Empty: only erase the pending requests.")
	hashKeys := flag.String("hash_key", "env:CLICKSTREAM_HASH_KEY", "Comma-separated key references (env:NAME, file:PATH, secret:...) of every hash-key version still in retention.")
	verifyRaw := flag.String("verify_raw", "", "Comma-separated globs of the raw archive files to search after erasing (local, or gs://bucket/pattern). Empty: no verification.")
	pageTypes := flag.String("page_types_file", "", "The page-type rules the pipeline runs with (its --page_types_file, local or gs://): the erasure's dimension step types every page anew by them. Empty: the built-in rules.")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code, err := run(ctx, *sink, *out, *bqProject, *bqDataset, *planDir, *requests, *hashKeys, *verifyRaw, *pageTypes)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "erase:", err)
	}
	os.Exit(code)
}

func run(ctx context.Context, sink, out, bqProject, bqDataset, planDir, requestsFile, hashKeys, verifyRaw, pageTypesFile string) (int, error) {
	types, err := enrich.LoadPageTypes(ctx, pageTypesFile)
	if err != nil {
		return 2, err
	}
	var keys []*pseudonym.Pseudonymizer
	for _, ref := range strings.Split(hashKeys, ",") {
		k, err := pseudonym.LoadKey(strings.TrimSpace(ref))
		if err != nil {
			return 2, err
		}
		p, err := pseudonym.New(k, pseudonym.IPMode("truncate"))
		if err != nil {
			return 2, err
		}
		keys = append(keys, p)
	}
	var bq *erasure.BigQuery
	switch sink {
	case "local":
		if err := warehouse.Recover(out); err != nil {
			return 1, err
		}
	case "bigquery":
		if bqProject == "" || bqDataset == "" {
			return 2, fmt.Errorf("--sink=bigquery needs --bq_project and --bq_dataset")
		}
		client, err := bqwarehouse.NewClient(ctx, bqProject, bqDataset, "")
		if err != nil {
			return 1, err
		}
		defer func() { _ = client.Close() }()
		bq = &erasure.BigQuery{Runner: &bqwarehouse.JobRunner{Client: client}, Dataset: bqDataset, PlanDir: planDir}
	default:
		return 2, fmt.Errorf("--sink=%q: want local or bigquery", sink)
	}
	if requestsFile != "" {
		if code, err := file(ctx, out, bq, requestsFile, keys); err != nil {
			return code, err
		}
	}
	opts := erasure.Options{
		Warehouse: out, Keys: keys, Dimensions: dimensions.Options{PageTypes: types.Rules()},
		Progress: func(phase string) { fmt.Println("phase:", phase) },
	}
	start := time.Now()
	var res erasure.Result
	if bq != nil {
		res, err = erasure.EraseBigQuery(ctx, opts, *bq)
	} else {
		res, err = erasure.Erase(ctx, opts)
	}
	if err != nil {
		return 1, err
	}
	fmt.Printf("erased %d requests in %v (run %s)\n", len(res.Requests), time.Since(start).Round(time.Millisecond), res.RunID)
	for _, table := range slices.Sorted(maps.Keys(res.Removed)) {
		fmt.Printf("  %-24s %8d rows removed\n", table, res.Removed[table])
	}
	var lines int64
	for _, f := range res.RawFiles {
		for _, n := range f.Blanked {
			lines += n
		}
	}
	fmt.Printf("  %-24s %8d lines blanked in %d files\n", "raw archive", lines, len(res.RawFiles))
	if verifyRaw == "" {
		return 0, nil
	}
	return verify(ctx, out, bq, verifyRaw)
}

// file hashes and files the requests of a requests file.
func file(ctx context.Context, out string, bq *erasure.BigQuery, requestsFile string, keys []*pseudonym.Pseudonymizer) (int, error) {
	f, err := os.Open(requestsFile)
	if err != nil {
		return 2, err
	}
	filed, err := erasure.ReadFiled(f)
	_ = f.Close() // a read: errors surface in ReadFiled
	if err != nil {
		return 2, err
	}
	rows, err := erasure.Hash(filed, keys)
	if err != nil {
		return 2, err
	}
	runID := "file-" + time.Now().UTC().Format("20060102T150405Z")
	if bq != nil {
		err = erasure.FileBigQuery(ctx, *bq, runID, rows)
	} else {
		err = erasure.File(out, runID, rows)
	}
	if err != nil {
		return 1, err
	}
	return 0, nil
}

// verify searches every table and the raw files of verifyRaw for every
// filed request, and prints the traces left.
func verify(ctx context.Context, out string, bq *erasure.BigQuery, verifyRaw string) (int, error) {
	var all []schemas.ErasureRequest
	var hits []erasure.Hit
	var err error
	if bq != nil {
		out = "" // the tables are on BigQuery
		all, err = erasure.BigQueryRequests(ctx, *bq)
		if err == nil {
			hits, err = erasure.VerifyBigQuery(ctx, *bq, all)
		}
	} else {
		all, err = warehouse.ReadRows[schemas.ErasureRequest](out, "erasure_requests", nil)
	}
	if err != nil {
		return 1, err
	}
	globs := strings.Split(verifyRaw, ",")
	for i := range globs {
		globs[i] = strings.TrimSpace(globs[i])
		if !strings.HasPrefix(globs[i], "gs://") {
			globs[i] = filepath.Clean(globs[i])
		}
	}
	raw, err := erasure.Verify(ctx, nil, out, globs, all)
	if err != nil {
		return 1, err
	}
	hits = append(hits, raw...)
	for _, h := range hits {
		fmt.Printf("trace left: %s row/line %d holds %s\n", h.Where, h.Row, h.Needle)
	}
	if len(hits) > 0 {
		return 3, nil
	}
	fmt.Printf("verified: no trace of %d requests in any table or raw file\n", len(all))
	return 0, nil
}
