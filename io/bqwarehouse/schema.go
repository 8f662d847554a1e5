package bqwarehouse

import (
	"fmt"

	"cloud.google.com/go/bigquery"

	"github.com/example/clickstream/schemas"
)

// Schema is the BigQuery schema of a table definition from schemas/tables:
// the one conversion every BigQuery path (table checks, load jobs, the
// Storage Write API) uses.
func Schema(t schemas.Table) (bigquery.Schema, error) {
	return fieldSchemas(t.Name, t.Schema)
}

// fieldSchemas converts columns, a RECORD's fields recursively.
func fieldSchemas(table string, cols []schemas.Column) (bigquery.Schema, error) {
	out := make(bigquery.Schema, 0, len(cols))
	for _, c := range cols {
		f := &bigquery.FieldSchema{Name: c.Name, Description: c.Description, MaxLength: c.MaxLength}
		switch c.Type {
		case "STRING":
			f.Type = bigquery.StringFieldType
		case "INT64", "INTEGER":
			f.Type = bigquery.IntegerFieldType
		case "FLOAT64", "FLOAT":
			f.Type = bigquery.FloatFieldType
		case "BOOL", "BOOLEAN":
			f.Type = bigquery.BooleanFieldType
		case "DATE":
			f.Type = bigquery.DateFieldType
		case "TIMESTAMP":
			f.Type = bigquery.TimestampFieldType
		case "RECORD":
			f.Type = bigquery.RecordFieldType
			fields, err := fieldSchemas(table, c.Fields)
			if err != nil {
				return nil, err
			}
			f.Schema = fields
		default:
			return nil, fmt.Errorf("table %s column %s: unsupported type %q", table, c.Name, c.Type)
		}
		switch c.Mode {
		case "REQUIRED":
			f.Required = true
		case "REPEATED":
			f.Repeated = true
		case "NULLABLE", "":
		default:
			return nil, fmt.Errorf("table %s column %s: unsupported mode %q", table, c.Name, c.Mode)
		}
		out = append(out, f)
	}
	return out, nil
}
