package sanitize

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x1(deadLetterStrings)
}

func TestMain(m *testing.M) { ptest.Main(m) }

func TestString(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{name: "fits", in: "abc", limit: 3, want: "abc"},
		{name: "cut", in: "abcdef", limit: 4, want: "abcd"},
		{name: "cut before a split character", in: "ab€", limit: 4, want: "ab"}, // € is 3 bytes
		{name: "character that fits exactly", in: "a€b", limit: 4, want: "a€"},
		{name: "invalid byte replaced", in: "a\xffb", limit: 10, want: "a\uFFFDb"},
		{name: "run of invalid bytes is one replacement", in: "a\xff\xfe\xfdb", limit: 10, want: "a\uFFFDb"},
		{name: "replacement that no longer fits is cut", in: "abc\xff", limit: 4, want: "abc"},
		{name: "truncated sequence at the end", in: "ab\xe2\x82", limit: 10, want: "ab\uFFFD"},
		{name: "long invalid run then text", in: strings.Repeat("\xff", 100) + "xyz", limit: 6, want: "\uFFFDxyz"},
		{name: "empty", in: "", limit: 1, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := String(tt.in, tt.limit)
			if got != tt.want {
				t.Errorf("String(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
			if !utf8.ValidString(got) || len(got) > tt.limit {
				t.Errorf("String(%q, %d) = %q: invalid or too long", tt.in, tt.limit, got)
			}
		})
	}
}

// hostile is a value no column may store: invalid UTF-8, and longer than
// any bound.
var hostile = "\xff" + strings.Repeat("é", 20000) + "\xc3"

// sinkRows are the row types of the tables the sinks write.
var sinkRows = map[string]any{
	"fact_events":    schemas.Event{},
	"bot_events":     schemas.BotEvent{},
	"dead_letter":    schemas.DeadLetter{},
	"fact_sessions":  schemas.Session{},
	"reconciliation": schemas.Reconciliation{},

	"cart_abandonment": schemas.CartAbandonment{},
	"live_funnel_10m":  schemas.LiveFunnel{},
	"live_products_1h": schemas.LiveProduct{},
	"live_search_1h":   schemas.LiveSearch{},
	"live_anomalies":   schemas.Anomaly{},
}

// TestRowEveryColumn sets every string field of each sink table's row type
// to a hostile value and checks that every STRING column comes out valid
// and within its bound, that nothing else changed, and that the input row
// (including a REPEATED column's backing array) was not written to.
func TestRowEveryColumn(t *testing.T) {
	for table, zero := range sinkRows {
		t.Run(table, func(t *testing.T) {
			in := reflect.New(reflect.TypeOf(zero)).Elem()
			var seq []string
			for i := range in.NumField() {
				f := in.Field(i)
				switch f.Type() {
				case reflect.TypeFor[string]():
					f.SetString(hostile)
				case reflect.TypeFor[[]string]():
					seq = []string{"/ok", hostile}
					f.Set(reflect.ValueOf(seq))
				case reflect.TypeFor[int64]():
					f.SetInt(7)
				case reflect.TypeFor[time.Time]():
					f.Set(reflect.ValueOf(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)))
				}
			}
			p, err := planFor(table, in.Type())
			if err != nil {
				t.Fatal(err)
			}
			outAny, changed := p.apply(in.Interface())
			if !changed {
				t.Fatal("apply reports no change")
			}
			out := reflect.ValueOf(outAny)
			bounds := columnBounds(t, table)
			for i := range out.NumField() {
				sf := out.Type().Field(i)
				column, _, _ := strings.Cut(sf.Tag.Get("parquet"), ",")
				limit, isColumn := bounds[column]
				got := out.Field(i)
				switch {
				case !isColumn:
					if !reflect.DeepEqual(got.Interface(), in.Field(i).Interface()) {
						t.Errorf("%s (not a STRING column) changed", sf.Name)
					}
				case got.Kind() == reflect.Slice:
					for _, s := range got.Interface().([]string) {
						checkValue(t, column, s, limit)
					}
				default:
					checkValue(t, column, got.String(), limit)
				}
			}
			if seq != nil && (seq[1] != hostile || seq[0] != "/ok") {
				t.Errorf("the input's list was written to: %q", seq[0])
			}
			for i := range in.NumField() {
				if f := in.Field(i); f.Kind() == reflect.String && f.String() != hostile {
					t.Errorf("the input's %s was written to", in.Type().Field(i).Name)
				}
			}
		})
	}
}

func checkValue(t *testing.T, column, s string, limit int) {
	t.Helper()
	if !utf8.ValidString(s) || len(s) > limit {
		t.Errorf("%s: %d bytes (bound %d), valid UTF-8 %t", column, len(s), limit, utf8.ValidString(s))
	}
	// A bound shorter than the cut value's first characters (geo_country,
	// 2 bytes) leaves a prefix of them.
	const cut = "\uFFFDé"
	short := limit < len(cut) && strings.HasPrefix(cut, s) //nolint:gocritic // s must be a prefix of cut
	if !strings.HasPrefix(s, cut) && s != "/ok" && !short {
		t.Errorf("%s: %.20q is not the cut value", column, s)
	}
}

// columnBounds reads the STRING columns' bounds of table.
func columnBounds(t *testing.T, table string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, c := range schemas.MustTable(table).Schema {
		if c.Type == "STRING" {
			out[c.Name] = int(c.MaxLength)
		}
	}
	return out
}

func TestRowUnchanged(t *testing.T) {
	in := schemas.DeadLetter{Reason: "bad_json", Detail: "invalid JSON at byte 3", Payload: `{"a":"é"}`, Source: "f.jsonl"}
	p, err := planFor("dead_letter", reflect.TypeOf(in))
	if err != nil {
		t.Fatal(err)
	}
	if out, changed := p.apply(in); changed || out.(schemas.DeadLetter) != in {
		t.Errorf("apply(%+v) = %+v, %t; want it unchanged", in, out, changed)
	}
	if got := Row("dead_letter", in); got != in {
		t.Errorf("Row = %+v, want %+v", got, in)
	}
	if got := Row("dead_letter", schemas.DeadLetter{Detail: strings.Repeat("x", 5000)}); len(got.Detail) != 1024 {
		t.Errorf("Row cut detail to %d bytes, want dead_letter.detail's 1024", len(got.Detail))
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name, table string
		rowType     reflect.Type
		want        string
	}{
		{"unknown table", "no_such_table", reflect.TypeFor[schemas.Event](), `no table "no_such_table"`},
		{"row type of another table", "dead_letter", reflect.TypeFor[schemas.Event](), "column reason has no string field"},
		{"not a struct", "fact_events", reflect.TypeFor[string](), "is not a struct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := planFor(tt.table, tt.rowType)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("planFor error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEveryTableHasAPlan: each table of schemas/tables can be sanitized with
// its row type (the sinks' tables and the dimensions).
func TestEveryTableHasAPlan(t *testing.T) {
	types := map[string]reflect.Type{
		"dim_device_users": reflect.TypeFor[schemas.DeviceUser](),
		"dim_devices":      reflect.TypeFor[schemas.Device](),
		"dim_users":        reflect.TypeFor[schemas.User](),
		"dim_pages":        reflect.TypeFor[schemas.Page](),

		"state_device_days":      reflect.TypeFor[schemas.DeviceDay](),
		"state_device_user_runs": reflect.TypeFor[schemas.DeviceUserRun](),
		"state_page_days":        reflect.TypeFor[schemas.PageDay](),
		"state_user_days":        reflect.TypeFor[schemas.UserDay](),
		"state_dates":            reflect.TypeFor[schemas.StateDate](),

		"runs":           reflect.TypeFor[schemas.Run](),
		"run_outcomes":   reflect.TypeFor[schemas.RunOutcome](),
		"run_partitions": reflect.TypeFor[schemas.RunPartition](),

		"dimension_lease": reflect.TypeFor[schemas.Lease](),

		"erasure_requests": reflect.TypeFor[schemas.ErasureRequest](),
		"erasure_log":      reflect.TypeFor[schemas.ErasureLog](),
	}
	for table, zero := range sinkRows {
		types[table] = reflect.TypeOf(zero)
	}
	for _, tbl := range schemas.Tables() {
		rowType, ok := types[tbl.Name]
		if !ok {
			t.Errorf("table %s: no row type known to this test", tbl.Name)
			continue
		}
		if _, err := planFor(tbl.Name, rowType); err != nil {
			t.Error(err)
		}
	}
}

// TestRowsPipeline runs Rows on the local runner.
func TestRowsPipeline(t *testing.T) {
	rows := []schemas.DeadLetter{
		{Reason: "bad_json", Detail: "fine", Source: "a"},
		{Reason: "bad_json", Detail: "bad \xff byte", Source: "b"},
		{Reason: "bad_json", Detail: strings.Repeat("d", 3000), Source: "c"},
	}
	p, s := beam.NewPipelineWithRoot()
	out := Rows(s, "dead_letter", beam.CreateList(s, rows))
	passert.Equals(s, beam.ParDo(s, deadLetterStrings, out),
		"a fine", "b bad \uFFFD byte", "c "+strings.Repeat("d", 1024))
	ptest.RunAndValidate(t, p)
}

func deadLetterStrings(d schemas.DeadLetter) string { return d.Source + " " + d.Detail }

func TestRowsPanicsOnAWrongTable(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Rows accepted a PCollection of another table's row type")
		}
	}()
	_, s := beam.NewPipelineWithRoot()
	Rows(s, "dead_letter", beam.CreateList(s, []schemas.Event{{EventID: "e"}}))
}
