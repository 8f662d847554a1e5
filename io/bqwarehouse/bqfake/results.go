package bqfake

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	bqv2 "google.golang.org/api/bigquery/v2"
)

// getQueryResults serves jobs.getQueryResults, which the client's Job.Read
// calls: once with maxResults=0 to wait for the job and read its schema,
// then for pages of rows.
func (s *Server) getQueryResults(w http.ResponseWriter, r *http.Request) {
	if !s.checkProject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, job, ok := s.requestedJob(w, r)
	if !ok {
		return
	}
	if job.Configuration.Query == nil {
		writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("Job %s is not a query job", id))
		return
	}
	s.poll(r, id, job)
	resp := &bqv2.GetQueryResultsResponse{Kind: "bigquery#getQueryResultsResponse", JobReference: job.JobReference}
	if job.Status.State != "DONE" {
		writeJSON(w, resp)
		return
	}
	if e := job.Status.ErrorResult; e != nil {
		writeError(w, http.StatusBadRequest, e.Reason, e.Message)
		return
	}
	res := s.results[id]
	if res == nil {
		res = &result{schema: &bqv2.TableSchema{}}
	}
	rows, token, err := page(r.URL.Query(), res.schema, res.rows)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	resp.JobComplete = true
	resp.Schema = res.schema
	resp.TotalRows = uint64(len(res.rows))
	resp.Rows, resp.PageToken = rows, token
	if stats := job.Statistics.Query; stats != nil {
		resp.NumDmlAffectedRows = stats.NumDmlAffectedRows
	}
	writeJSON(w, resp)
}

// listTableData serves tabledata.list, which the client's Table.Read
// calls: a table's rows, in pages as for getQueryResults.
func (s *Server) listTableData(w http.ResponseWriter, r *http.Request) {
	if !s.checkProject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dataset, name := r.PathValue("dataset"), r.PathValue("table")
	t := s.lookupTable(dataset, name)
	if t == nil {
		writeError(w, http.StatusNotFound, "notFound", s.notFoundTable(dataset, name))
		return
	}
	stored, err := s.store.rowsOf(r.Context(), dataset, t)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internalError", err.Error())
		return
	}
	values := make([][]any, len(stored))
	for i, row := range stored {
		values[i] = make([]any, len(t.meta.Schema.Fields))
		for j, f := range t.meta.Schema.Fields {
			values[i][j] = row[f.Name]
		}
	}
	rows, token, err := page(r.URL.Query(), t.meta.Schema, values)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	writeJSON(w, &bqv2.TableDataList{Kind: "bigquery#tableDataList", TotalRows: int64(len(values)), Rows: rows, PageToken: token})
}

// page returns the rows of one page of a listing, as the API sends them:
// from startIndex, or from pageToken (the index the previous page ended
// at), at most maxResults of them (all without it), and the next page's
// token ("" after the last).
func page(q url.Values, schema *bqv2.TableSchema, values [][]any) ([]*bqv2.TableRow, string, error) {
	start := 0
	var err error
	switch {
	case q.Get("pageToken") != "":
		start, err = strconv.Atoi(q.Get("pageToken"))
	case q.Get("startIndex") != "":
		start, err = strconv.Atoi(q.Get("startIndex"))
	}
	if err != nil || start < 0 {
		return nil, "", fmt.Errorf("bqfake: bad startIndex or pageToken")
	}
	end := len(values)
	if m := q.Get("maxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return nil, "", fmt.Errorf("bqfake: bad maxResults")
		}
		end = min(end, start+n)
	}
	int64Timestamps := q.Get("formatOptions.useInt64Timestamp") == "true"
	var rows []*bqv2.TableRow
	for _, row := range values[min(start, end):end] {
		cells := make([]*bqv2.TableCell, len(row))
		for i, v := range row {
			cells[i] = &bqv2.TableCell{V: cellValue(v, schema.Fields[i], int64Timestamps)}
		}
		rows = append(rows, &bqv2.TableRow{F: cells})
	}
	token := ""
	if end < len(values) {
		token = strconv.Itoa(end)
	}
	return rows, token, nil
}

// cellValue is a value as the API sends it in a row: text for a scalar, a
// list of cells for an array, {"f": cells} for a record, nil for NULL. A TIMESTAMP is microseconds
// since the epoch with useInt64Timestamp, else seconds.
func cellValue(v any, f *bqv2.TableFieldSchema, int64Timestamps bool) any {
	if v == nil {
		return nil
	}
	if list, ok := v.([]any); ok && f.Mode == "REPEATED" {
		elem := &bqv2.TableFieldSchema{Name: f.Name, Type: f.Type, Fields: f.Fields}
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = map[string]any{"v": cellValue(x, elem, int64Timestamps)}
		}
		return out
	}
	switch v := v.(type) {
	case map[string]any: // a RECORD: its fields' cells, in schema order
		cells := make([]any, len(f.Fields))
		for i, sub := range f.Fields {
			cells[i] = map[string]any{"v": cellValue(v[sub.Name], sub, int64Timestamps)}
		}
		return map[string]any{"f": cells}
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case []byte:
		return base64.StdEncoding.EncodeToString(v)
	case time.Time:
		switch f.Type {
		case "DATE":
			return v.Format(time.DateOnly)
		case "DATETIME":
			return v.Format("2006-01-02T15:04:05.999999")
		case "TIMESTAMP":
			if int64Timestamps {
				return strconv.FormatInt(v.UnixMicro(), 10)
			}
			return fmt.Sprintf("%d.%06d", v.Unix(), v.Nanosecond()/1000)
		}
	}
	return fmt.Sprint(v)
}
