package erasure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"cloud.google.com/go/storage"
	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/schemas"
)

// Hit is a trace of an erased subject that Verify found.
type Hit struct {
	// Where is a table's Parquet file or a raw file.
	Where string
	// Row is the row (0-based) or line (1-based) holding Needle.
	Row    int64
	Needle string
}

// Verify searches every table of the local warehouse out ("": none, as for
// a warehouse on BigQuery) but the erasure's own record, and every raw file
// of rawGlobs, for the requests' hashed keys and device ids anywhere in a
// string value or line (extra are more byte strings to search for: the
// tests add the raw user ids, which the project never stores). A glob is
// local (filepath.Glob) or gs://bucket/pattern, its pattern matched
// against object names by path.Match ('*' stops at '/'); client reaches
// the gs:// ones (nil: storage.NewClient's, made when the first is met).
// It returns every hit; none means the requests left no trace.
func Verify(ctx context.Context, client *storage.Client, out string, rawGlobs []string, requests []schemas.ErasureRequest, extra ...string) ([]Hit, error) {
	needles := needlesOf(requests, extra)
	var hits []Hit
	for _, t := range schemas.Tables() {
		if out == "" || Rules[t.Name].Kind == Record {
			continue
		}
		files, err := filepath.Glob(filepath.Join(out, t.Name, "*.parquet"))
		if err != nil {
			return nil, err
		}
		nested, err := filepath.Glob(filepath.Join(out, t.Name, "*", "*.parquet"))
		if err != nil {
			return nil, err
		}
		for _, f := range append(files, nested...) {
			h, err := searchParquet(f, needles)
			if err != nil {
				return nil, err
			}
			hits = append(hits, h...)
		}
	}
	raw := &rawFiles{client: client}
	defer raw.close(client)
	for _, g := range rawGlobs {
		files, err := raw.glob(ctx, g)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			plain, err := raw.read(ctx, f)
			if err != nil {
				return nil, err
			}
			hits = append(hits, searchLines(f, plain, needles)...)
		}
	}
	return hits, nil
}

// needlesOf are what Verify searches for: the requests' hashed keys and
// device ids, and extra.
func needlesOf(requests []schemas.ErasureRequest, extra []string) []string {
	var needles []string
	for _, r := range requests {
		needles = append(needles, r.UserKeys...)
		if r.DeviceID != "" {
			needles = append(needles, r.DeviceID)
		}
	}
	return append(needles, extra...)
}

func searchParquet(path string, needles []string) ([]Hit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	pf, err := parquet.OpenFile(f, info.Size())
	if err != nil {
		return nil, fmt.Errorf("erasure: verify %s: %w", path, err)
	}
	r := parquet.NewReader(pf)
	defer func() { _ = r.Close() }()
	var hits []Hit
	buf := make([]parquet.Row, 256)
	var n int64
	for {
		k, err := r.ReadRows(buf)
		for _, row := range buf[:k] {
			for _, v := range row {
				if v.Kind() != parquet.ByteArray || v.IsNull() {
					continue
				}
				for _, needle := range needles {
					if bytes.Contains(v.ByteArray(), []byte(needle)) {
						hits = append(hits, Hit{Where: path, Row: n, Needle: needle})
					}
				}
			}
			n++
		}
		if errors.Is(err, io.EOF) {
			return hits, nil
		}
		if err != nil {
			return nil, fmt.Errorf("erasure: verify %s: %w", path, err)
		}
	}
}

// searchLines returns the hits of needles in the lines of plain, the text
// of the raw file path.
func searchLines(path string, plain []byte, needles []string) []Hit {
	var hits []Hit
	for i, line := range bytes.Split(plain, []byte("\n")) {
		for _, needle := range needles {
			if bytes.Contains(line, []byte(needle)) {
				hits = append(hits, Hit{Where: path, Row: int64(i + 1), Needle: needle})
			}
		}
	}
	return hits
}
