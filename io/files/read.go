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
	"regexp"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	// The filesystems this package promises: local paths and gs:// URLs.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	json "github.com/goccy/go-json"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/tally"
)

func init() {
	register.DoFn4x1[context.Context, fileio.ReadableFile, func(schemas.Record), func(tally.Tally), error](&readFn{})
	register.Emitter1[schemas.Record]()
	register.Emitter1[tally.Tally]()
}

// Read reads every file matching the globs.
//
// It returns PCollection<schemas.Record>, one per line, and
// PCollection<tally.Tally> holding the input_records count of each file. A
// glob that matches no file panics at construction time on a local path and
// fails the job otherwise: an empty input is almost always a typo.
func Read(s beam.Scope, globs []string, opts ...Option) (records, counts beam.PCollection) {
	s = s.Scope("files.Read")
	o := defaults()
	for _, opt := range opts {
		opt(&o)
	}
	var matches []beam.PCollection
	for _, g := range globs {
		matches = append(matches, fileio.MatchFiles(s, g, fileio.MatchEmptyDisallow()))
	}
	files := fileio.ReadMatches(s, beam.Flatten(s, matches...), fileio.ReadUncompressed())
	// One file per element after the reshuffle, so workers read files in parallel.
	files = beam.Reshuffle(s, files)
	return beam.ParDo2(s, &readFn{MaxRecordBytes: o.maxRecordBytes}, files)
}

type readFn struct {
	// MaxRecordBytes is the longest line accepted; longer lines become
	// too_large records.
	MaxRecordBytes int

	records     beam.Counter
	blankLines  beam.Counter
	tooLarge    beam.Counter
	corruptGzip beam.Counter
	filesRead   beam.Counter
}

func (fn *readFn) Setup() {
	fn.records = beam.NewCounter("files", "input_records")
	fn.blankLines = beam.NewCounter("files", "blank_lines")
	fn.tooLarge = beam.NewCounter("files", "too_large")
	fn.corruptGzip = beam.NewCounter("files", "corrupt_gzip")
	fn.filesRead = beam.NewCounter("files", "files_read")
}

func (fn *readFn) ProcessElement(ctx context.Context, file fileio.ReadableFile, emit func(schemas.Record), count func(tally.Tally)) error {
	path := file.Metadata.Path
	rc, err := file.Open(ctx)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer rc.Close()

	arrived := arrivalDate(path, file.Metadata.LastModified)
	start := time.Now()
	var n int64
	err = scanLines(rc, fn.MaxRecordBytes, func(r schemas.Record) {
		r.Source = path
		r.Arrived = arrived
		switch r.ReadError {
		case schemas.ReasonTooLarge:
			fn.tooLarge.Inc(ctx, 1)
		case schemas.ReasonCorruptGzip:
			fn.corruptGzip.Inc(ctx, 1)
		}
		n += int64(RecordsIn(r))
		emit(r)
	}, func() { fn.blankLines.Inc(ctx, 1) })
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	fn.records.Inc(ctx, n)
	fn.filesRead.Inc(ctx, 1)
	count(tally.Tally{Name: tally.InputRecords, N: n})
	log.Infof(ctx, "files.Read: %s: %d records in %v", path, n, time.Since(start).Round(time.Millisecond))
	return nil
}

// RecordsIn is how many input records a raw record stands for: the number of
// elements of a beacon's events array, otherwise 1. It deliberately shares
// no code with the parser.
func RecordsIn(r schemas.Record) int {
	if r.ReadError != "" {
		return 1
	}
	var beacon struct {
		Events []json.RawMessage `json:"events"`
	}
	if json.Unmarshal(r.Data, &beacon) != nil || len(beacon.Events) == 0 {
		return 1
	}
	return len(beacon.Events)
}

// scanLines reads r line by line, decompressing gzip content, and calls emit
// for every record (blank for every blank line). It returns an error only for
// failures that are not the content's fault.
func scanLines(r io.Reader, maxBytes int, emit func(schemas.Record), blank func()) error {
	br := bufio.NewReaderSize(r, 64<<10)
	gz, err := isGzip(br)
	if err != nil {
		return err
	}
	var src io.Reader = br
	if gz {
		zr, err := gzip.NewReader(br)
		if err != nil {
			emit(schemas.Record{Line: 1, ReadError: schemas.ReasonCorruptGzip, ReadDetail: "gzip header: " + err.Error()})
			return nil
		}
		defer zr.Close()
		src = zr
	}
	lines := bufio.NewReaderSize(src, 64<<10)
	for line := int64(1); ; line++ {
		data, size, err := readLine(lines, maxBytes)
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			if gz && isCorruption(err) {
				emit(schemas.Record{Line: line, Data: data, Size: size, ReadError: schemas.ReasonCorruptGzip,
					ReadDetail: fmt.Sprintf("gzip stream breaks off after line %d: %v", line-1, err)})
				return nil
			}
			return err
		}
		if eof && size == 0 {
			return nil
		}
		switch {
		case size > int64(maxBytes):
			emit(schemas.Record{Line: line, Data: data, Size: size, ReadError: schemas.ReasonTooLarge,
				ReadDetail: fmt.Sprintf("line of %d bytes exceeds the limit of %d", size, maxBytes)})
		case len(bytes.TrimSpace(data)) == 0:
			blank()
		default:
			emit(schemas.Record{Line: line, Data: data, Size: size})
		}
		if eof {
			return nil
		}
	}
}

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
