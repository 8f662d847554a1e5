package parse

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"

	"github.com/example/clickstream/schemas"
)

const head = `"event_id":"e1","device_id":"d1","created_at":"2026-11-01T10:00:00Z"`

func TestItems(t *testing.T) {
	price, qty := 19.5, int64(2)
	tests := []struct {
		name, line string
		want       []schemas.Item
	}{
		{"none", `{` + head + `,"event_type":"purchase"}`, nil},
		{
			"an item without a currency takes the event's",
			`{` + head + `,"event_type":"purchase","currency":"eur","items":[{"item_id":"sku-1","item_name":"Shoe","item_category":"shoes","price":19.5,"quantity":2},{"item_id":"sku-2","currency":" usd "}]}`,
			[]schemas.Item{
				{ItemID: "sku-1", ItemName: "Shoe", ItemCategory: "shoes", Price: &price, Quantity: &qty, Currency: "EUR"},
				{ItemID: "sku-2", Currency: "USD"},
			},
		},
		{"null is absent", `{` + head + `,"event_type":"add_to_cart","items":null}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, dead := parseOne(t, tt.line, nil)
			if len(events) != 1 || len(dead) != 0 {
				t.Fatalf("got %d events, %d dead letters (%+v)", len(events), len(dead), dead)
			}
			if !reflect.DeepEqual(events[0].Items, tt.want) {
				t.Errorf("items %+v, want %+v", events[0].Items, tt.want)
			}
		})
	}
}

// TestWholeNumbers: the integer fields take any JSON number with no
// fraction, as JSON Schema's integer does (Python, pandas and JavaScript
// write 2.0), and nothing else.
func TestWholeNumbers(t *testing.T) {
	for _, v := range []struct {
		json string
		want int64
	}{
		{"2", 2}, {"2.0", 2}, {"1e0", 1}, {"-3.00", -3}, {"0.0", 0}, {"-0.0", 0}, {"0e-999", 0},
		{"1E+2", 100}, {"100e-2", 1}, {"0.25e2", 25}, {"2.50e1", 25},
		{"9223372036854775807", 9223372036854775807}, {"9223372036854775807.0", 9223372036854775807},
		{"9007199254740993.0", 9007199254740993}, {"-9223372036854775808.00", -9223372036854775808},
	} {
		line := `{` + head + `,"event_type":"search","results_count":` + v.json + `,"quantity":` + v.json +
			`,"items":[{"item_id":"sku-1","quantity":` + v.json + `}]}`
		events, dead := parseOne(t, line, nil)
		if len(events) != 1 || len(dead) != 0 {
			t.Errorf("%s: got %d events, dead letters %+v; want the event", v.json, len(events), dead)
			continue
		}
		e := events[0]
		if *e.ResultsCount != v.want || *e.Quantity != v.want || *e.Items[0].Quantity != v.want {
			t.Errorf("%s: results_count %d, quantity %d, items[0].quantity %d; want %d",
				v.json, *e.ResultsCount, *e.Quantity, *e.Items[0].Quantity, v.want)
		}
	}
	for _, tt := range []struct{ field, json, want string }{
		{"quantity", "2.5", "quantity: got JSON number of 3 bytes, want int64"},
		{"quantity", "2.0000000000000001", "quantity: got JSON number of 18 bytes, want int64"},
		{"quantity", "1e-400", "quantity: got JSON number of 6 bytes, want int64"},
		{"quantity", "0.25e1", "quantity: got JSON number of 6 bytes, want int64"},
		{"quantity", "1e41", "quantity: got JSON number of 4 bytes, want int64"},
		{"quantity", "9223372036854775808.0", "quantity: got JSON number of 21 bytes, want int64"},
		{"results_count", "1e19", "results_count: got JSON number of 4 bytes, want int64"},
		{"quantity", "9223372036854775808", "quantity: got JSON number of 19 bytes, want int64"},
		{"quantity", `"2"`, "quantity: got JSON string of 3 bytes, want int64"},
		{"quantity", "true", "quantity: got JSON boolean of 4 bytes, want int64"},
		{"items", `[{"quantity":1.5}]`, "items[].quantity: got JSON number, want int64"},
		{"items", `[{"price":"9.99"}]`, "items[].price: got JSON string, want float64"},
		{"ITEMS", `[{"Price":"9.99"}],"price":12.5`, "items[].Price: got JSON string, want float64"},
		{"items", `["sku-1"]`, "items[]: got JSON string, want object"},
	} {
		d := oneDeadLetter(t, validPrefix+`,"`+tt.field+`":`+tt.json+`}`, nil)
		if d.Reason != schemas.ReasonWrongType || d.Detail != tt.want {
			t.Errorf("%s %s: dead letter %s %q, want wrong_type %q", tt.field, tt.json, d.Reason, d.Detail, tt.want)
		}
	}
}

func TestItemsWrongType(t *testing.T) {
	for _, line := range []string{
		`{` + head + `,"event_type":"purchase","items":{"item_id":"x"}}`,
		`{` + head + `,"event_type":"purchase","items":[{"quantity":"two"}]}`,
	} {
		events, dead := parseOne(t, line, nil)
		if len(events) != 0 || len(dead) != 1 || dead[0].Reason != schemas.ReasonWrongType {
			t.Errorf("%s: got %d events, dead letters %+v; want one wrong_type", line, len(events), dead)
		}
	}
}

func TestProperties(t *testing.T) {
	tests := []struct {
		name, line string
		// want is the properties object decoded, nil for none.
		want map[string]any
	}{
		{"none", `{` + head + `,"event_type":"page_view","page_url":"https://a/"}`, nil},
		{"a known field in another case is not a property", `{` + head + `,"event_type":"page_view","Page_URL":"https://a/"}`, nil},
		{
			"unknown fields are kept",
			`{` + head + `,"event_type":"page_view","coupon":"BF10","ab":{"arm":"b","n":3},"flag":true}`,
			map[string]any{"ab": map[string]any{"arm": "b", "n": 3.0}, "coupon": "BF10", "flag": true},
		},
		{
			"in a beacon, the element's; never the envelope's",
			`{"sent_at":"2026-11-01T10:00:01Z","batch":"b1","events":[{` + head + `,"event_type":"page_view","coupon":"X"}]}`,
			map[string]any{"coupon": "X"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, dead := parseOne(t, tt.line, nil)
			if len(events) != 1 || len(dead) != 0 {
				t.Fatalf("got %d events, %d dead letters", len(events), len(dead))
			}
			p := events[0].Properties
			if tt.want == nil {
				if p != "" {
					t.Errorf("properties %s, want none", p)
				}
				return
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(p), &got); err != nil {
				t.Fatalf("properties %q: %v", p, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("properties %v, want %v", got, tt.want)
			}
		})
	}
}

// TestPropertiesScrubbed: IPs and user ids in properties are replaced as in
// dead-letter payloads, and the raw values appear nowhere.
func TestPropertiesScrubbed(t *testing.T) {
	events, _ := parseOne(t, `{`+head+`,"event_type":"login","prev_user_id":"alice@example.com","client":{"ip":"198.51.100.23"},"note":"from 203.0.113.9"}`, nil)
	if len(events) != 1 {
		t.Fatalf("got %d events", len(events))
	}
	p := events[0].Properties
	for _, raw := range []string{"alice@example.com", "198.51.100.23", "203.0.113.9"} {
		if strings.Contains(p, raw) {
			t.Errorf("properties %s contain %s", p, raw)
		}
	}
	var got struct {
		PrevUserID string `json:"prev_user_id"`
	}
	if err := json.Unmarshal([]byte(p), &got); err != nil || !strings.HasPrefix(got.PrevUserID, "user_key:") {
		t.Errorf("properties %s: prev_user_id not a user key (%v)", p, err)
	}
}

// TestPropertiesBounded: an object past the column's bound is withheld with
// its size, never cut into invalid JSON.
func TestPropertiesBounded(t *testing.T) {
	big := strings.Repeat("x", maxProperties)
	events, _ := parseOne(t, `{`+head+`,"event_type":"page_view","blob":"`+big+`"}`, nil)
	if len(events) != 1 {
		t.Fatalf("got %d events", len(events))
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(events[0].Properties), &got); err != nil {
		t.Fatalf("properties %q: %v", events[0].Properties, err)
	}
	if got[WithheldPropertiesKey] != "too_large" || got["bytes"].(float64) <= float64(maxProperties) {
		t.Errorf("properties %v, want the withheld marker with the size", got)
	}
	if maxProperties <= 0 {
		t.Errorf("fact_events.properties has no bound")
	}
}

// TestWriteKey: the shortcut for plain keys writes what the encoder it
// stands in for does.
func TestWriteKey(t *testing.T) {
	for _, k := range []string{"screen", "app_version", "a b", "~", `q"`, `b\`, "<", ">", "&", "é", "\x00", "\xff", "tab\t", "\x7f", ""} {
		var b bytes.Buffer
		writeKey(&b, k)
		want, err := gojson.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("writeKey(%q) = %s, Marshal = %s", k, b.String(), want)
		}
	}
}

// TestIDs checks how ids are read: a numeric user_id is an id kept as text;
// a placeholder (what a client writes for nothing) is no user, device or
// event id; invisible characters around a user_id are trimmed.
func TestIDs(t *testing.T) {
	p := testParser(t)
	keyOf := func(userJSON string) string {
		t.Helper()
		events, dead := parseOne(t, `{`+head+`,"event_type":"login","user_id":`+userJSON+`}`, nil)
		if len(events) != 1 || len(dead) != 0 {
			t.Fatalf("user_id %s: got %d events, dead letters %+v; want the event", userJSON, len(events), dead)
		}
		return events[0].UserKey
	}
	if got, want := keyOf(`12345`), p.pseudo.UserKey("12345"); got != want {
		t.Errorf("numeric user_id: user_key %q, want that of \"12345\", %q", got, want)
	}
	if got, want := keyOf("\"m\xfcller\""), p.pseudo.UserKey("m\ufffdller"); got != want {
		t.Errorf("user_id with invalid UTF-8: user_key %q, want that of the id with U+FFFD, as in payloads and erasure, %q", got, want)
	}
	if got, want := keyOf(`"\u200balice\ufeff"`), p.pseudo.UserKey("alice"); got != want {
		t.Errorf("user_id with zero-width space and BOM: user_key %q, want that of \"alice\", %q", got, want)
	}
	for _, v := range []string{`"null"`, `"undefined"`, `" Undefined "`, `"None"`, `"nil"`, `"NaN"`, `"(null)"`,
		`"[object Object]"`, `"0"`, `0`, `"-1"`, `"anonymous"`, `"Guest"`, `"unknown"`, `""`, `null`} {
		if got := keyOf(v); got != "" {
			t.Errorf("user_id %s: user_key %q, want none (anonymous)", v, got)
		}
	}
	for _, tt := range []struct{ field, reason string }{
		{"event_id", schemas.ReasonMissingEventID}, {"device_id", schemas.ReasonMissingDeviceID},
	} {
		for _, v := range []string{"undefined", "null", "[object Object]"} {
			line := `{"event_id":"e1","device_id":"d1","event_type":"page_view","created_at":"2026-11-01T10:00:00Z","` + tt.field + `":"` + v + `"}`
			d := oneDeadLetter(t, line, nil)
			if d.Reason != tt.reason || !strings.Contains(d.Detail, "placeholder") {
				t.Errorf("%s %q: dead letter %s %q, want %s naming a placeholder", tt.field, v, d.Reason, d.Detail, tt.reason)
			}
		}
	}
	events, dead := parseOne(t, `{"event_id":"\ufeffe1","device_id":"\u200bd1 ","event_type":"page_view","created_at":"2026-11-01T10:00:00Z"}`, nil)
	if len(events) != 1 || len(dead) != 0 || events[0].EventID != "e1" || events[0].DeviceID != "d1" {
		t.Errorf("ids with invisible characters: events %+v, dead letters %+v; want event e1 of device d1", events, dead)
	}
	if d := oneDeadLetter(t, `{"event_id":"\u200b","device_id":"d1","event_type":"page_view","created_at":"2026-11-01T10:00:00Z"}`, nil); d.Reason != schemas.ReasonMissingEventID {
		t.Errorf("event_id of a zero-width space: dead letter %s %q, want missing_event_id", d.Reason, d.Detail)
	}
	d := oneDeadLetter(t, validPrefix+`,"user_id":{"id":12345}}`, nil)
	if d.Reason != schemas.ReasonWrongType || d.Detail != "user_id: got JSON object of 12 bytes, want string" {
		t.Errorf("user_id object: dead letter %s %q, want wrong_type", d.Reason, d.Detail)
	}
}
