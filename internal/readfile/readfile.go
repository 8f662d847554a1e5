// Package readfile reads a whole local or gs:// file through Beam's filesystems.
package readfile

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"   // gs:// files
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local files
)

// All reads a whole file, a local path or a gs:// URL, through Beam's
// filesystems: what a DoFn's Setup reads its configuration or reference
// data with. A file larger than limit bytes is an error.
func All(ctx context.Context, path string, limit int64) ([]byte, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer func() { _ = fs.Close() }() // nothing to flush after a read
	rc, err := fs.OpenRead(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes", path, limit)
	}
	return b, nil
}
