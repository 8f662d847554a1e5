package files

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	// The filesystems this package promises: local paths and gs:// URLs.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/filter"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.DoFn4x1[context.Context, fileio.ReadableFile, func(schemas.Record), func(schemas.Tally), error](&readFn{})
	register.Emitter1[schemas.Record]()
	register.Emitter1[schemas.Tally]()
	register.Function1x1(hidden)
}

// Read reads every file matching the globs.
//
// It returns PCollection<schemas.Record>, one per line, and
// PCollection<schemas.Tally> holding the input_records count of each file. A
// glob that matches no file panics at construction time on a local path and
// fails the job otherwise: an empty input is almost always a typo. Hidden
// files (a name starting with a dot: temporary files, such as the copy
// tools/erase writes while it rewrites a raw file) are not read.
func Read(s beam.Scope, globs []string, o ReadOptions) (records, counts beam.PCollection) {
	s = s.Scope("files.Read")
	lim := o.limits()
	var matches []beam.PCollection
	for _, g := range globs {
		matches = append(matches, fileio.MatchFiles(s, g, fileio.MatchEmptyDisallow()))
	}
	visible := filter.Exclude(s, beam.Flatten(s, matches...), hidden)
	files := fileio.ReadMatches(s, visible, fileio.ReadUncompressed())
	// One file per element after the reshuffle, so workers read files in parallel.
	files = beam.Reshuffle(s, files)
	return beam.ParDo2(s, &readFn{
		MaxRecordBytes: lim.maxRecordBytes,
		MaxFileBytes:   lim.maxFileBytes,
		MaxFileRecords: lim.maxFileRecords,
	}, files)
}

// hidden reports whether a matched file's name starts with a dot.
func hidden(f fileio.FileMetadata) bool {
	return strings.HasPrefix(path.Base(f.Path), ".")
}

type readFn struct {
	// MaxRecordBytes is the longest line accepted; longer lines become
	// too_large records.
	MaxRecordBytes int
	// MaxFileBytes and MaxFileRecords cap the decompressed bytes and the
	// input records read from one file; the rest becomes one
	// file_too_large record.
	MaxFileBytes   int64
	MaxFileRecords int64

	records      beam.Counter
	blankLines   beam.Counter
	tooLarge     beam.Counter
	corruptGzip  beam.Counter
	fileTooLarge beam.Counter
	filesRead    beam.Counter
}

func (fn *readFn) Setup() {
	fn.records = beam.NewCounter("files", "input_records")
	fn.blankLines = beam.NewCounter("files", "blank_lines")
	fn.tooLarge = beam.NewCounter("files", "too_large")
	fn.corruptGzip = beam.NewCounter("files", "corrupt_gzip")
	fn.fileTooLarge = beam.NewCounter("files", "file_too_large")
	fn.filesRead = beam.NewCounter("files", "files_read")
}

func (fn *readFn) ProcessElement(ctx context.Context, file fileio.ReadableFile, emit func(schemas.Record), count func(schemas.Tally)) error {
	path := file.Metadata.Path
	rc, err := file.Open(ctx)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer rc.Close()

	arrived := arrivalDate(path, file.Metadata.LastModified)
	start := time.Now()
	var n int64
	lim := limits{maxRecordBytes: fn.MaxRecordBytes, maxFileBytes: fn.MaxFileBytes, maxFileRecords: fn.MaxFileRecords}
	err = scanLines(rc, lim, func(r schemas.Record, records int) {
		r.Source = path
		r.Arrived = arrived
		switch r.ReadError {
		case schemas.ReasonTooLarge:
			fn.tooLarge.Inc(ctx, 1)
		case schemas.ReasonCorruptGzip:
			fn.corruptGzip.Inc(ctx, 1)
		case schemas.ReasonFileTooLarge:
			fn.fileTooLarge.Inc(ctx, 1)
			log.Warnf(ctx, "files.Read: %s: %s", path, r.ReadDetail)
		}
		n += int64(records)
		emit(r)
	}, func() { fn.blankLines.Inc(ctx, 1) })
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	fn.records.Inc(ctx, n)
	fn.filesRead.Inc(ctx, 1)
	count(schemas.Tally{Name: schemas.TallyInputRecords, N: n})
	log.Infof(ctx, "files.Read: %s: %d records in %v", path, n, time.Since(start).Round(time.Millisecond))
	return nil
}

// scanLines reads r line by line, decompressing gzip content, and calls emit
// for every record with the input records it stands for
// (Record.InputRecords), and blank for every blank line. Past lim's file caps it emits one
// file_too_large record for the rest and stops. It returns an error only for
// failures that are not the content's fault.
func scanLines(r io.Reader, lim limits, emit func(schemas.Record, int), blank func()) error {
	br := bufio.NewReaderSize(r, 64<<10)
	gz, err := isGzip(br)
	if err != nil {
		return err
	}
	var src io.Reader = br
	if gz {
		zr, err := gzip.NewReader(br)
		if err != nil {
			emit(schemas.Record{Line: 1, ReadError: schemas.ReasonCorruptGzip, ReadDetail: "gzip header: " + err.Error()}, 1)
			return nil
		}
		defer zr.Close()
		src = zr
	}
	capped := &capReader{r: src, left: lim.maxFileBytes}
	lines := bufio.NewReaderSize(capped, 64<<10)
	// A UTF-8 byte order mark, which Windows tools write at the start of a
	// text file, is not part of the first line (RFC 8259 lets a JSON parser
	// ignore it); left there, it made that line bad_json.
	if start, _ := lines.Peek(len(utf8BOM)); bytes.Equal(start, utf8BOM) {
		if _, err := lines.Discard(len(utf8BOM)); err != nil {
			return err
		}
	}
	rest := func(midLine bool) (skipped, error) { return skip(gz, br, lines, capped, midLine) }
	var records int64
	for line := int64(1); ; line++ {
		data, size, err := readLine(lines, lim.maxRecordBytes)
		if errors.Is(err, errFileTooLarge) {
			s, err := rest(true)
			if err != nil {
				return err
			}
			emit(tooLarge(line, data, s, fmt.Sprintf("max_file_bytes (%d bytes decompressed) in line %d", lim.maxFileBytes, line)), 1)
			return nil
		}
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			if gz && isCorruption(err) {
				emit(schemas.Record{Line: line, Data: data, Size: size, ReadError: schemas.ReasonCorruptGzip,
					ReadDetail: fmt.Sprintf("gzip stream breaks off after line %d: %v", line-1, err)}, 1)
				return nil
			}
			return err
		}
		if eof && size == 0 {
			return nil
		}
		rec := schemas.Record{Line: line, Data: data, Size: size}
		switch {
		case size > int64(lim.maxRecordBytes):
			rec.ReadError = schemas.ReasonTooLarge
			rec.ReadDetail = fmt.Sprintf("line of %d bytes exceeds the limit of %d", size, lim.maxRecordBytes)
		case len(bytes.TrimSpace(data)) == 0:
			blank()
			rec.Line = 0
		}
		if rec.Line != 0 {
			n := rec.InputRecords()
			if records+int64(n) > lim.maxFileRecords {
				s, err := rest(false)
				if err != nil {
					return err
				}
				emit(tooLarge(line, data, s, fmt.Sprintf("max_file_records (%d input records) at line %d", lim.maxFileRecords, line)), 1)
				return nil
			}
			records += int64(n)
			emit(rec, n)
		}
		if eof {
			return nil
		}
	}
}

// errFileTooLarge is capReader's error once the file passes its byte cap.
var errFileTooLarge = errors.New("file passes the byte cap")

// capReader passes on the first left bytes of r, then errFileTooLarge if r
// has more.
type capReader struct {
	r    io.Reader
	left int64
	// probe is the byte read past the cap to tell a file of exactly the cap
	// from a larger one.
	probe []byte
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		if c.probe != nil {
			return 0, errFileTooLarge
		}
		var b [1]byte
		if n, err := io.ReadFull(c.r, b[:]); n == 0 {
			return 0, err
		}
		c.probe = b[:]
		return 0, errFileTooLarge
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// skipped is what a capped file's reader did not read.
type skipped struct {
	// bytes of the file as stored: for a gzip file, the compressed bytes the
	// decompressor did not reach.
	bytes int64
	// lines are the non-blank lines after the line the cap fell in,
	// counted in a plain file only: in a gzip file counting them would cost
	// the decompression the cap saves.
	lines        int64
	linesCounted bool
}

// skip reads the rest of a capped file without keeping it and measures it;
// midLine says that the rest starts inside the cap's line.
func skip(gz bool, stored, lines *bufio.Reader, capped *capReader, midLine bool) (skipped, error) {
	if gz {
		n, err := io.Copy(io.Discard, stored)
		if err != nil {
			return skipped{}, fmt.Errorf("skip the rest: %w", err)
		}
		return skipped{bytes: n}, nil
	}
	buffered, _ := lines.Peek(lines.Buffered())
	s := skipped{linesCounted: true}
	capLine, content := midLine, false
	buf := make([]byte, 64<<10)
	for _, r := range []io.Reader{bytes.NewReader(buffered), bytes.NewReader(capped.probe), stored} {
		for {
			n, err := r.Read(buf)
			s.bytes += int64(n)
			for _, b := range buf[:n] {
				switch b {
				case '\n':
					if content && !capLine {
						s.lines++
					}
					capLine, content = false, false
				case ' ', '\t', '\r':
				default:
					content = true
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return skipped{}, fmt.Errorf("skip the rest: %w", err)
			}
		}
	}
	if content && !capLine {
		s.lines++
	}
	return s, nil
}

// tooLarge is the file_too_large record standing for the rest of a file
// from line on; data is what was read of that line.
func tooLarge(line int64, data []byte, s skipped, cap string) schemas.Record {
	detail := fmt.Sprintf("file passes %s: skipped that line and %d more lines, %d bytes", cap, s.lines, s.bytes)
	if !s.linesCounted {
		detail = fmt.Sprintf("file passes %s: skipped that line and the rest of the file, %d compressed bytes not decompressed", cap, s.bytes)
	}
	return schemas.Record{Line: line, Data: data, Size: s.bytes, ReadError: schemas.ReasonFileTooLarge, ReadDetail: detail}
}

// utf8BOM is the UTF-8 encoding of U+FEFF, the byte order mark.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readLine returns the next line without its line ending, at most maxBytes of
// it, and the line's full size. err is io.EOF after the last line.
func readLine(br *bufio.Reader, maxBytes int) (data []byte, size int64, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		size += int64(len(chunk))
		if room := maxBytes - len(data); room > 0 {
			data = append(data, chunk[:min(room, len(chunk))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil {
			size--
			data = bytes.TrimSuffix(data, []byte{'\n'})
			if bytes.HasSuffix(data, []byte{'\r'}) {
				size--
				data = data[:len(data)-1]
			}
		}
		return data, size, err
	}
}

func isGzip(br *bufio.Reader) (bool, error) {
	magic, err := br.Peek(2)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return magic[0] == 0x1f && magic[1] == 0x8b, nil
}

// isCorruption reports whether err comes from damaged gzip content rather
// than from the storage underneath.
func isCorruption(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, gzip.ErrHeader) || errors.As(err, &corrupt)
}

var pathDate = regexp.MustCompile(`(?:^|[^0-9])((?:19|20)\d\d)[-/]?(0[1-9]|1[0-2])[-/]?(0[1-9]|[12]\d|3[01])(?:[^0-9]|$)`)

// arrivalDate is the date a file's records arrived: the last date in its path
// (dt=2026-11-01, 2026/11/01 or 20261101), else its modification date.
func arrivalDate(path string, modified time.Time) time.Time {
	if m := pathDate.FindAllStringSubmatch(path, -1); m != nil {
		last := m[len(m)-1]
		if t, err := time.Parse("2006-01-02", last[1]+"-"+last[2]+"-"+last[3]); err == nil {
			return t
		}
	}
	return schemas.DateOf(modified)
}
