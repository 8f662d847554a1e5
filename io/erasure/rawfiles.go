package erasure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"
)

// rawFiles reads and rewrites raw archive files, local paths or gs:// URLs.
type rawFiles struct {
	// client reaches gs:// files; nil until the first one is met, then
	// storage.NewClient's (which honours STORAGE_EMULATOR_HOST).
	client *storage.Client
}

// read returns a raw file's text.
func (r *rawFiles) read(ctx context.Context, path string) ([]byte, error) {
	bucket, name, ok := gcsObject(path)
	if !ok {
		plain, _, err := readLocal(path)
		return plain, err
	}
	obj, err := r.object(ctx, bucket, name)
	if err != nil {
		return nil, err
	}
	data, err := readObject(ctx, obj)
	if err != nil {
		return nil, fmt.Errorf("erasure: raw %s: %w", path, err)
	}
	plain, _, err := decodeRaw(path, data)
	return plain, err
}

// rewrite replaces a raw file's text with edit's, when edit reports a
// change, keeping the file's compression. A local file is written beside
// it and renamed over it (replaceFile); a gs:// object as replaceObject
// says.
func (r *rawFiles) rewrite(ctx context.Context, path string, edit func(plain []byte) ([]byte, bool)) error {
	bucket, name, ok := gcsObject(path)
	if !ok {
		plain, gz, err := readLocal(path)
		if err != nil {
			return err
		}
		edited, changed := edit(plain)
		if !changed {
			return removeTemp(path)
		}
		data, err := encodeRaw(edited, gz)
		if err != nil {
			return fmt.Errorf("erasure: raw %s: %w", path, err)
		}
		return replaceFile(path, data)
	}
	obj, err := r.object(ctx, bucket, name)
	if err != nil {
		return err
	}
	if err := replaceObject(ctx, obj, edit); err != nil {
		return fmt.Errorf("erasure: raw %s: %w", path, err)
	}
	return nil
}

// glob returns the raw files pattern matches, sorted: local ones by
// filepath.Glob; gs://bucket/<pattern> lists the objects under the
// pattern's literal prefix and keeps those whose name path.Match matches.
func (r *rawFiles) glob(ctx context.Context, pattern string) ([]string, error) {
	bucket, name, ok := gcsObject(pattern)
	if !ok {
		files, err := filepath.Glob(pattern)
		sort.Strings(files)
		return files, err
	}
	if _, err := path.Match(name, ""); err != nil {
		return nil, fmt.Errorf("erasure: raw glob %s: %w", pattern, err)
	}
	b, err := r.bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	prefix := name[:strings.IndexAny(name+"*", "*?[\\")]
	it := b.Objects(ctx, &storage.Query{Prefix: prefix})
	var files []string
	for {
		attrs, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("erasure: raw glob %s: %w", pattern, err)
		}
		if ok, _ := path.Match(name, attrs.Name); ok {
			files = append(files, "gs://"+bucket+"/"+attrs.Name)
		}
	}
	sort.Strings(files)
	return files, nil
}

// close closes the client rawFiles made, if it is not given.
func (r *rawFiles) close(given *storage.Client) {
	if r.client != nil && r.client != given {
		_ = r.client.Close()
	}
}

func (r *rawFiles) object(ctx context.Context, bucket, name string) (*storage.ObjectHandle, error) {
	b, err := r.bucket(ctx, bucket)
	if err != nil {
		return nil, err
	}
	return b.Object(name), nil
}

// bucket is a bucket's handle, the client made when it is the first.
func (r *rawFiles) bucket(ctx context.Context, name string) (*storage.BucketHandle, error) {
	if r.client == nil {
		c, err := storage.NewClient(ctx)
		if err != nil {
			return nil, fmt.Errorf("erasure: raw gs:// files: %w", err)
		}
		r.client = c
	}
	return r.client.Bucket(name), nil
}

// replaceObject rewrites one object of the raw archive:
//
//  1. It reads the current generation, as stored (still compressed).
//  2. It uploads the edited content to the same name, on condition that
//     the generation is still the one read (a concurrent writer is never
//     overwritten), with its CRC32C (GCS refuses a corrupted upload) and the
//     object's metadata. GCS makes an upload visible only once complete, so
//     a crash leaves the old generation or the new one.
//  3. It reads the new generation back and compares it with what it wrote.
//  4. Only then it deletes the old generation, which a bucket with object
//     versioning would otherwise keep as a noncurrent copy.
//
// The new object's customTime is the old one's, or its creation time when
// it had none: the archive's days_since_custom_time lifecycle rule
// (terraform/retention.tf) then deletes it when the original would have
// been, instead of restarting its retention.
func replaceObject(ctx context.Context, obj *storage.ObjectHandle, edit func(plain []byte) ([]byte, bool)) error {
	attrs, err := obj.Attrs(ctx)
	if err != nil {
		return err
	}
	old := obj.Generation(attrs.Generation)
	stored, err := readObject(ctx, old)
	if err != nil {
		return err
	}
	plain, gz, err := decodeRaw(attrs.Name, stored)
	if err != nil {
		return err
	}
	edited, changed := edit(plain)
	if !changed {
		return nil
	}
	data, err := encodeRaw(edited, gz)
	if err != nil {
		return err
	}
	w := obj.If(storage.Conditions{GenerationMatch: attrs.Generation}).NewWriter(ctx)
	w.ContentType = attrs.ContentType
	w.ContentEncoding = attrs.ContentEncoding
	w.CacheControl = attrs.CacheControl
	w.Metadata = attrs.Metadata
	w.StorageClass = attrs.StorageClass
	w.CustomTime = ageOf(attrs)
	w.CRC32C = crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	w.SendCRC32C = true
	if _, err := w.Write(data); err != nil {
		_ = w.Close()
		return fmt.Errorf("upload: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	back, err := readObject(ctx, obj.Generation(w.Attrs().Generation))
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if !bytes.Equal(back, data) {
		return errors.New("the rewritten object reads back differently; its previous generation is kept")
	}
	if err := old.Delete(ctx); err != nil && !errors.Is(err, storage.ErrObjectNotExist) {
		return fmt.Errorf("delete the previous generation: %w", err)
	}
	return nil
}

// ageOf is the time an archive object's retention counts from.
func ageOf(attrs *storage.ObjectAttrs) time.Time {
	if !attrs.CustomTime.IsZero() {
		return attrs.CustomTime
	}
	return attrs.Created
}

// readObject reads an object as stored: a gzip-encoded object stays
// compressed, as decodeRaw expects.
func readObject(ctx context.Context, obj *storage.ObjectHandle) ([]byte, error) {
	rd, err := obj.ReadCompressed(true).NewReader(ctx)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rd)
	return data, errors.Join(err, rd.Close())
}

// gcsObject splits a gs:// URL into bucket and object name.
func gcsObject(path string) (bucket, name string, ok bool) {
	rest, ok := strings.CutPrefix(path, "gs://")
	if !ok {
		return "", "", false
	}
	bucket, name, ok = strings.Cut(rest, "/")
	return bucket, name, ok && bucket != "" && name != ""
}
