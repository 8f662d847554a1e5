package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"

	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// tables reads the run tables of one warehouse: the local one in dir, or a
// BigQuery dataset.
type tables struct {
	dir     string
	client  *bigquery.Client
	dataset *bigquery.Dataset
}

// openTables opens the warehouse o names.
func openTables(ctx context.Context, o options) (*tables, error) {
	if o.bqDataset == "" {
		if _, err := os.Stat(o.warehouse); err != nil {
			return nil, fmt.Errorf("warehouse: %w", err)
		}
		return &tables{dir: o.warehouse}, nil
	}
	var opts []option.ClientOption
	if o.bqEndpoint != "" {
		opts = append(opts, option.WithEndpoint(o.bqEndpoint), option.WithoutAuthentication())
	}
	client, err := bigquery.NewClient(ctx, o.bqProject, opts...)
	if err != nil {
		return nil, fmt.Errorf("bigquery client: %w", err)
	}
	return &tables{client: client, dataset: client.Dataset(o.bqDataset)}, nil
}

func (t *tables) close() {
	if t.client != nil {
		_ = t.client.Close()
	}
}

// readRows reads the rows of table, a run table, into T, its row type of
// package schemas. Locally it reads the partition of day (every partition
// when day is zero); on BigQuery the whole table, through tabledata.list,
// which needs no query job and bills no bytes: the run tables hold a few rows
// per run.
func readRows[T any](ctx context.Context, t *tables, table string, day time.Time) ([]T, error) {
	if t.dataset == nil {
		var days []time.Time
		if !day.IsZero() {
			days = []time.Time{day}
		}
		return warehouse.ReadRows[T](t.dir, table, days)
	}
	var rows []T
	it := t.dataset.Table(table).Read(ctx)
	for {
		var row map[string]bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		r, err := decode[T](row)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", table, err)
		}
		rows = append(rows, r)
	}
}

// decode makes a row type of package schemas from a BigQuery row, each
// field from the column its parquet tag names. A column the row lacks is an
// error: a table older than its schema.
func decode[T any](row map[string]bigquery.Value) (T, error) {
	var out T
	v := reflect.ValueOf(&out).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("parquet"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		val, ok := row[name]
		if !ok {
			return out, fmt.Errorf("no column %s", name)
		}
		if err := setValue(v.Field(i), val); err != nil {
			return out, fmt.Errorf("column %s: %w", name, err)
		}
	}
	return out, nil
}

// setValue sets dst from a value of the BigQuery client: NULL leaves dst
// zero (a pointer nil), a DATE becomes midnight UTC, a REPEATED column a
// slice.
func setValue(dst reflect.Value, val bigquery.Value) error {
	switch x := val.(type) {
	case nil:
		return nil
	case civil.Date:
		val = x.In(time.UTC)
	case time.Time:
		val = x.UTC()
	case []bigquery.Value:
		if dst.Kind() != reflect.Slice {
			return fmt.Errorf("a REPEATED value into %v", dst.Type())
		}
		s := reflect.MakeSlice(dst.Type(), len(x), len(x))
		for i, e := range x {
			if err := setValue(s.Index(i), e); err != nil {
				return err
			}
		}
		dst.Set(s)
		return nil
	}
	if dst.Kind() == reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		if err := setValue(p.Elem(), val); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	rv := reflect.ValueOf(val)
	if !rv.Type().AssignableTo(dst.Type()) {
		return fmt.Errorf("a %v value into %v", rv.Type(), dst.Type())
	}
	dst.Set(rv)
	return nil
}

// account is one run's rows.
type account struct {
	run        schemas.Run
	outcomes   []schemas.RunOutcome
	partitions []schemas.RunPartition
}

// readAccount reads the run_outcomes and run_partitions rows of run, from
// the partition of its run_date.
func readAccount(ctx context.Context, t *tables, run schemas.Run) (account, error) {
	a := account{run: run}
	outcomes, err := readRows[schemas.RunOutcome](ctx, t, "run_outcomes", run.RunDate)
	if err != nil {
		return a, err
	}
	for _, o := range outcomes {
		if o.RunID == run.RunID && o.RunDate.Equal(run.RunDate) {
			a.outcomes = append(a.outcomes, o)
		}
	}
	partitions, err := readRows[schemas.RunPartition](ctx, t, "run_partitions", run.RunDate)
	if err != nil {
		return a, err
	}
	for _, p := range partitions {
		if p.RunID == run.RunID && p.RunDate.Equal(run.RunDate) {
			a.partitions = append(a.partitions, p)
		}
	}
	return a, nil
}
