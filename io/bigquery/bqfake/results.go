package bqfake

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"time"

	bqv2 "google.golang.org/api/bigquery/v2"
)

// getQueryResults serves jobs.getQueryResults, which the client's Job.Read
// calls: once with maxResults=0 to wait for the job and read its schema,
// then for pages of rows (startIndex or pageToken, maxResults).
func (s *Server) getQueryResults(w http.ResponseWriter, r *http.Request) {
	if !s.checkProject(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("job")
	job, ok := s.lookupJob(id, r.URL.Query().Get("location"))
	if !ok {
		writeError(w, http.StatusNotFound, "notFound", fmt.Sprintf("Not found: Job %s:%s", s.project, id))
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
	q := r.URL.Query()
	start := 0
	var err error
	switch {
	case q.Get("pageToken") != "":
		start, err = strconv.Atoi(q.Get("pageToken"))
	case q.Get("startIndex") != "":
		start, err = strconv.Atoi(q.Get("startIndex"))
	}
	if err != nil || start < 0 {
		writeError(w, http.StatusBadRequest, "invalid", "bqfake: bad startIndex or pageToken")
		return
	}
	end := len(res.rows)
	if m := q.Get("maxResults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "invalid", "bqfake: bad maxResults")
			return
		}
		end = min(end, start+n)
	}
	int64Timestamps := q.Get("formatOptions.useInt64Timestamp") == "true"
	for _, row := range res.rows[min(start, end):end] {
		cells := make([]*bqv2.TableCell, len(row))
		for i, v := range row {
			cells[i] = &bqv2.TableCell{V: cellValue(v, res.schema.Fields[i], int64Timestamps)}
		}
		resp.Rows = append(resp.Rows, &bqv2.TableRow{F: cells})
	}
	if end < len(res.rows) {
		resp.PageToken = strconv.Itoa(end)
	}
	resp.JobComplete = true
	resp.Schema = res.schema
	resp.TotalRows = uint64(len(res.rows))
	if stats := job.Statistics.Query; stats != nil {
		resp.NumDmlAffectedRows = stats.NumDmlAffectedRows
	}
	writeJSON(w, resp)
}

// cellValue is a value as the API sends it in a row: text for a scalar, a
// list of cells for an array, nil for NULL. A TIMESTAMP is microseconds
// since the epoch with useInt64Timestamp, else seconds.
func cellValue(v any, f *bqv2.TableFieldSchema, int64Timestamps bool) any {
	if v == nil {
		return nil
	}
	if list, ok := v.([]any); ok && f.Mode == "REPEATED" {
		elem := &bqv2.TableFieldSchema{Name: f.Name, Type: f.Type}
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = map[string]any{"v": cellValue(x, elem, int64Timestamps)}
		}
		return out
	}
	switch v := v.(type) {
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
