package parse

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	json "github.com/goccy/go-json"
	"github.com/tidwall/gjson"

	"github.com/example/clickstream/schemas"
)

// WithheldPropertiesKey is the only key of the properties object that
// stands for one too large to store: {"properties_withheld":"too_large",
// "bytes":N}, N the size of the scrubbed object.
const WithheldPropertiesKey = "properties_withheld"

// knownFields are the top-level keys of an event that the contract names
// (rawEvent's, lower-cased: the decoder matches keys case-insensitively).
var knownFields = func() map[string]bool {
	known := map[string]bool{}
	t := reflect.TypeFor[rawEvent]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		known[strings.ToLower(name)] = true
	}
	return known
}()

// maxProperties is the bound of fact_events.properties.
var maxProperties = func() int {
	c, _ := schemas.MustTable("fact_events").Column("properties")
	return int(c.MaxLength)
}()

// properties returns the fields of obj, one event's JSON object, that the
// contract does not name, as a JSON object (keys sorted) scrubbed like a
// dead-letter payload: "" when there are none; the withheld marker when
// the object is longer than the column's bound, which would cut it into
// invalid JSON. A key sent twice keeps its last value, as a decoder would.
// The object is walked with gjson rather than decoded into a map: most
// events carry few unknown fields, and a map of raw values cost more than
// the rest of parsing. gjson walks a string; obj is viewed as one rather
// than copied (as gjson.ParseBytes would), which is safe because nothing
// writes to obj during the walk and nothing returned refers to it: the
// fields' keys and values are copied into the object built below.
func (p *Parser) properties(obj []byte) string {
	var fields []field
	gjson.Parse(unsafe.String(unsafe.SliceData(obj), len(obj))).ForEach(func(k, v gjson.Result) bool {
		if knownFields[strings.ToLower(k.Str)] {
			return true
		}
		if i := slices.IndexFunc(fields, func(f field) bool { return f.key == k.Str }); i >= 0 {
			fields[i].raw = v.Raw
			return true
		}
		fields = append(fields, field{k.Str, v.Raw})
		return true
	})
	if len(fields) == 0 {
		return ""
	}
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.key, b.key) })
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		writeKey(&b, f.key)
		b.WriteByte(':')
		b.WriteString(f.raw)
	}
	b.WriteByte('}')
	s := p.pseudo.Payload(b.Bytes(), 0)
	if len(s) > maxProperties {
		return `{"` + WithheldPropertiesKey + `":"too_large","bytes":` + strconv.Itoa(len(s)) + `}`
	}
	return s
}

// writeKey writes k as json.Marshal encodes it, without calling it for the
// usual key, printable ASCII that needs no escape.
func writeKey(b *bytes.Buffer, k string) {
	if !strings.ContainsFunc(k, func(r rune) bool {
		return r < ' ' || r > '~' || strings.ContainsRune(`"\<>&`, r)
	}) {
		b.WriteByte('"')
		b.WriteString(k)
		b.WriteByte('"')
		return
	}
	key, _ := json.Marshal(k) // a string always encodes
	b.Write(key)
}

// field is one unknown top-level field: its key, decoded, and its raw value.
type field struct{ key, raw string }
