package runstatustest

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	bqv2 "google.golang.org/api/bigquery/v2"
	"google.golang.org/api/option"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/schemas"
)

// runTables are the tables runstatus reads.
var runTables = []string{"runs", "run_outcomes", "run_partitions"}

// pageRows is the rows of one tabledata.list page: small, so that a test
// reads several pages, as a reader of a long history does.
const pageRows = 3

// BigQuery is a bqfake.Server for one dataset that also serves
// tabledata.list. Its URL and ClientOptions are those of the front server.
type BigQuery struct {
	*bqfake.Server
	Project, Dataset string
	front            *httptest.Server
}

// NewBigQuery starts a server for project holding dataset (location US) and
// the run tables, created from schemas/tables; it is closed when tb ends.
func NewBigQuery(tb testing.TB, project, dataset string) *BigQuery {
	tb.Helper()
	back := bqfake.NewServer(project)
	b := &BigQuery{Server: back, Project: project, Dataset: dataset}
	b.AddDataset(dataset, "US")
	backURL, err := url.Parse(back.URL())
	if err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	// The client puts the API's path under the endpoint; also accept
	// Google's /bigquery/v2 prefix, as bqfake does.
	for _, prefix := range []string{"", "/bigquery/v2"} {
		mux.HandleFunc("GET "+prefix+"/projects/{project}/datasets/{dataset}/tables/{table}/data", b.listTableData)
	}
	mux.Handle("/", httputil.NewSingleHostReverseProxy(backURL))
	b.front = httptest.NewServer(mux)
	tb.Cleanup(func() {
		b.front.Close()
		back.Close()
	})

	var defs []schemas.Table
	for _, name := range runTables {
		defs = append(defs, schemas.MustTable(name))
	}
	client := b.client(tb)
	if err := bqwarehouse.EnsureTables(context.Background(), client, dataset, defs, true); err != nil {
		tb.Fatal(err)
	}
	return b
}

// URL is the front server's base URL, for option.WithEndpoint (and
// runstatus's --bq_endpoint).
func (b *BigQuery) URL() string { return b.front.URL }

// ClientOptions connect a BigQuery client to the front server.
func (b *BigQuery) ClientOptions() []option.ClientOption {
	return []option.ClientOption{option.WithEndpoint(b.URL()), option.WithoutAuthentication()}
}

// client returns a client of the server, closed when tb ends.
func (b *BigQuery) client(tb testing.TB) *bigquery.Client {
	tb.Helper()
	client, err := bigquery.NewClient(context.Background(), b.Project, b.ClientOptions()...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = client.Close() })
	return client
}

// listTableData serves tabledata.list from the rows bqfake holds, in
// pages of pageRows rows.
func (b *BigQuery) listTableData(w http.ResponseWriter, r *http.Request) {
	dataset, name := r.PathValue("dataset"), r.PathValue("table")
	q := r.URL.Query()
	switch {
	case strings.Contains(name, "$"):
		writeError(w, http.StatusNotImplemented, "runstatustest: tabledata.list of a partition is not implemented")
		return
	case q.Get("formatOptions.useInt64Timestamp") != "true":
		writeError(w, http.StatusNotImplemented, "runstatustest: tabledata.list without formatOptions.useInt64Timestamp=true is not implemented")
		return
	}
	meta, ok := b.Table(dataset, name)
	if !ok || meta.TableReference.ProjectId != r.PathValue("project") {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Not found: Table %s:%s.%s", r.PathValue("project"), dataset, name))
		return
	}
	start, err := strconv.Atoi(q.Get("pageToken"))
	if q.Get("pageToken") == "" {
		start, err = strconv.Atoi(cmp.Or(q.Get("startIndex"), "0"))
	}
	if err != nil || start < 0 {
		writeError(w, http.StatusBadRequest, "runstatustest: bad pageToken or startIndex")
		return
	}
	size := pageRows
	if n, err := strconv.Atoi(q.Get("maxResults")); err == nil && n > 0 {
		size = min(n, pageRows)
	}
	rows := b.Rows(dataset, name)
	resp := &bqv2.TableDataList{Kind: "bigquery#tableDataList", TotalRows: int64(len(rows))}
	end := min(start+size, len(rows))
	for _, row := range rows[min(start, end):end] {
		tr := &bqv2.TableRow{}
		for _, f := range meta.Schema.Fields {
			cell, err := encodeCell(f, row[f.Name])
			if err != nil {
				writeError(w, http.StatusNotImplemented, fmt.Sprintf("runstatustest: column %s: %v", f.Name, err))
				return
			}
			tr.F = append(tr.F, cell)
		}
		resp.Rows = append(resp.Rows, tr)
	}
	if end < len(rows) {
		resp.PageToken = strconv.Itoa(end)
	}
	writeJSON(w, resp)
}

// encodeCell encodes a value as tabledata.list does: a string per scalar
// (TIMESTAMP as Unix microseconds), a list of cells for a REPEATED column,
// null for NULL.
func encodeCell(f *bqv2.TableFieldSchema, v any) (*bqv2.TableCell, error) {
	if v == nil {
		return &bqv2.TableCell{}, nil
	}
	if f.Mode == "REPEATED" {
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("a REPEATED value of type %T", v)
		}
		cells := make([]*bqv2.TableCell, len(list))
		elem := *f
		elem.Mode = "REQUIRED"
		for i, x := range list {
			c, err := encodeCell(&elem, x)
			if err != nil {
				return nil, err
			}
			cells[i] = c
		}
		return &bqv2.TableCell{V: cells}, nil
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	case []byte:
		s = base64.StdEncoding.EncodeToString(x)
	case time.Time:
		switch f.Type {
		case "DATE":
			s = x.UTC().Format(time.DateOnly)
		case "TIMESTAMP":
			s = strconv.FormatInt(x.UnixMicro(), 10)
		default:
			return nil, fmt.Errorf("a time in a %s column", f.Type)
		}
	default:
		return nil, fmt.Errorf("values of type %T (%s) are not implemented", v, f.Type)
	}
	return &bqv2.TableCell{V: s}, nil
}
