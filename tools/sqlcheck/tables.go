package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	googlesql "github.com/goccy/go-googlesql"
)

// tableDef is the part of a schemas/tables/<name>.json file the check
// needs: the table's name and its columns in BigQuery's schema JSON format
// (the main module's schemas.Table, decoded here so that this module does
// not import the pipeline's dependencies).
type tableDef struct {
	Name   string     `json:"name"`
	Schema []fieldDef `json:"schema"`
}

// fieldDef is one column, or one field of a RECORD column.
type fieldDef struct {
	Name   string     `json:"name"`
	Type   string     `json:"type"`
	Mode   string     `json:"mode"`
	Fields []fieldDef `json:"fields"`
}

// readTables decodes every *.json file of dir, sorted by file name.
func readTables(dir string) ([]tableDef, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no table definitions (*.json) in %s", dir)
	}
	sort.Strings(files)
	var tables []tableDef
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read table: %w", err)
		}
		var t tableDef
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if t.Name == "" || len(t.Schema) == 0 {
			return nil, fmt.Errorf("%s: want a name and a schema", f)
		}
		tables = append(tables, t)
	}
	return tables, nil
}

// columnType is the GoogleSQL type of a BigQuery column: its type (legacy
// names such as INTEGER and RECORD included), made an ARRAY when its mode
// is REPEATED.
func columnType(tf *googlesql.TypeFactory, f fieldDef) (googlesql.Googlesql_TypeNode, error) {
	t, err := scalarOrStruct(tf, f)
	if err != nil {
		return nil, err
	}
	switch strings.ToUpper(f.Mode) {
	case "", "NULLABLE", "REQUIRED":
		return t, nil
	case "REPEATED":
		return tf.MakeArrayType2(t)
	}
	return nil, fmt.Errorf("column %s: unknown mode %q", f.Name, f.Mode)
}

func scalarOrStruct(tf *googlesql.TypeFactory, f fieldDef) (googlesql.Googlesql_TypeNode, error) {
	switch strings.ToUpper(f.Type) {
	case "STRING":
		return tf.GetString()
	case "BYTES":
		return tf.GetBytes()
	case "INT64", "INTEGER":
		return tf.GetInt64()
	case "FLOAT64", "FLOAT":
		return tf.GetDouble()
	case "NUMERIC":
		return tf.GetNumeric()
	case "BIGNUMERIC":
		return tf.GetBignumeric()
	case "BOOL", "BOOLEAN":
		return tf.GetBool()
	case "DATE":
		return tf.GetDate()
	case "DATETIME":
		return tf.GetDatetime()
	case "TIME":
		return tf.GetTime()
	case "TIMESTAMP":
		return tf.GetTimestamp()
	case "GEOGRAPHY":
		return tf.GetGeography()
	case "JSON":
		return tf.GetJson()
	case "INTERVAL":
		return tf.GetInterval()
	case "RECORD", "STRUCT":
		if len(f.Fields) == 0 {
			return nil, fmt.Errorf("column %s: %s without fields", f.Name, f.Type)
		}
		fields := make([]*googlesql.StructField, len(f.Fields))
		for i, sub := range f.Fields {
			t, err := columnType(tf, sub)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
			fields[i] = &googlesql.StructField{Name: sub.Name, Type_: t}
		}
		return tf.MakeStructType2(fields)
	}
	return nil, fmt.Errorf("column %s: unsupported type %q", f.Name, f.Type)
}
