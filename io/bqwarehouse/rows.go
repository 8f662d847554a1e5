package bqwarehouse

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// Replace is one table's part of ReplaceRows: the rows that Where selects
// are deleted, then Rows are inserted.
type Replace struct {
	// Table is a table of schemas/tables.
	Table string
	// Where is a condition on Table's columns, which may use ReplaceRows'
	// parameters.
	Where string
	// Rows are values of Table's row type of package schemas (a struct whose
	// parquet tags name the columns, as the local warehouse writes it).
	Rows []any
}

// ReplaceRows runs one multi-statement transaction of DML, a query job run
// by r with base id base in dataset: for each Replace in order, DELETE the
// rows Where selects and INSERT its Rows, every value a query parameter.
// BigQuery commits all of it or none, and DML keeps each table's schema.
// params are the parameters the Where conditions use (names that do not
// start with "v"). A run's few account rows fit; every value being a
// parameter, a job holds at most BigQuery's 10,000 of them.
func ReplaceRows(ctx context.Context, r *JobRunner, dataset, base string, params models.Params, replaces []Replace) error {
	all := models.Params{}
	for k, v := range params {
		all[k] = v
	}
	var stmts []string
	for n, rp := range replaces {
		if err := checkNames(rp.Table); err != nil {
			return fmt.Errorf("bigquery: replace rows: %w", err)
		}
		stmts = append(stmts, fmt.Sprintf("DELETE FROM %s WHERE %s", rp.Table, rp.Where))
		if len(rp.Rows) == 0 {
			continue
		}
		insert, err := insertRows(rp.Table, fmt.Sprintf("v%d", n), rp.Rows, all)
		if err != nil {
			return fmt.Errorf("bigquery: replace rows of %s: %w", rp.Table, err)
		}
		stmts = append(stmts, insert)
	}
	if err := Transaction(ctx, r, dataset, base, all, stmts); err != nil {
		return fmt.Errorf("bigquery: replace rows: %w", err)
	}
	return nil
}

// Transaction runs statements (DML, without their semicolons) as one
// multi-statement transaction, a query job run by r with base id base in
// dataset, with the parameters of params they use: BigQuery commits all of
// them or none. A job holds at most BigQuery's 10,000 parameters and 1 MB
// of SQL.
func Transaction(ctx context.Context, r *JobRunner, dataset, base string, params models.Params, statements []string) error {
	stmts := append([]string{"BEGIN TRANSACTION"}, statements...)
	stmts = append(stmts, "COMMIT TRANSACTION")
	cfg, err := queryConfig(r, dataset, strings.Join(stmts, ";\n")+";", params)
	if err != nil {
		return err
	}
	_, err = r.Run(ctx, safeJobID(base), cfg)
	return err
}

// insertRows is the INSERT of rows into table, adding their values to
// params as @<prefix>_<row>_<column>.
func insertRows(table, prefix string, rows []any, params models.Params) (string, error) {
	var columns []string
	tuples := make([]string, len(rows))
	for i, row := range rows {
		cols, vals, err := rowValues(table, row)
		if err != nil {
			return "", err
		}
		if i == 0 {
			columns = cols
		}
		marks := make([]string, len(vals))
		for j, v := range vals {
			if v == nil {
				// A literal: a NULL parameter carries its type, and the
				// column gives one to the literal.
				marks[j] = "NULL"
				continue
			}
			p := fmt.Sprintf("%s_%d_%d", prefix, i, j)
			if list, ok := v.([]string); ok {
				items := make([]string, len(list))
				for k, s := range list {
					items[k] = fmt.Sprintf("@%s_%d", p, k)
					params[fmt.Sprintf("%s_%d", p, k)] = s
				}
				marks[j] = "[" + strings.Join(items, ", ") + "]"
				continue
			}
			marks[j] = "@" + p
			params[p] = v
		}
		tuples[i] = "(" + strings.Join(marks, ", ") + ")"
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES\n%s", table, strings.Join(columns, ", "), strings.Join(tuples, ",\n")), nil
}

// rowValues are the columns of a row of table and their values as query
// parameters: a DATE as models.Date, a list as []string, and nil for NULL:
// an optional column's zero value or nil pointer.
func rowValues(table string, row any) ([]string, []any, error) {
	t := schemas.MustTable(table)
	v := reflect.ValueOf(row)
	if v.Kind() != reflect.Struct {
		return nil, nil, fmt.Errorf("a row is a struct, got %T", row)
	}
	var cols []string
	var vals []any
	for i := range v.NumField() {
		tag := v.Type().Field(i).Tag.Get("parquet")
		if tag == "" || tag == "-" {
			continue
		}
		name, rest, _ := strings.Cut(tag, ",")
		opts := strings.Split(rest, ",")
		if _, ok := t.Column(name); !ok {
			return nil, nil, fmt.Errorf("%T: %s is not a column of %s", row, name, table)
		}
		optional := slices.Contains(opts, "optional")
		var val any // nil: NULL
		switch x := v.Field(i).Interface().(type) {
		case time.Time:
			switch {
			case optional && x.IsZero():
			case slices.Contains(opts, "date"):
				val = models.DateOf(x)
			default:
				val = x.UTC()
			}
		case string:
			if !optional || x != "" {
				val = x
			}
		case *int64:
			if x != nil {
				val = *x
			}
		case int64, bool:
			val = x
		case []string:
			val = slices.Clone(x)
		default:
			return nil, nil, fmt.Errorf("%T: column %s: unsupported type %T", row, name, x)
		}
		cols, vals = append(cols, name), append(vals, val)
	}
	return cols, vals, nil
}

// PartitionRows reads how many rows each partition of tables holds, from
// the dataset's INFORMATION_SCHEMA.PARTITIONS (one query job, billed at its
// 10 MB minimum, run by r with base id base): by table, then by partition
// date, the zero date for an unpartitioned table. A partition without rows
// is absent. It is how a run reads back what its jobs left, without
// scanning the tables.
func PartitionRows(ctx context.Context, r *JobRunner, dataset, base string, tables []string) (map[string]map[time.Time]int64, error) {
	if err := checkNames(tables...); err != nil {
		return nil, fmt.Errorf("bigquery: partition rows: %w", err)
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = "'" + t + "'"
	}
	query := fmt.Sprintf("SELECT table_name, partition_id, total_rows FROM `%s.%s.INFORMATION_SCHEMA.PARTITIONS` WHERE table_name IN (%s)",
		r.Client.Project(), dataset, strings.Join(names, ", "))
	cfg, err := queryConfig(r, dataset, query, nil)
	if err != nil {
		return nil, fmt.Errorf("bigquery: partition rows: %w", err)
	}
	res, err := r.Run(ctx, safeJobID(base), cfg)
	if err != nil {
		return nil, fmt.Errorf("bigquery: partition rows: %w", err)
	}
	rows, err := readRows(ctx, res)
	if err != nil {
		return nil, fmt.Errorf("bigquery: partition rows: %w", err)
	}
	out := map[string]map[time.Time]int64{}
	for _, row := range rows {
		table, _ := row[0].(string)
		var date time.Time
		if id, ok := row[1].(string); ok {
			d, err := time.Parse("20060102", id)
			if err != nil {
				continue // __NULL__, or __UNPARTITIONED__: rows still streaming
			}
			date = d
		}
		n, _ := row[2].(int64)
		if out[table] == nil {
			out[table] = map[time.Time]int64{}
		}
		out[table][date] += n
	}
	return out, nil
}

// Query runs query, a SELECT in dataset with the parameters of params it
// uses (queryParameters), as a query job run by r with base id base, and
// returns its rows: NULL as nil, INT64 as int64, DATE and TIMESTAMP as
// time.Time in UTC, an ARRAY as []bigquery.Value. A run of the same base
// finds the job of an earlier attempt and reads its result again.
func Query(ctx context.Context, r *JobRunner, dataset, base, query string, params models.Params) ([][]any, error) {
	cfg, err := queryConfig(r, dataset, query, params)
	if err != nil {
		return nil, fmt.Errorf("bigquery: query: %w", err)
	}
	res, err := r.Run(ctx, safeJobID(base), cfg)
	if err != nil {
		return nil, fmt.Errorf("bigquery: query: %w", err)
	}
	rows, err := readRows(ctx, res)
	if err != nil {
		return nil, fmt.Errorf("bigquery: query: %w", err)
	}
	return rows, nil
}

// queryConfig is a query job of query in dataset, with the parameters it
// uses.
func queryConfig(r *JobRunner, dataset, query string, params models.Params) (*bigquery.QueryConfig, error) {
	qp, err := queryParameters(query, params)
	if err != nil {
		return nil, err
	}
	return &bigquery.QueryConfig{Q: query, DefaultProjectID: r.Client.Project(), DefaultDatasetID: dataset, Parameters: qp}, nil
}
