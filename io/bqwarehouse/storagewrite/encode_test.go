package storagewrite

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/example/clickstream/schemas"
)

// every is a table with a column of each type and mode the encoder takes.
var every = schemas.Table{Name: "every", Schema: []schemas.Column{
	{Name: "s", Type: "STRING", Mode: "REQUIRED"},
	{Name: "ns", Type: "STRING", Mode: "NULLABLE"},
	{Name: "i", Type: "INT64", Mode: "REQUIRED"},
	{Name: "ni", Type: "INT64", Mode: "NULLABLE"},
	{Name: "ri", Type: "INT64", Mode: "REQUIRED"},
	{Name: "f", Type: "FLOAT64", Mode: "REQUIRED"},
	{Name: "nf", Type: "FLOAT64", Mode: "NULLABLE"},
	{Name: "b", Type: "BOOL", Mode: "REQUIRED"},
	{Name: "d", Type: "DATE", Mode: "REQUIRED"},
	{Name: "nd", Type: "DATE", Mode: "NULLABLE"},
	{Name: "ts", Type: "TIMESTAMP", Mode: "REQUIRED"},
	{Name: "nts", Type: "TIMESTAMP", Mode: "NULLABLE"},
	{Name: "l", Type: "STRING", Mode: "REPEATED"},
}}

type everyRow struct {
	S   string    `parquet:"s"`
	NS  string    `parquet:"ns,optional"`
	I   int64     `parquet:"i"`
	NI  *int64    `parquet:"ni,optional"`
	RI  *int64    `parquet:"ri"`
	F   float64   `parquet:"f"`
	NF  *float64  `parquet:"nf,optional"`
	B   bool      `parquet:"b"`
	D   time.Time `parquet:"d,date"`
	ND  time.Time `parquet:"nd,optional,date"`
	TS  time.Time `parquet:"ts,timestamp(microsecond)"`
	NTS time.Time `parquet:"nts,optional,timestamp(microsecond)"`
	L   []string  `parquet:"l,list"`
	Tmp string    `parquet:"-"`
}

// decodeMessage decodes an encoded row with the encoder's descriptor, as
// the Write API does.
func decodeMessage(t *testing.T, dp *descriptorpb.DescriptorProto, b []byte) protoreflect.Message {
	t.Helper()
	file, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("test.proto"), Syntax: proto.String("proto2"), MessageType: []*descriptorpb.DescriptorProto{dp},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := dynamicpb.NewMessage(file.Messages().Get(0))
	if err := proto.Unmarshal(b, msg); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return msg
}

func TestEncode(t *testing.T) {
	enc, err := newRowEncoder(every, reflect.TypeFor[everyRow]())
	if err != nil {
		t.Fatal(err)
	}
	one, minus, half := int64(1), int64(-5), 0.5
	ts := time.Date(1969, 12, 31, 23, 59, 59, 999_999_000, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		name string
		row  everyRow
		want map[string]any // decoded fields set; every other field must be unset
		json string
	}{
		{
			name: "all set",
			row: everyRow{S: "a", NS: "b", I: -7, NI: &minus, RI: &one, F: 1.25, NF: &half, B: true,
				D: ts, ND: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), TS: ts, NTS: ts, L: []string{"x", "", "z"}, Tmp: "dropped"},
			want: map[string]any{"s": "a", "ns": "b", "i": int64(-7), "ni": int64(-5), "ri": int64(1), "f": 1.25, "nf": 0.5, "b": true,
				// ts is 1969-12-31 22:59:59.999999 UTC: day -1, one microsecond short of -3600 s.
				"d": int32(-1), "nd": int32(20758), "ts": int64(-3_600_000_001), "nts": int64(-3_600_000_001), "l": []string{"x", "", "z"}},
			json: `{"b":true,"d":"1969-12-31","f":1.25,"i":-7,"l":["x","","z"],"nd":"2026-11-01","nf":0.5,"ni":-5,"ns":"b",` +
				`"nts":"1969-12-31T22:59:59.999999Z","ri":1,"s":"a","ts":"1969-12-31T22:59:59.999999Z"}`,
		},
		{
			name: "NULLs",
			row:  everyRow{RI: &one},
			// Required columns are sent even when empty; NULLABLE ones are
			// left out; an empty list is no element.
			want: map[string]any{"s": "", "i": int64(0), "ri": int64(1), "f": 0.0, "b": false,
				"d": int32(-719162), "ts": time.Time{}.UnixMicro()},
			json: `{"b":false,"d":"0001-01-01","f":0,"i":0,"l":[],"ri":1,"s":"","ts":"0001-01-01T00:00:00Z"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := enc.encode(tc.row)
			if err != nil {
				t.Fatal(err)
			}
			msg := decodeMessage(t, enc.descriptor, b)
			fields := msg.Descriptor().Fields()
			for i := range fields.Len() {
				fd := fields.Get(i)
				want, set := tc.want[string(fd.Name())]
				if fd.IsList() {
					var got []string
					for j := range msg.Get(fd).List().Len() {
						got = append(got, msg.Get(fd).List().Get(j).String())
					}
					if !reflect.DeepEqual(any(got), want) && !(want == nil && got == nil) {
						t.Errorf("%s = %q, want %v", fd.Name(), got, want)
					}
					continue
				}
				if msg.Has(fd) != set {
					t.Errorf("%s set %t, want %t", fd.Name(), msg.Has(fd), set)
					continue
				}
				if got := msg.Get(fd).Interface(); set && got != want {
					t.Errorf("%s = %v (%T), want %v (%T)", fd.Name(), got, got, want, want)
				}
			}
			if got := enc.json(tc.row); got != tc.json {
				t.Errorf("json:\n got %s\nwant %s", got, tc.json)
			}
		})
	}
	nan := math.NaN()
	if got := enc.json(everyRow{RI: &one, F: math.Inf(1), NF: &nan}); !strings.Contains(got, `"f":"+Inf"`) || !strings.Contains(got, `"nf":"NaN"`) {
		t.Errorf("json with non-finite floats: %s", got)
	}
	if _, err := enc.encode(everyRow{}); err == nil || !strings.Contains(err.Error(), "required column ri is NULL") {
		t.Errorf("encode with a NULL required column: error %v", err)
	}
	if _, err := enc.encode(schemas.Event{}); err == nil {
		t.Error("encode of a row of another type: no error")
	}
}

func TestNewRowEncoderMismatch(t *testing.T) {
	type wrongType struct {
		S int64 `parquet:"s"`
	}
	type extraField struct {
		S     string `parquet:"s"`
		Extra string `parquet:"extra"`
	}
	type missingField struct {
		Other string `parquet:"-"`
	}
	table := schemas.Table{Name: "t", Schema: []schemas.Column{{Name: "s", Type: "STRING", Mode: "REQUIRED"}}}
	for _, tc := range []struct {
		rowType reflect.Type
		want    string
	}{
		{reflect.TypeFor[wrongType](), "column s (STRING): field S is int64, want string"},
		{reflect.TypeFor[extraField](), "fields of storagewrite.extraField that are not columns: extra"},
		{reflect.TypeFor[missingField](), "column s has no field"},
		{reflect.TypeFor[string](), "is not a struct"},
	} {
		if _, err := newRowEncoder(table, tc.rowType); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("newRowEncoder(%v) = %v, want an error with %q", tc.rowType, err, tc.want)
		}
	}
	// The pipeline's row types match their tables.
	for table, rowType := range map[string]reflect.Type{
		"fact_events": reflect.TypeFor[schemas.Event](), "bot_events": reflect.TypeFor[schemas.BotEvent](),
		"dead_letter": reflect.TypeFor[schemas.DeadLetter](), "fact_sessions": reflect.TypeFor[schemas.Session](),
	} {
		if _, err := newRowEncoder(schemas.MustTable(table), rowType); err != nil {
			t.Errorf("%s: %v", table, err)
		}
	}
}

// The fallback dead letter of a refused row: minimal, sanitized, dated and
// placed by the row, whatever the row holds.
func TestFallbackRow(t *testing.T) {
	published := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
	event := makeEvents("fb", 1)[0]
	event.Source, event.SourceLine, event.BeaconIndex = "gs://landing/a.jsonl", 12, 2
	badEvent := event
	badEvent.EventDate = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	badEvent.Source = "gs://landing/\xff" + strings.Repeat("x", 2000)
	badEvent.Delivery.Published = published
	bot := makeBotEvents("fb", 1)[0]
	dead := makeDeadLetters("fb", 1)[0]
	dead.Payload = `{"user_id":"alice@example.com","ip":"203.0.113.9"}`
	for _, tc := range []struct {
		name, table string
		row         any
		detail      string
		want        Rejected
		values      []string // must not appear in the fallback row's strings
	}{
		{"event", "fact_events", event, "bad", Rejected{Table: "fact_events", Fallback: schemas.DeadLetter{
			DeadLetterDate: day, Detail: "fact_events: bad", Source: "gs://landing/a.jsonl", SourceLine: 12, BeaconIndex: 2, Delivery: event.Delivery,
		}}, []string{event.EventID, event.DeviceID, event.PageURL}},
		{"event with an absurd date and an unclean source", "fact_events", badEvent, "bad \xff value", Rejected{Table: "fact_events", Fallback: schemas.DeadLetter{
			DeadLetterDate: schemas.DateOf(published), Detail: "fact_events: bad \ufffd value",
			Source: pseudoTruncate("gs://landing/\ufffd"+strings.Repeat("x", 2000), 1024), SourceLine: 12, BeaconIndex: 2, Delivery: badEvent.Delivery,
		}}, []string{event.EventID}},
		{"bot event: keyed by its rule", "bot_events", bot, "no", Rejected{Table: "bot_events", Key: schemas.BotRuleUserAgent, Fallback: schemas.DeadLetter{
			DeadLetterDate: day, Detail: "bot_events: no", Source: bot.Source, Delivery: bot.Delivery,
		}}, []string{bot.EventID, "Googlebot"}},
		{"dead letter: keyed by its reason, payload not kept", "dead_letter", dead, "no", Rejected{Table: "dead_letter", Key: schemas.ReasonBadJSON, Fallback: schemas.DeadLetter{
			DeadLetterDate: day, Detail: "dead_letter: no", Source: dead.Source, SourceLine: dead.SourceLine, Delivery: dead.Delivery,
		}}, []string{"alice", "203.0.113.9", "e0"}},
		{"session: no source, no date in range, no message: today (want has no date)", "fact_sessions", schemas.Session{SessionID: "s1", DeviceID: "d1"}, "no",
			Rejected{Table: "fact_sessions", Fallback: schemas.DeadLetter{Detail: "fact_sessions: no", Source: "bigquery:fact_sessions"}},
			[]string{"s1", "d1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := newRowEncoder(schemas.MustTable(tc.table), reflect.TypeOf(tc.row))
			if err != nil {
				t.Fatal(err)
			}
			before := schemas.DateOf(time.Now())
			got := enc.rejected(tc.row, tc.detail)
			if tc.want.Fallback.DeadLetterDate.IsZero() {
				// Dated the day of the call: the day before it or the day
				// after it, should midnight fall in between.
				if d := got.Fallback.DeadLetterDate; !d.Equal(before) && !d.Equal(schemas.DateOf(time.Now())) {
					t.Errorf("dead_letter_date %s, want the day of the call (%s)", d.Format(time.DateOnly), before.Format(time.DateOnly))
				}
				got.Fallback.DeadLetterDate = time.Time{}
			}
			checkHashed(t, got.Fallback)
			for _, v := range tc.values {
				if strings.Contains(got.Fallback.Detail, v) || strings.Contains(got.Fallback.Source, v) {
					t.Errorf("the fallback row holds %q: %+v", v, got.Fallback)
				}
			}
			if again := enc.rejected(tc.row, "other"); again.Fallback.Payload != got.Fallback.Payload {
				t.Error("the same row hashes differently")
			}
			tc.want.Fallback.Reason = Reason
			tc.want.Fallback.Payload, tc.want.Fallback.PayloadBytes = got.Fallback.Payload, got.Fallback.PayloadBytes
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if !utf8.ValidString(got.Fallback.Detail) || !utf8.ValidString(got.Fallback.Source) || len(got.Fallback.Source) > 1024 {
				t.Errorf("unclean strings: detail %q, source of %d bytes", got.Fallback.Detail, len(got.Fallback.Source))
			}
		})
	}
	other := makeEvents("fb", 2)[1]
	enc, _ := newRowEncoder(schemas.MustTable("fact_events"), reflect.TypeFor[schemas.Event]())
	if enc.rejected(event, "x").Fallback.Payload == enc.rejected(other, "x").Fallback.Payload {
		t.Error("two rows have the same hash")
	}
}

// pseudoTruncate cuts s to limit bytes on a character boundary.
func pseudoTruncate(s string, limit int) string {
	for len(s) > limit || !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// TestEncodeRecords: a REPEATED RECORD is one nested message per element,
// its NULL fields unset, and a list of objects in the JSON of a row.
func TestEncodeRecords(t *testing.T) {
	enc, err := newRowEncoder(schemas.MustTable("fact_sessions"), reflect.TypeFor[schemas.Session]())
	if err != nil {
		t.Fatal(err)
	}
	row := schemas.Session{SessionID: "s", DeviceID: "d", RevenueByCurrency: []schemas.CurrencyRevenue{
		{Currency: "", Revenue: 0, Purchases: 1}, {Currency: "EUR", Revenue: 10.5, Purchases: 2},
	}}
	b, err := enc.encode(row)
	if err != nil {
		t.Fatal(err)
	}
	msg := decodeMessage(t, enc.descriptor, b)
	list := msg.Get(msg.Descriptor().Fields().ByName("revenue_by_currency")).List()
	var got []string
	for i := range list.Len() {
		elem := list.Get(i).Message()
		fields := elem.Descriptor().Fields()
		currency := "NULL"
		if fd := fields.ByName("currency"); elem.Has(fd) {
			currency = elem.Get(fd).String()
		}
		got = append(got, fmt.Sprintf("%s %v %d", currency, elem.Get(fields.ByName("revenue")).Float(), elem.Get(fields.ByName("purchases")).Int()))
	}
	if want := []string{"NULL 0 1", "EUR 10.5 2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("revenue_by_currency %q, want %q", got, want)
	}
	if j := enc.json(row); !strings.Contains(j, `"revenue_by_currency":[{"purchases":1,"revenue":0},{"currency":"EUR","purchases":2,"revenue":10.5}]`) {
		t.Errorf("json: %s", j)
	}

	// Revenue in several currencies is NULL; in one, it has its currency.
	fields := msg.Descriptor().Fields()
	if msg.Has(fields.ByName("revenue")) || msg.Has(fields.ByName("currency")) {
		t.Errorf("mixed currencies: revenue %v, currency %v set, want NULL", msg.Get(fields.ByName("revenue")), msg.Get(fields.ByName("currency")))
	}
	row.Revenue, row.Currency = new(10.5), "EUR"
	if b, err = enc.encode(row); err != nil {
		t.Fatal(err)
	}
	msg = decodeMessage(t, enc.descriptor, b)
	fields = msg.Descriptor().Fields()
	if r, c := msg.Get(fields.ByName("revenue")).Float(), msg.Get(fields.ByName("currency")).String(); r != 10.5 || c != "EUR" {
		t.Errorf("one currency: revenue %v %q, want 10.5 EUR", r, c)
	}
}
