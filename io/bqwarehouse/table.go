package bqwarehouse

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"

	"github.com/example/clickstream/schemas"
)

// Metadata is the BigQuery table of a definition from schemas/tables: its
// schema with the column descriptions, day partitioning on its partition
// column, clustering, the partition-filter requirement and its description.
func Metadata(t schemas.Table) (*bigquery.TableMetadata, error) {
	schema, err := Schema(t)
	if err != nil {
		return nil, err
	}
	md := &bigquery.TableMetadata{Description: t.Description, Schema: schema}
	if p := t.TimePartitioning; p.Field != "" {
		if p.Type != string(bigquery.DayPartitioningType) {
			return nil, fmt.Errorf("table %s: partitioning type %q, want %s", t.Name, p.Type, bigquery.DayPartitioningType)
		}
		md.TimePartitioning = &bigquery.TimePartitioning{Type: bigquery.DayPartitioningType, Field: p.Field}
		md.RequirePartitionFilter = t.RequirePartitionFilter
	}
	if len(t.Clustering) > 0 {
		md.Clustering = &bigquery.Clustering{Fields: t.Clustering}
	}
	return md, nil
}

// EnsureTables checks that every table of tables exists in dataset and
// matches its definition: the same columns with the same types and modes,
// partitioning (field and type), clustering and partition-filter
// requirement. Descriptions are not compared.
//
// A missing table is created from its definition when create is true (the
// pipeline's --create_tables, meant for development projects); otherwise it
// is an error, because the tables are owned by Terraform. EnsureTables
// checks every table before it returns: its error lists each missing table
// and each difference.
func EnsureTables(ctx context.Context, client *bigquery.Client, dataset string, tables []schemas.Table, create bool) error {
	ds := client.Dataset(dataset)
	if _, err := ds.Metadata(ctx); err != nil {
		return fmt.Errorf("bigquery: dataset %s.%s: %w", client.Project(), dataset, err)
	}
	var problems []string
	for _, t := range tables {
		want, err := Metadata(t)
		if err != nil {
			return fmt.Errorf("bigquery: %w", err)
		}
		got, err := ds.Table(t.Name).Metadata(ctx)
		switch {
		case isStatus(err, http.StatusNotFound) && create:
			if err := ds.Table(t.Name).Create(ctx, want); err != nil {
				return fmt.Errorf("bigquery: create table %s.%s: %w", dataset, t.Name, err)
			}
		case isStatus(err, http.StatusNotFound):
			problems = append(problems, fmt.Sprintf("table %s does not exist: the tables are owned by Terraform (apply it), or pass --create_tables to create them (development projects only)", t.Name))
		case err != nil:
			return fmt.Errorf("bigquery: table %s.%s: %w", dataset, t.Name, err)
		default:
			for _, d := range diff(want, got) {
				problems = append(problems, fmt.Sprintf("table %s: %s", t.Name, d))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("bigquery: dataset %s.%s does not match schemas/tables:\n  %s",
			client.Project(), dataset, strings.Join(problems, "\n  "))
	}
	return nil
}

// diff lists how got differs from want, in the properties EnsureTables
// checks.
func diff(want, got *bigquery.TableMetadata) []string {
	out := diffFields("", want.Schema, got.Schema)
	if w, g := partitioning(want.TimePartitioning), partitioning(got.TimePartitioning); w != g {
		out = append(out, fmt.Sprintf("partitioned %s, want %s", g, w))
	}
	if w, g := clustering(want.Clustering), clustering(got.Clustering); !slices.Equal(w, g) {
		out = append(out, fmt.Sprintf("clustered by %s, want %s", describeFields(g), describeFields(w)))
	}
	if w, g := want.RequirePartitionFilter, requiresPartitionFilter(got); w != g {
		out = append(out, fmt.Sprintf("require_partition_filter is %t, want %t", g, w))
	}
	return out
}

// diffFields lists how the columns got differ from want, a RECORD's fields
// as prefix.name.
func diffFields(prefix string, want, got bigquery.Schema) []string {
	var out []string
	have := make(map[string]*bigquery.FieldSchema, len(got))
	for _, f := range got {
		have[f.Name] = f
	}
	wanted := make(map[string]bool, len(want))
	for _, w := range want {
		wanted[w.Name] = true
		name := prefix + w.Name
		g, ok := have[w.Name]
		if !ok {
			out = append(out, fmt.Sprintf("column %s is missing (want %s %s)", name, typeName(w.Type), mode(w)))
			continue
		}
		if typeName(g.Type) != typeName(w.Type) {
			out = append(out, fmt.Sprintf("column %s has type %s, want %s", name, typeName(g.Type), typeName(w.Type)))
		}
		if mode(g) != mode(w) {
			out = append(out, fmt.Sprintf("column %s has mode %s, want %s", name, mode(g), mode(w)))
		}
		out = append(out, diffFields(name+".", w.Schema, g.Schema)...)
	}
	for _, g := range got {
		if !wanted[g.Name] {
			out = append(out, fmt.Sprintf("column %s%s (%s %s) is not in the definition", prefix, g.Name, typeName(g.Type), mode(g)))
		}
	}
	return out
}

// typeName is a column type's standard SQL name: the API may report the
// legacy names (INTEGER, FLOAT, BOOLEAN) of the same types.
func typeName(t bigquery.FieldType) string {
	switch strings.ToUpper(string(t)) {
	case "INTEGER", "INT64":
		return "INT64"
	case "FLOAT", "FLOAT64":
		return "FLOAT64"
	case "BOOLEAN", "BOOL":
		return "BOOL"
	}
	return strings.ToUpper(string(t))
}

func mode(f *bigquery.FieldSchema) string {
	switch {
	case f.Repeated:
		return "REPEATED"
	case f.Required:
		return "REQUIRED"
	}
	return "NULLABLE"
}

func partitioning(p *bigquery.TimePartitioning) string {
	if p == nil {
		return "not by time"
	}
	typ := p.Type
	if typ == "" { // the API's default
		typ = bigquery.DayPartitioningType
	}
	field := p.Field
	if field == "" {
		field = "_PARTITIONTIME"
	}
	return fmt.Sprintf("by %s on %s", typ, field)
}

func clustering(c *bigquery.Clustering) []string {
	if c == nil {
		return nil
	}
	return c.Fields
}

func describeFields(fields []string) string {
	if len(fields) == 0 {
		return "nothing"
	}
	return strings.Join(fields, ", ")
}

// requiresPartitionFilter reads the requirement where the API may report
// it: tables created before the top-level field existed carry it in their
// time partitioning.
func requiresPartitionFilter(md *bigquery.TableMetadata) bool {
	return md.RequirePartitionFilter || md.TimePartitioning != nil && md.TimePartitioning.RequirePartitionFilter
}

// isStatus reports whether err is an API error with the HTTP status code.
func isStatus(err error, code int) bool {
	var e *googleapi.Error
	return errors.As(err, &e) && e.Code == code
}
