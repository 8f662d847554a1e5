package erasure

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/example/clickstream/internal/pseudonym"
)

// RawFile is what erasure did to one raw archive file.
type RawFile struct {
	Path string
	// Blanked are the lines emptied, per request id.
	Blanked map[string]int64
}

// rawTargets are the lines to blank per file, with the request each
// belongs to.
type rawTargets map[string]map[int64]string

func (t rawTargets) add(l rawLine, requestID string) {
	if t[l.file] == nil {
		t[l.file] = map[int64]string{}
	}
	if _, ok := t[l.file][l.line]; !ok {
		t[l.file][l.line] = requestID
	}
}

// rewriteRaw blanks, in each raw file, the lines of the erased rows
// (targets) and every other line sending one of the subjects' user ids
// (hashed with keys) or erased devices, such as a duplicate that no table
// kept. A line is emptied rather than removed, so that the other lines keep
// their numbers (source_line) and the reader skips it as blank: a re-run, or
// a backfill from the file, reads the same records less the erased ones.
//
// Each file is rewritten into a temporary file beside it, synced, read back
// and checked, then renamed over the original: a crash leaves the old file
// or the new one, never neither. Files not under a local path are an error.
func rewriteRaw(targets rawTargets, subjects []*subject, keys []*pseudonym.Pseudonymizer) ([]RawFile, error) {
	files := make([]string, 0, len(targets))
	for f := range targets {
		files = append(files, f)
	}
	sort.Strings(files)
	var out []RawFile
	for _, path := range files {
		if strings.Contains(path, "://") {
			return out, fmt.Errorf("erasure: raw file %s: only local raw files are rewritten so far", path)
		}
		blanked, err := rewriteFile(path, targets[path], subjects, keys)
		if err != nil {
			return out, err
		}
		if len(blanked) > 0 {
			out = append(out, RawFile{Path: path, Blanked: blanked})
		}
	}
	return out, nil
}

// rewriteFile blanks the lines of path that belong to a subject.
func rewriteFile(path string, lines map[int64]string, subjects []*subject, keys []*pseudonym.Pseudonymizer) (map[string]int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("erasure: raw %w", err)
	}
	gz := bytes.HasPrefix(data, []byte{0x1f, 0x8b})
	plain := data
	if gz {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("erasure: raw %s: %w", path, err)
		}
		// A gzip stream cut short (an upload that died) is read as far as
		// it goes, as the pipeline's reader does; the rewrite keeps that
		// much, which is all any backfill could read.
		if plain, err = io.ReadAll(zr); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("erasure: raw %s: %w", path, err)
		}
	}
	split := bytes.SplitAfter(plain, []byte("\n"))
	blanked := map[string]int64{}
	for i, l := range split {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		id, ok := lines[int64(i+1)]
		if !ok {
			id, ok = lineSubject(l, subjects, keys)
		}
		if !ok {
			continue
		}
		blanked[id]++
		if bytes.HasSuffix(l, []byte("\n")) {
			split[i] = []byte("\n")
		} else {
			split[i] = nil
		}
	}
	if len(blanked) == 0 {
		return nil, nil
	}
	return blanked, replaceFile(path, bytes.Join(split, nil), gz)
}

// lineSubject returns the request whose user id or device a raw line
// sends, if any.
func lineSubject(line []byte, subjects []*subject, keys []*pseudonym.Pseudonymizer) (string, bool) {
	var v any
	if json.Unmarshal(line, &v) != nil {
		for _, s := range subjects {
			for d := range s.devices {
				if bytes.Contains(line, []byte(d)) {
					return s.request.RequestID, true
				}
			}
		}
		return "", false
	}
	var found string
	walk(v, func(k, val string) {
		for _, s := range subjects {
			switch {
			case found != "":
			case k == "device_id" && s.devices[val]:
				found = s.request.RequestID
			case k == "user_id":
				for _, p := range keys {
					if s.keys[p.UserKey(val)] {
						found = s.request.RequestID
					}
				}
			}
		}
	})
	return found, found != ""
}

// walk calls fn with every string field of a decoded JSON value.
func walk(v any, fn func(key, val string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok {
				fn(k, s)
			} else {
				walk(x, fn)
			}
		}
	case []any:
		for _, x := range t {
			walk(x, fn)
		}
	}
}

// replaceFile writes plain (gzip-compressed when gz) beside path, syncs it,
// reads it back and renames it over path.
func replaceFile(path string, plain []byte, gz bool) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("erasure: raw %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".erase-*")
	if err != nil {
		return fmt.Errorf("erasure: raw %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	w := bufio.NewWriter(tmp)
	var werr error
	if gz {
		zw := gzip.NewWriter(w)
		_, werr = zw.Write(plain)
		if werr == nil {
			werr = zw.Close()
		}
	} else {
		_, werr = w.Write(plain)
	}
	if werr == nil {
		werr = w.Flush()
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("erasure: raw %s: %w", path, werr)
	}
	if err := verifyFile(tmp.Name(), plain, gz); err != nil {
		return fmt.Errorf("erasure: raw %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), info.Mode().Perm()); err != nil {
		return fmt.Errorf("erasure: raw %w", err)
	}
	if err := os.Chtimes(tmp.Name(), info.ModTime(), info.ModTime()); err != nil {
		return fmt.Errorf("erasure: raw %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("erasure: raw %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// verifyFile checks that the file at path holds plain.
func verifyFile(path string, plain []byte, gz bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if gz {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return err
		}
		if data, err = io.ReadAll(zr); err != nil {
			return err
		}
	}
	if !bytes.Equal(data, plain) {
		return fmt.Errorf("rewritten file reads back differently")
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
