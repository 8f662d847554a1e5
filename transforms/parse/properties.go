package parse

import (
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"strings"

	json "github.com/goccy/go-json"

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
// invalid JSON.
func (p *Parser) properties(obj []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(obj, &fields) != nil {
		return "" // obj decoded as an event: it is an object
	}
	var keys []string
	for k := range fields {
		if !knownFields[strings.ToLower(k)] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	slices.Sort(keys)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(k) // a string always encodes
		b.Write(key)
		b.WriteByte(':')
		b.Write(fields[k])
	}
	b.WriteByte('}')
	s := p.pseudo.Payload(b.Bytes(), 0)
	if len(s) > maxProperties {
		return `{"` + WithheldPropertiesKey + `":"too_large","bytes":` + strconv.Itoa(len(s)) + `}`
	}
	return s
}
