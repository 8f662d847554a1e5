package files

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/stats"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/example/clickstream/internal/gcstest"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/parse"
	"github.com/example/clickstream/transforms/prepare"
)

func init() {
	register.Function1x1(recordKey)
	register.Function1x1(deadLetterKey)
	register.Function1x1(tallyCount)
	register.Function2x0(dropTruncatedFileLines)
	register.Emitter1[string]()
}

func TestMain(m *testing.M) { ptest.Main(m) }

func gz(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lines returns n numbered JSON lines.
func lines(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, `{"event_id":"e%d","n":"%s"}`+"\n", i, strings.Repeat("x", i%50))
	}
	return b.String()
}

type got struct {
	records []schemas.Record
	blanks  int
}

func scan(t *testing.T, data []byte, maxBytes int) (got, error) {
	t.Helper()
	lim := ReadOptions{}.limits()
	lim.maxRecordBytes = maxBytes
	return scanLimited(data, lim)
}

func scanLimited(data []byte, lim limits) (got, error) {
	var g got
	err := scanLines(bytes.NewReader(data), lim, func(r schemas.Record, n int) {
		if n != r.InputRecords() {
			panic(fmt.Sprintf("line %d: scanLines counts %d records, InputRecords %d", r.Line, n, r.InputRecords()))
		}
		g.records = append(g.records, r)
	}, func() { g.blanks++ })
	return g, err
}

func TestScanLines(t *testing.T) {
	big := strings.Repeat("y", 300)
	tests := []struct {
		name       string
		data       []byte
		maxBytes   int
		wantLines  []int64
		wantErrors map[int64]string
		wantBlanks int
	}{
		{"plain, no final newline", []byte("a\nb\nc"), 100, []int64{1, 2, 3}, nil, 0},
		{"CRLF and blank lines", []byte("a\r\n\r\n  \nb\r\n"), 100, []int64{1, 4}, nil, 2},
		{"too large keeps counting lines", []byte("a\n" + big + "\nb\n"), 100, []int64{1, 2, 3}, map[int64]string{2: schemas.ReasonTooLarge}, 0},
		{"gzip", gz(t, "a\nb\n"), 100, []int64{1, 2}, nil, 0},
		{"concatenated gzip members", append(gz(t, "a\n"), gz(t, "b\n")...), 100, []int64{1, 2}, nil, 0},
		{"gzip with a broken header", []byte{0x1f, 0x8b, 0x00, 0x01}, 100, []int64{1}, map[int64]string{1: schemas.ReasonCorruptGzip}, 0},
		{"empty file", nil, 100, nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := scan(t, tt.data, tt.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			if g.blanks != tt.wantBlanks {
				t.Errorf("blank lines = %d, want %d", g.blanks, tt.wantBlanks)
			}
			if len(g.records) != len(tt.wantLines) {
				t.Fatalf("got %d records, want %d: %+v", len(g.records), len(tt.wantLines), g.records)
			}
			for i, r := range g.records {
				if r.Line != tt.wantLines[i] {
					t.Errorf("record %d: line %d, want %d", i, r.Line, tt.wantLines[i])
				}
				if r.ReadError != tt.wantErrors[r.Line] {
					t.Errorf("line %d: read error %q, want %q", r.Line, r.ReadError, tt.wantErrors[r.Line])
				}
				if r.ReadError == schemas.ReasonTooLarge && (len(r.Data) != tt.maxBytes || r.Size != int64(len(big))) {
					t.Errorf("too large line: kept %d bytes of %d, want %d of %d", len(r.Data), r.Size, tt.maxBytes, len(big))
				}
			}
		})
	}
}

// TestByteOrderMark: a UTF-8 byte order mark at the start of a file, plain
// or gzip, is not part of its first line (here a beacon of two events);
// one anywhere else is left to the parser.
func TestByteOrderMark(t *testing.T) {
	const bom = "\xEF\xBB\xBF"
	const beacon = `{"events":[{"event_id":"e1"},{"event_id":"e2"}]}`
	for name, data := range map[string][]byte{
		"plain": []byte(bom + beacon + "\n" + bom + "b\n"),
		"gzip":  gz(t, bom+beacon+"\n"+bom+"b\n"),
	} {
		t.Run(name, func(t *testing.T) {
			g, err := scan(t, data, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(g.records) != 2 {
				t.Fatalf("got %d records, want 2: %+v", len(g.records), g.records)
			}
			if first := g.records[0]; string(first.Data) != beacon || first.Size != int64(len(beacon)) || first.InputRecords() != 2 {
				t.Errorf("line 1: %q (%d bytes, %d input records), want %q (%d bytes, 2)", first.Data, first.Size, first.InputRecords(), beacon, len(beacon))
			}
			if second := string(g.records[1].Data); second != bom+"b" {
				t.Errorf("line 2: %q, want %q", second, bom+"b")
			}
		})
	}
}

// TestTruncatedGzip cuts a gzip file at many points: every time, the reader
// returns exactly the complete lines the standard library can decompress
// before the break, then one corrupt_gzip record for the tail.
func TestTruncatedGzip(t *testing.T) {
	full := gz(t, lines(2000))
	for _, cut := range []int{len(full) / 10, len(full) / 3, len(full) / 2, len(full) - 20, len(full) - 1} {
		t.Run(fmt.Sprint(cut), func(t *testing.T) {
			g, err := scan(t, full[:cut], 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			readable := completeLines(t, full[:cut])
			if len(g.records) != readable+1 {
				t.Fatalf("got %d records, want %d readable lines + 1 tail", len(g.records), readable)
			}
			tail := g.records[len(g.records)-1]
			if tail.ReadError != schemas.ReasonCorruptGzip || tail.Line != int64(readable+1) {
				t.Errorf("tail = line %d %q, want line %d %q", tail.Line, tail.ReadError, readable+1, schemas.ReasonCorruptGzip)
			}
			for i, r := range g.records[:readable] {
				if r.ReadError != "" || r.Line != int64(i+1) {
					t.Errorf("record %d: line %d error %q", i, r.Line, r.ReadError)
				}
			}
		})
	}
}

// completeLines decompresses what it can with the standard library alone and
// counts the lines that end in a newline.
func completeLines(t *testing.T, data []byte) int {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0
	}
	var out bytes.Buffer
	_, _ = out.ReadFrom(zr) // stops at the break; what came before is in out
	return bytes.Count(out.Bytes(), []byte("\n"))
}

// TestFileCaps reads files past their caps: the lines before the cap are
// records, then one file_too_large record stands for the line the cap falls
// in and the rest, with the bytes not read (and, in a plain file, the lines
// after the cap's line) in its size and detail.
func TestFileCaps(t *testing.T) {
	// 116 bytes in 10 lines, 11 bytes each but line 6, a beacon of 3 events
	// (19), line 8, blank (10), and line 10, without a line end (10).
	plain := "{\"a\":\"01\"}\n{\"a\":\"02\"}\n{\"a\":\"03\"}\n{\"a\":\"04\"}\n{\"a\":\"05\"}\n" +
		"{\"events\":[1,2,3]}\n{\"a\":\"07\"}\n         \n{\"a\":\"09\"}\n{\"a\":\"10\"}"
	tests := []struct {
		name        string
		data        []byte
		lim         limits
		wantRecords int    // before the cap record
		wantLine    int64  // of the cap record; 0: none
		wantSize    int64  // bytes not read; -1 for gzip (the decompressor's read-ahead varies)
		wantDetail  string // in the cap record's detail
	}{
		{"under both caps", []byte(plain), limits{100, 1000, 100}, 9, 0, 0, ""},
		{"exactly the byte cap", []byte(plain), limits{100, int64(len(plain)), 100}, 9, 0, 0, ""},
		{"records cap at a plain line", []byte(plain), limits{100, 1000, 4}, 4, 5, 61, "max_file_records (4 input records) at line 5: skipped that line and 4 more lines, 61 bytes"},
		{"records cap inside a beacon", []byte(plain), limits{100, 1000, 7}, 5, 6, 42, "at line 6: skipped that line and 3 more lines, 42 bytes"},
		{"byte cap inside a line", []byte(plain), limits{100, 25, 100}, 2, 3, int64(len(plain)) - 25, "max_file_bytes (25 bytes decompressed) in line 3: skipped that line and 6 more lines"},
		{"byte cap at a line end", []byte(plain), limits{100, 22, 100}, 2, 3, int64(len(plain)) - 22, "in line 3: skipped that line and 6 more lines"},
		{"gzip, records cap", gz(t, plain), limits{100, 1000, 4}, 4, 5, -1, "compressed bytes not decompressed"},
		{"gzip, byte cap", gz(t, plain), limits{100, 25, 100}, 2, 3, -1, "max_file_bytes (25 bytes decompressed) in line 3: skipped that line and the rest of the file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := scanLimited(tt.data, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			var last schemas.Record
			if len(g.records) > 0 {
				last = g.records[len(g.records)-1]
			}
			if tt.wantLine == 0 {
				if len(g.records) != tt.wantRecords || last.ReadError != "" {
					t.Fatalf("got %d records ending with %q, want %d and no cap", len(g.records), last.ReadError, tt.wantRecords)
				}
				return
			}
			if len(g.records) != tt.wantRecords+1 {
				t.Fatalf("got %d records, want %d and the cap record: %+v", len(g.records), tt.wantRecords, g.records)
			}
			for i, r := range g.records[:tt.wantRecords] {
				if r.ReadError != "" || r.Line >= tt.wantLine {
					t.Errorf("record %d: line %d, error %q, before a cap at line %d", i, r.Line, r.ReadError, tt.wantLine)
				}
			}
			if last.ReadError != schemas.ReasonFileTooLarge || last.Line != tt.wantLine {
				t.Errorf("cap record: line %d %q, want line %d %q", last.Line, last.ReadError, tt.wantLine, schemas.ReasonFileTooLarge)
			}
			switch {
			case tt.wantSize < 0 && (last.Size < 0 || last.Size >= int64(len(tt.data))):
				t.Errorf("cap record: %d compressed bytes not read of %d", last.Size, len(tt.data))
			case tt.wantSize >= 0 && last.Size != tt.wantSize:
				t.Errorf("cap record: size %d, want %d bytes not read", last.Size, tt.wantSize)
			}
			if !strings.Contains(last.ReadDetail, tt.wantDetail) {
				t.Errorf("cap record detail %q, want it to contain %q", last.ReadDetail, tt.wantDetail)
			}
		})
	}
}

// bomb returns a gzip file of under 100 KB that expands to 33.5M lines
// "{}", each an input record.
func bomb(t *testing.T) (data []byte, records int) {
	t.Helper()
	var b bytes.Buffer
	w, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("{}\n"), 1<<16)
	const chunks = 512
	for range chunks {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), chunks << 16
}

// TestGzipBomb is the regression test of a 98 KB gzip file that the reader
// expanded into 33.5M records (each a dead-letter row): with the default
// caps it stops at DefaultMaxFileRecords and one file_too_large record.
func TestGzipBomb(t *testing.T) {
	data, records := bomb(t)
	if len(data) > 100<<10 || records < 33_000_000 {
		t.Fatalf("bomb of %d bytes, %d records: not the file of the regression", len(data), records)
	}
	var n, inputRecords int64
	var last schemas.Record
	err := scanLines(bytes.NewReader(data), ReadOptions{}.limits(), func(r schemas.Record, k int) {
		n++
		inputRecords += int64(k)
		last = r
	}, func() {})
	if err != nil {
		t.Fatal(err)
	}
	if n != DefaultMaxFileRecords+1 || inputRecords != n {
		t.Errorf("%d records (%d input records), want the %d of the cap and the cap record", n, inputRecords, DefaultMaxFileRecords)
	}
	if last.ReadError != schemas.ReasonFileTooLarge || last.Line != DefaultMaxFileRecords+1 || last.Size == 0 {
		t.Errorf("last record: line %d %q, %d bytes not read; want line %d %q", last.Line, last.ReadError, last.Size, DefaultMaxFileRecords+1, schemas.ReasonFileTooLarge)
	}
	t.Logf("%d-byte gzip file of %d records: %d records read, then %q", len(data), records, n-1, last.ReadDetail)
}

func TestArrivalDate(t *testing.T) {
	mod := time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC)
	tests := map[string]string{
		"gs://b/raw/dt=2026-11-01/part-000.jsonl.gz": "2026-11-01",
		"/data/2026/11/02/14/events.jsonl":           "2026-11-02",
		"/data/events-20261103.jsonl":                "2026-11-03",
		"/data/events.jsonl":                         "2026-03-04",
		"/data/2025-01-01/later/2026-11-05.jsonl":    "2026-11-05",
	}
	for path, want := range tests {
		if got := arrivalDate(path, mod).Format(time.DateOnly); got != want {
			t.Errorf("arrivalDate(%s) = %s, want %s", path, got, want)
		}
	}
}

func recordKey(r schemas.Record) string {
	return fmt.Sprintf("%s:%d:%s", filepath.Base(r.Source), r.Line, r.ReadError)
}

func deadLetterKey(d schemas.DeadLetter) string {
	return fmt.Sprintf("%s:%d[%d]:%s", d.Source, d.SourceLine, d.BeaconIndex, d.Reason)
}

func tallyCount(t schemas.Tally) int64 { return t.N }

// dropTruncatedFileLines keeps the dead letters of TestReadGCS other than
// the readable lines of its truncated file.
func dropTruncatedFileLines(key string, emit func(string)) {
	if !strings.Contains(key, "dt=2026-11-02") || strings.HasSuffix(key, "corrupt_gzip") {
		emit(key)
	}
}

// TestReadLocal reads plain and gzip files through a local glob on the local
// runner and checks every record and the input_records count.
func TestReadLocal(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.jsonl", []byte("{\"events\":[{},{}]}\n\n{}\n"))
	write("b.jsonl.gz", gz(t, "{}\n{}\n"))
	write("c.jsonl", gz(t, "{}\n"))           // gzip without the extension
	write(".c.jsonl.erasing", []byte("{}\n")) // hidden: not read

	p, s := beam.NewPipelineWithRoot()
	records, counts := Read(s, []string{filepath.Join(dir, "*.jsonl*")}, ReadOptions{})
	passert.Equals(s, beam.ParDo(s, recordKey, records), "a.jsonl:1:", "a.jsonl:3:", "b.jsonl.gz:1:", "b.jsonl.gz:2:", "c.jsonl:1:")
	passert.Equals(s, stats.Sum(s, beam.ParDo(s, tallyCount, counts)), int64(6))
	ptest.RunAndValidate(t, p)
}

// TestReadGCS reads gzip and plain files from fake-gcs-server through gs://
// globs, with a truncated gzip file and bad lines, and checks that dead
// letters carry their gs:// source and line numbers.
func TestReadGCS(t *testing.T) {
	server := gcstest.Serve(t, "landing")
	t.Setenv("CLICKSTREAM_TEST_HASH_KEY", "k")

	valid := `{"event_id":"e%d","event_type":"page_view","device_id":"d1","created_at":"2026-11-01T10:00:00Z"}` + "\n"
	plain := fmt.Sprintf(valid, 1) + "not json\n" + fmt.Sprintf(valid, 2)
	truncated := gz(t, lines(3000))
	truncated = truncated[:len(truncated)/2]
	for name, data := range map[string][]byte{
		"raw/dt=2026-11-01/part-000.jsonl":    []byte(plain),
		"raw/dt=2026-11-01/part-001.jsonl.gz": gz(t, fmt.Sprintf(valid, 3)+"{\"events\":[]}\n"),
		"raw/dt=2026-11-02/part-000.jsonl.gz": truncated,
		"other/ignored.jsonl":                 []byte("not read\n"),
	} {
		server.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "landing", Name: name}, Content: data})
	}
	readable := completeLines(t, truncated)

	p, s := beam.NewPipelineWithRoot()
	records, counts := Read(s, []string{"gs://landing/raw/*/*.jsonl*"}, ReadOptions{})
	_, dead := prepare.Prepare(s, records, prepare.Options{Parse: parse.Options{HashKeyRef: "env:CLICKSTREAM_TEST_HASH_KEY"}})
	// Every readable line of the truncated file is a dead letter too (its
	// lines are not events), then comes its broken tail.
	want := []any{
		"gs://landing/raw/dt=2026-11-01/part-000.jsonl:2[0]:bad_json",
		"gs://landing/raw/dt=2026-11-01/part-001.jsonl.gz:2[0]:bad_beacon",
		fmt.Sprintf("gs://landing/raw/dt=2026-11-02/part-000.jsonl.gz:%d[0]:corrupt_gzip", readable+1),
	}
	keys := beam.ParDo(s, deadLetterKey, dead)
	passert.Equals(s, beam.ParDo(s, dropTruncatedFileLines, keys), want...)
	passert.Count(s, keys, "dead letters", 2+readable+1)
	passert.Equals(s, stats.Sum(s, beam.ParDo(s, tallyCount, counts)), int64(3+2+readable+1))
	ptest.RunAndValidate(t, p)
}
