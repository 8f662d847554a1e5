package erasure

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/example/clickstream/io/bqwarehouse"
	"github.com/example/clickstream/io/dimensions"
	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/sql/models"
)

// BigQuery is the dataset EraseBigQuery and FileBigQuery work on.
type BigQuery struct {
	// Runner runs every job (bqwarehouse's job helper).
	Runner *bqwarehouse.JobRunner
	// Dataset holds the tables of schemas/tables.
	Dataset string
	// PlanDir keeps the raw plans of erasures in progress, as a local
	// warehouse keeps them (<PlanDir>/_erasure/<run>.plan.json): the run
	// that completes an erasure cut short after its commit must be given
	// the same PlanDir.
	PlanDir string
}

// FileBigQuery adds requests to erasure_requests on BigQuery; a request id
// already filed is left as it was. runID names the job.
func FileBigQuery(ctx context.Context, bq BigQuery, runID string, requests []schemas.ErasureRequest) error {
	have, _, err := bqRecord(ctx, bq, readToken())
	if err != nil {
		return err
	}
	var rows []any
	var ids []string
	for _, r := range requests {
		if !slices.ContainsFunc(have, func(h schemas.ErasureRequest) bool { return h.RequestID == r.RequestID }) &&
			!slices.Contains(ids, r.RequestID) {
			rows, ids = append(rows, r), append(ids, r.RequestID)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	return bqwarehouse.ReplaceRows(ctx, bq.Runner, bq.Dataset, "clickstream_"+runID+"_erasure_requests",
		models.Params{"ids": ids}, []bqwarehouse.Replace{{Table: "erasure_requests", Where: "request_id IN UNNEST(@ids)", Rows: rows}})
}

// EraseBigQuery erases every pending request of erasure_requests (one
// without a complete row in erasure_log) from the BigQuery dataset and the
// raw archive, with the local warehouse's definitions (Rules, the subjects
// read from the bridge and the sessions, the same raw plan). Options'
// Warehouse is not used; its other fields mean what they mean for Erase.
//
//  1. A plan left in bq.PlanDir by an erasure whose commit happened is
//     finished (raw files, dimension step); one that never committed is
//     removed.
//  2. For each table with a Rows rule, one SELECT (every partition: the
//     tables that require a partition filter get event_date >= 1970-01-01
//     or the like) returns the erased rows' request, partition date and raw
//     line: the rule becomes a CASE with one branch per request, in request
//     order, so that a row is the first matching request's, as locally.
//  3. The raw plan is made and written to bq.PlanDir.
//  4. One transaction of DML (bqwarehouse.Transaction) deletes, per table
//     that loses rows, DELETE FROM t WHERE <partition column> IN (DATE
//     'YYYY-MM-DD', ...) AND (<the rule of every request, as one
//     condition>), naming only the partitions that lose rows; marks the
//     erased fact_events dates pending in state_dates
//     (bqwarehouse.PendingStatements, what MarkPending runs), and inserts
//     the log rows. BigQuery commits all of it or none; its job id is
//     derived from the run, so a retry finds it.
//  5. The raw files are rewritten, and the dimension step (bqwarehouse's
//     Engine) rebuilds the dimensions of the pending dates.
//
// A crash before the commit changes nothing (the plan is removed by the
// next run, which plans again from the same tables); after it, the next run
// finishes from the plan. With nothing pending and no plan left it runs
// two SELECTs and changes nothing.
func EraseBigQuery(ctx context.Context, opts Options, bq BigQuery) (Result, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var res Result
	raw := &rawFiles{client: opts.Storage}
	defer raw.close(opts.Storage)
	token := readToken()
	requests, log, err := bqRecord(ctx, bq, token)
	if err != nil {
		return res, err
	}
	dims := bqDimensions(bq, opts.Dimensions)
	pending := notComplete(requests, log)
	if err := finishLeftover(ctx, raw, bq.PlanDir, log, opts, dims); err != nil || len(pending) == 0 {
		return res, err
	}
	res.RunID = runIDOf(pending)
	started := now().UTC()
	subjects, err := bqSubjects(ctx, bq, token, pending)
	if err != nil {
		return res, err
	}
	opts.progress("staging")
	removed := map[string]map[partitionKey]int64{}
	targets := rawTargets{}
	var statements []string
	params := models.Params{}
	for _, table := range rowTables() {
		st, err := bqErased(ctx, bq, token, table, subjects, params, removed, targets)
		if err != nil {
			return res, err
		}
		statements = append(statements, st...)
	}
	plan, err := planRaw(ctx, raw, targets, subjects, opts.Keys)
	if err != nil {
		return res, err
	}
	res.RawFiles = plan.files()
	var factDates []time.Time
	for _, byPart := range removed {
		for p := range byPart {
			if p.table == "fact_events" && !slices.ContainsFunc(factDates, p.date.Equal) {
				factDates = append(factDates, p.date)
			}
		}
	}
	slices.SortFunc(factDates, time.Time.Compare)
	if len(factDates) > 0 {
		statements = append(statements, bqwarehouse.PendingStatements(factDates)...)
	}
	res.Log = logRows(res.RunID, subjects, removed, res.RawFiles, started, now().UTC())
	params["run_id"] = res.RunID
	statements = append(statements, insertLog(res.Log, params))
	if err := writePlan(bq.PlanDir, res.RunID, plan); err != nil {
		return res, err
	}
	opts.progress("committing")
	if err := bqwarehouse.Transaction(ctx, bq.Runner, bq.Dataset, "clickstream_"+res.RunID+"_erase", params, statements); err != nil {
		return res, fmt.Errorf("erasure: commit: %w", err)
	}
	res.summarize(pending)
	return res, finish(ctx, raw, bq.PlanDir, res.RunID, plan, factDates, opts, dims)
}

// readToken names the read-only jobs of one call: a read must not take an
// earlier call's job, and its result, for its own.
func readToken() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand's Read never fails
	return "clickstream_erasure_read_" + hex.EncodeToString(b)
}

// rowTables are the tables with a Rows rule, sorted.
func rowTables() []string {
	var tables []string
	for name, r := range Rules {
		if r.Kind == Rows {
			tables = append(tables, name)
		}
	}
	sort.Strings(tables)
	return tables
}

// BigQueryRequests reads every request filed in bq's erasure_requests (for
// Verify).
func BigQueryRequests(ctx context.Context, bq BigQuery) ([]schemas.ErasureRequest, error) {
	requests, _, err := bqRecord(ctx, bq, readToken())
	return requests, err
}

// VerifyBigQuery searches every table of bq's dataset but the erasure's
// own record for the requests' hashed keys and device ids (and extra)
// anywhere in a row: one query per table, REGEXP_CONTAINS on the row as
// JSON (TO_JSON_STRING), over every partition; a full scan of the dataset,
// billed as such. It returns a Hit per row holding one, at most 1,000 per
// table: Where is the table's name, Row 0 (rows have no position), Needle
// the first needle the row holds.
func VerifyBigQuery(ctx context.Context, bq BigQuery, requests []schemas.ErasureRequest, extra ...string) ([]Hit, error) {
	needles := needlesOf(requests, extra)
	if len(needles) == 0 {
		return nil, nil
	}
	quoted := make([]string, len(needles))
	for i, n := range needles {
		quoted[i] = regexp.QuoteMeta(n)
	}
	params := models.Params{"needles": strings.Join(quoted, "|")}
	token := readToken()
	var hits []Hit
	for _, t := range schemas.Tables() {
		if Rules[t.Name].Kind == Record {
			continue
		}
		where := "TRUE"
		if t.TimePartitioning.Field != "" {
			where = allPartitions(t.Name)
		}
		rows, err := bqwarehouse.Query(ctx, bq.Runner, bq.Dataset, token+"_verify_"+t.Name, fmt.Sprintf(
			"SELECT REGEXP_EXTRACT(TO_JSON_STRING(t), @needles) FROM %s AS t WHERE %s AND REGEXP_CONTAINS(TO_JSON_STRING(t), @needles) LIMIT 1000",
			t.Name, where), params)
		if err != nil {
			return nil, fmt.Errorf("erasure: verify %s: %w", t.Name, err)
		}
		for _, r := range rows {
			hits = append(hits, Hit{Where: bq.Dataset + "." + t.Name, Needle: text(r[0])})
		}
	}
	return hits, nil
}

// bqRecord reads erasure_requests and the request, run and status of
// erasure_log.
func bqRecord(ctx context.Context, bq BigQuery, token string) ([]schemas.ErasureRequest, []schemas.ErasureLog, error) {
	rows, err := bqwarehouse.Query(ctx, bq.Runner, bq.Dataset, token+"_requests",
		"SELECT request_id, received_at, user_keys, device_id FROM erasure_requests", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("erasure: %w", err)
	}
	requests := make([]schemas.ErasureRequest, len(rows))
	for i, r := range rows {
		requests[i] = schemas.ErasureRequest{RequestID: text(r[0]), DeviceID: text(r[3])}
		requests[i].ReceivedAt, _ = r[1].(time.Time)
		list, _ := r[2].([]bigquery.Value)
		for _, k := range list {
			requests[i].UserKeys = append(requests[i].UserKeys, text(k))
		}
	}
	rows, err = bqwarehouse.Query(ctx, bq.Runner, bq.Dataset, token+"_log", "SELECT request_id, run_id, status FROM erasure_log", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("erasure: %w", err)
	}
	log := make([]schemas.ErasureLog, len(rows))
	for i, r := range rows {
		log[i] = schemas.ErasureLog{RequestID: text(r[0]), RunID: text(r[1]), Status: text(r[2])}
	}
	return requests, log, nil
}

// bqSubjects reads the bridge periods of the requests' keys and the
// sessions of their keys and devices, and returns the subject of each
// request.
func bqSubjects(ctx context.Context, bq BigQuery, token string, requests []schemas.ErasureRequest) ([]*subject, error) {
	keys, devices := []string{}, []string{}
	for _, r := range requests {
		keys = append(keys, r.UserKeys...)
		if r.DeviceID != "" {
			devices = append(devices, r.DeviceID)
		}
	}
	params := models.Params{"keys": keys, "devices": devices}
	rows, err := bqwarehouse.Query(ctx, bq.Runner, bq.Dataset, token+"_bridge",
		"SELECT device_id, user_key, valid_from, valid_to FROM dim_device_users WHERE user_key IN UNNEST(@keys)", params)
	if err != nil {
		return nil, fmt.Errorf("erasure: %w", err)
	}
	bridge := make([]schemas.DeviceUser, len(rows))
	for i, r := range rows {
		bridge[i] = schemas.DeviceUser{DeviceID: text(r[0]), UserKey: text(r[1])}
		bridge[i].ValidFrom, _ = r[2].(time.Time)
		bridge[i].ValidTo, _ = r[3].(time.Time)
	}
	rows, err = bqwarehouse.Query(ctx, bq.Runner, bq.Dataset, token+"_sessions",
		"SELECT session_id, user_key, resolved_user_key, device_id FROM fact_sessions WHERE "+allPartitions("fact_sessions")+
			" AND (user_key IN UNNEST(@keys) OR resolved_user_key IN UNNEST(@keys) OR device_id IN UNNEST(@devices))", params)
	if err != nil {
		return nil, fmt.Errorf("erasure: %w", err)
	}
	sessions := make([]schemas.Session, len(rows))
	for i, r := range rows {
		sessions[i] = schemas.Session{SessionID: text(r[0]), UserKey: text(r[1]), ResolvedUserKey: text(r[2]), DeviceID: text(r[3])}
	}
	return subjectsOf(requests, bridge, sessions), nil
}

// bqErased finds table's rows of subjects (one SELECT), counts them in
// removed and their raw lines in targets, and returns the DELETE of them:
// in the partitions that hold some (partition column IN (DATE literals)),
// the rows matching any subject's rule. It adds the parameters they use to
// params.
func bqErased(ctx context.Context, bq BigQuery, token, table string, subjects []*subject, params models.Params,
	removed map[string]map[partitionKey]int64, targets rawTargets) ([]string, error) {
	rule := Rules[table]
	partCol := schemas.MustTable(table).TimePartitioning.Field
	var branches []string
	for i, s := range subjects {
		if cond := bqCondition(table, rule, s, fmt.Sprintf("s%d", i), params); cond != "" {
			branches = append(branches, fmt.Sprintf("WHEN %s THEN %d", cond, i))
		}
	}
	if len(branches) == 0 {
		return nil, nil
	}
	cols := "subject, " + partCol
	if rule.Source != "" && rule.Line != "" {
		cols += ", " + rule.Source + ", " + rule.Line
	}
	query := fmt.Sprintf("SELECT %s FROM (SELECT CASE %s END AS subject, * FROM %s WHERE %s) WHERE subject IS NOT NULL",
		cols, strings.Join(branches, " "), table, allPartitions(table))
	rows, err := bqwarehouse.Query(ctx, bq.Runner, bq.Dataset, token+"_"+table, query, params)
	if err != nil {
		return nil, fmt.Errorf("erasure: %w", err)
	}
	var dates []time.Time
	for _, r := range rows {
		i, _ := r[0].(int64)
		date, _ := r[1].(time.Time)
		id := subjects[i].request.RequestID
		if removed[id] == nil {
			removed[id] = map[partitionKey]int64{}
		}
		removed[id][partitionKey{table, date}]++
		if !slices.ContainsFunc(dates, date.Equal) {
			dates = append(dates, date)
		}
		if len(r) == 4 {
			if line, ok := r[3].(int64); ok && line > 0 {
				targets.add(rawLine{file: text(r[2]), line: line}, id)
			}
		}
	}
	if len(dates) == 0 {
		return nil, nil
	}
	slices.SortFunc(dates, time.Time.Compare)
	cond := bqCondition(table, rule, union(subjects), "all", params)
	return []string{fmt.Sprintf("DELETE FROM %s WHERE %s IN (%s) AND %s", table, partCol, dateLiterals(dates), cond)}, nil
}

// union is the subject whose rows are those of any of subjects: a row
// matches one rule part of a subject exactly when it matches that part of
// the union, so the union's rule is the disjunction of theirs, whose SQL
// does not grow with the number of subjects (but for their periods).
func union(subjects []*subject) *subject {
	u := &subject{keys: map[string]bool{}, devices: map[string]bool{}, periods: map[string][]schemas.DeviceUser{}, sessions: map[string]bool{}}
	needles := map[string]bool{}
	for _, s := range subjects {
		maps.Copy(u.keys, s.keys)
		maps.Copy(u.devices, s.devices)
		maps.Copy(u.sessions, s.sessions)
		for d, ps := range s.periods {
			u.periods[d] = append(u.periods[d], ps...)
		}
		for _, n := range s.needles {
			needles[n] = true
		}
	}
	u.needles = sortedKeys(needles)
	return u
}

// insertLog is the INSERT of the log rows of one erasure (run id @run_id,
// added to params with the request ids, raw files and times): values the
// erasure makes itself (table names, dates, counts, statuses) are
// literals, so that the job's parameters grow with the requests and raw
// files, not with the rows. PARTITION is a reserved word of GoogleSQL: the
// column is quoted.
func insertLog(log []schemas.ErasureLog, params models.Params) string {
	names := map[any]string{}
	param := func(v any) string {
		if _, ok := names[v]; !ok {
			names[v] = fmt.Sprintf("log_%d", len(names))
			params[names[v]] = v
		}
		return "@" + names[v]
	}
	partition := func(p string) string {
		if p == "" {
			return "NULL"
		}
		return "'" + p + "'"
	}
	tuples := make([]string, len(log))
	for i, l := range log {
		file := "NULL"
		if l.RawFile != "" {
			file = param(l.RawFile)
		}
		tuples[i] = fmt.Sprintf("(%s, @run_id, %s, %s, %s, %d, %s, %s, %s)", param(l.RequestID), "'"+l.Target+"'",
			partition(l.Partition), file, l.RowsRemoved, "'"+l.Status+"'", param(l.StartedAt),
			param(l.FinishedAt))
	}
	return "INSERT INTO erasure_log (request_id, run_id, target, `partition`, raw_file, rows_removed, status, started_at, finished_at) VALUES\n" +
		strings.Join(tuples, ",\n")
}

// bqCondition is rule's match of s as a GoogleSQL condition on table's
// columns (what matcher.matches decides locally), its values parameters
// named <prefix>_... added to params; "" when nothing of table can match.
func bqCondition(table string, rule Rule, s *subject, prefix string, params models.Params) string {
	var or []string
	if keys := sortedKeys(s.keys); len(keys) > 0 {
		params[prefix+"_keys"] = keys
		for _, c := range rule.Keys {
			or = append(or, c+" IN UNNEST(@"+prefix+"_keys)")
		}
	}
	if sessions := sortedKeys(s.sessions); rule.Session != "" && len(sessions) > 0 {
		params[prefix+"_sessions"] = sessions
		or = append(or, rule.Session+" IN UNNEST(@"+prefix+"_sessions)")
	}
	if rule.Device != "" {
		if devices := sortedKeys(s.devices); len(devices) > 0 {
			params[prefix+"_devices"] = devices
			or = append(or, rule.Device+" IN UNNEST(@"+prefix+"_devices)")
		}
		if rule.At != "" {
			or = append(or, periodConditions(table, rule, s, prefix, params)...)
		}
	}
	for _, c := range rule.Payload {
		for j, n := range s.needles {
			p := fmt.Sprintf("%s_n%d", prefix, j)
			params[p] = n
			or = append(or, fmt.Sprintf("STRPOS(%s, @%s) > 0", c, p))
		}
	}
	if len(or) == 0 {
		return ""
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// periodConditions match the rows of a device of s whose At falls in one
// of the person's periods on it; a DATE At is in a period when its day
// overlaps it (matcher.inPeriod).
func periodConditions(table string, rule Rule, s *subject, prefix string, params models.Params) []string {
	c, _ := schemas.MustTable(table).Column(rule.At)
	isDate := c.Type == "DATE"
	kind := "pt" // the parameters of a TIMESTAMP At, or of a DATE one
	if isDate {
		kind = "pd"
	}
	var or []string
	for _, d := range sortedKeys(s.periods) {
		for _, p := range s.periods[d] {
			name := fmt.Sprintf("%s_%s%d", prefix, kind, len(or))
			params[name+"_d"] = d
			var from, to any = p.ValidFrom, p.ValidTo
			if isDate {
				from, to = models.DateOf(p.ValidFrom), models.DateOf(ceilDay(p.ValidTo))
			}
			params[name+"_f"] = from
			cond := fmt.Sprintf("(%s = @%s_d AND %s >= @%s_f", rule.Device, name, rule.At, name)
			if !p.ValidTo.IsZero() {
				params[name+"_t"] = to
				cond += fmt.Sprintf(" AND %s < @%s_t", rule.At, name)
			}
			or = append(or, cond+")")
		}
	}
	return or
}

// ceilDay is t rounded up to a midnight (UTC): a day is before t when it
// is before ceilDay(t).
func ceilDay(t time.Time) time.Time {
	d := schemas.DateOf(t)
	if d.Equal(t) {
		return d
	}
	return d.AddDate(0, 0, 1)
}

// allPartitions is a filter on table's partition column that every
// partition passes: tables that require a partition filter are read whole
// with it.
func allPartitions(table string) string {
	return schemas.MustTable(table).TimePartitioning.Field + " >= DATE '1970-01-01'"
}

// dateLiterals are dates as GoogleSQL DATE literals, comma-separated.
func dateLiterals(dates []time.Time) string {
	out := make([]string, len(dates))
	for i, d := range dates {
		out[i] = "DATE '" + d.UTC().Format(time.DateOnly) + "'"
	}
	return strings.Join(out, ", ")
}

// bqDimensions runs the dimension step on BigQuery (bqwarehouse's Engine)
// for the erased dates and every pending one.
func bqDimensions(bq BigQuery, opts dimensions.Options) dimensionStep {
	return func(ctx context.Context, runID string, dates []time.Time) error {
		e, err := bqwarehouse.NewEngine(ctx, bqwarehouse.EngineOptions{Runner: bq.Runner, Dataset: bq.Dataset, RunID: runID + "-dims"})
		if err != nil {
			return fmt.Errorf("erasure: dimension step: %w", err)
		}
		opts.RunID, opts.Dates = runID, dates
		_, err = dimensions.Run(ctx, e, opts)
		return errors.Join(err, e.Close(ctx))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// text is a nullable STRING value read back ("" for NULL).
func text(v any) string {
	s, _ := v.(string)
	return s
}
