package erasure

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// rawPlan are the raw lines an erasure blanks: per file, line (1-based)
// and the request it belongs to. It is written beside the warehouse before
// the erasure's commit and carried out after it, so that a crash in between
// is completed from it rather than planned again from files already
// rewritten.
type rawPlan map[string]map[int64]string

// planRaw finds, in each raw file that erased rows came from, the lines to
// blank: those of the erased rows (targets), and every other line sending
// one of the subjects' user ids (hashed with keys) or erased devices, such
// as a duplicate that no table kept. Files are local or gs:// (raw).
func planRaw(ctx context.Context, raw *rawFiles, targets rawTargets, subjects []*subject, keys []*pseudonym.Pseudonymizer) (rawPlan, error) {
	plan := rawPlan{}
	for path, lines := range targets {
		plain, err := raw.read(ctx, path)
		if err != nil {
			return nil, err
		}
		for i, l := range bytes.SplitAfter(plain, []byte("\n")) {
			n := int64(i + 1)
			if len(bytes.TrimSpace(l)) == 0 {
				continue
			}
			id, ok := lines[n]
			if !ok {
				id, ok = lineSubject(l, subjects, keys)
			}
			if ok {
				if plan[path] == nil {
					plan[path] = map[int64]string{}
				}
				plan[path][n] = id
			}
		}
	}
	return plan, nil
}

// files returns what the plan does to each file, sorted by path.
func (p rawPlan) files() []RawFile {
	out := make([]RawFile, 0, len(p))
	for path, lines := range p {
		f := RawFile{Path: path, Blanked: map[string]int64{}}
		for _, id := range lines {
			f.Blanked[id]++
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// apply blanks the plan's lines. A line is emptied rather than removed, so
// that the other lines keep their numbers (source_line) and the reader skips
// it as blank: a re-run, or a backfill from the file, reads the same records
// less the erased ones; and applying a plan again changes nothing. Each
// file is replaced only once its new content is written and read back
// (rawFiles.rewrite), so a crash leaves the old file or the new one.
func (p rawPlan) apply(ctx context.Context, raw *rawFiles) error {
	for _, f := range p.files() {
		lines := p[f.Path]
		err := raw.rewrite(ctx, f.Path, func(plain []byte) ([]byte, bool) {
			split := bytes.SplitAfter(plain, []byte("\n"))
			changed := false
			for n := range lines {
				i := int(n - 1)
				if i >= len(split) || len(bytes.TrimSpace(split[i])) == 0 {
					continue
				}
				changed = true
				if bytes.HasSuffix(split[i], []byte("\n")) {
					split[i] = []byte("\n")
				} else {
					split[i] = nil
				}
			}
			return bytes.Join(split, nil), changed
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readLocal reads a local raw file, gunzipped when it is gzip (gz).
func readLocal(path string) (plain []byte, gz bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false, fmt.Errorf("erasure: raw %w", err)
	}
	return decodeRaw(path, data)
}

// decodeRaw returns a raw file's text: data, gunzipped when it is gzip (gz).
func decodeRaw(path string, data []byte) (plain []byte, gz bool, err error) {
	if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		return data, false, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, false, fmt.Errorf("erasure: raw %s: %w", path, err)
	}
	// A gzip stream cut short (an upload that died) is read as far as it
	// goes, as the pipeline's reader does; the rewrite keeps that much,
	// which is all any backfill could read.
	if plain, err = io.ReadAll(zr); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, false, fmt.Errorf("erasure: raw %s: %w", path, err)
	}
	return plain, true, nil
}

// encodeRaw is decodeRaw's inverse: plain, gzip-compressed when gz.
func encodeRaw(plain []byte, gz bool) ([]byte, error) {
	if !gz {
		return plain, nil
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(plain); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// lineSubject returns the request whose user id or device a raw line
// sends, if any. Keys match in any case and a numeric user_id as written,
// as the parser reads them.
func lineSubject(line []byte, subjects []*subject, keys []*pseudonym.Pseudonymizer) (string, bool) {
	var v any
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if d.Decode(&v) != nil || d.Decode(new(any)) != io.EOF { // not one JSON value: search the bytes
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
			case strings.EqualFold(k, "device_id") && s.devices[pseudonym.TrimID(val)]:
				found = s.request.RequestID
			case strings.EqualFold(k, "user_id"):
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

// walk calls fn with every string and number field (as written) of a JSON
// value decoded with UseNumber.
func walk(v any, fn func(key, val string)) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			switch s := x.(type) {
			case string:
				fn(k, s)
			case json.Number:
				fn(k, string(s))
			default:
				walk(x, fn)
			}
		}
	case []any:
		for _, x := range t {
			walk(x, fn)
		}
	}
}

// tempOf is where replaceFile writes path's new content. The name is fixed
// so that a rewrite cut short by a crash leaves one known file, which the
// re-run overwrites or removes (removeTemp).
func tempOf(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".erasing")
}

// removeTemp removes what a crashed replaceFile left of path's rewrite.
func removeTemp(path string) error {
	if err := os.Remove(tempOf(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("erasure: raw %w", err)
	}
	return nil
}

// replaceFile writes data beside path (tempOf), syncs it, reads it back
// and renames it over path with path's mode and modification time.
func replaceFile(path string, data []byte) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("erasure: raw %w", err)
	}
	tmp, err := os.OpenFile(tempOf(path), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("erasure: raw %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("erasure: raw %s: %w", path, werr)
	}
	back, err := os.ReadFile(tmp.Name())
	if err != nil {
		return fmt.Errorf("erasure: raw %w", err)
	}
	if !bytes.Equal(back, data) {
		return fmt.Errorf("erasure: raw %s: the rewritten file reads back differently", path)
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
