package bqfake

import (
	"errors"
	"os"

	"github.com/example/clickstream/io/internal/parquetrows"
)

// WriteParquet writes rows of table to a new Parquet file at path, encoded
// exactly as the pipeline stages files for its load jobs, for a test to
// load into the fake (or into BigQuery).
func WriteParquet[T any](path, table string, rows []T) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w, err := parquetrows.NewWriter(f, table)
	if err != nil {
		return errors.Join(err, f.Close())
	}
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			return errors.Join(err, f.Close())
		}
	}
	return errors.Join(w.Close(), f.Close())
}
