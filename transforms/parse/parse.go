package parse

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/schemas"
)

// Options configures a Parser.
type Options struct {
	// HashKeyRef names where the pseudonymization key is (see
	// pseudonym.LoadKey); the key itself never enters the job graph.
	HashKeyRef string
	// IPMode is how IPs in dead-letter payloads are treated (as in events).
	IPMode string
	// MaxPayloadBytes cuts dead-letter payloads (default 16 KiB).
	MaxPayloadBytes int
}

// DefaultMaxPayloadBytes is the default cut of a dead-letter payload.
const DefaultMaxPayloadBytes = 16 << 10

// Parser parses raw records (see the package documentation). It is safe
// for concurrent use.
type Parser struct {
	maxPayload int
	pseudo     *pseudonym.Pseudonymizer
}

// NewParser loads the hash key and returns a Parser.
func NewParser(o Options) (*Parser, error) {
	key, err := pseudonym.LoadKey(o.HashKeyRef)
	if err != nil {
		return nil, fmt.Errorf("parse: hash key: %w", err)
	}
	mode, err := pseudonym.ParseIPMode(o.IPMode)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	pseudo, err := pseudonym.New(key, mode)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	maxPayload := o.MaxPayloadBytes
	if maxPayload <= 0 {
		maxPayload = DefaultMaxPayloadBytes
	}
	return &Parser{maxPayload: maxPayload, pseudo: pseudo}, nil
}

// rawEvent is one event as the contract allows it on the wire.
type rawEvent struct {
	EventID      string        `json:"event_id"`
	EventType    string        `json:"event_type"`
	DeviceID     string        `json:"device_id"`
	UserID       userID        `json:"user_id"`
	SessionID    clientID      `json:"session_id"`
	Platform     string        `json:"platform"`
	CreatedAt    rawTime       `json:"created_at"`
	SentAt       rawTime       `json:"sent_at"`
	ReceivedAt   rawTime       `json:"received_at"`
	PageURL      string        `json:"page_url"`
	Referrer     string        `json:"referrer"`
	UserAgent    string        `json:"user_agent"`
	IP           string        `json:"ip"`
	ProductID    string        `json:"product_id"`
	CategoryID   string        `json:"category_id"`
	SearchQuery  string        `json:"search_query"`
	ResultsCount *resultsCount `json:"results_count"`
	Price        *float64      `json:"price"`
	Quantity     *quantity     `json:"quantity"`
	Currency     string        `json:"currency"`
	OrderID      string        `json:"order_id"`
	Revenue      *float64      `json:"revenue"`
	Items        []rawItem     `json:"items"`
}

// clientID is the client's own session id and userID the user's id: a
// JSON string, or a JSON number kept as sent, as text, since analytics SDKs
// send numbers there (GA4's ga_session_id, Amplitude's session_id in epoch
// milliseconds, a shop's numeric customer id), and an event should not be
// lost for that. Any other JSON type is a wrong_type error, as for every
// field.
type (
	clientID string
	userID   string
)

func (c *clientID) UnmarshalJSON(b []byte) error { return textOrNumber(b, (*string)(c), "session_id") }
func (u *userID) UnmarshalJSON(b []byte) error   { return textOrNumber(b, (*string)(u), "user_id") }

// textOrNumber decodes b, a JSON string, number or null, into s (a number
// as written, null as "").
func textOrNumber(b []byte, s *string, field string) error {
	switch {
	case b[0] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b): // no escape, valid UTF-8: nearly every id
		*s = string(b[1 : len(b)-1])
	case b[0] == '"':
		return json.Unmarshal(b, s)
	case b[0] == 'n':
		*s = ""
	case b[0] == '-' || '0' <= b[0] && b[0] <= '9':
		*s = string(b)
	default:
		return &json.UnmarshalTypeError{Value: jsonType(b), Type: reflect.TypeFor[string](), Field: field}
	}
	return nil
}

// quantity, resultsCount and itemQuantity are the contract's integer
// fields. As in JSON Schema, an integer is any JSON number with no
// fraction: 2.0 and 1e0 are accepted, as Python, pandas and JavaScript
// often write them; 2.5 and a number beyond int64 are wrong_type. Each
// type names its field in its errors, which goccy/go-json does not fill in
// for a field's own UnmarshalJSON.
type (
	quantity     int64
	resultsCount int64
	itemQuantity int64
)

func (n *quantity) UnmarshalJSON(b []byte) error { return wholeNumber(b, (*int64)(n), "quantity") }
func (n *resultsCount) UnmarshalJSON(b []byte) error {
	return wholeNumber(b, (*int64)(n), "results_count")
}
func (n *itemQuantity) UnmarshalJSON(b []byte) error {
	return wholeNumber(b, (*int64)(n), "items.quantity")
}

// wholeNumber decodes b, a JSON value other than null, into n if it is a
// number with no fraction within int64's range, decided on its digits
// rather than through a float64, which would take 2.0000000000000001 or
// 1e-400 for whole and round beyond 2^53.
func wholeNumber(b []byte, n *int64, field string) error {
	if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*n = v
		return nil
	}
	got := jsonType(b)
	if got == "number" {
		if digits, ok := integerDigits(string(b)); ok {
			if v, err := strconv.ParseInt(digits, 10, 64); err == nil {
				*n = v
				return nil
			}
		}
	}
	return &json.UnmarshalTypeError{Value: got, Type: reflect.TypeFor[int64](), Field: field}
}

// integerDigits returns the JSON number s written as an integer literal
// ("-2.50e1" is "-25"), or false when it has a fraction or an exponent
// beyond what any int64 needs.
func integerDigits(s string) (string, bool) {
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	mantissa, exponent := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mantissa, exponent = s[:i], s[i+1:]
	}
	whole, frac, _ := strings.Cut(mantissa, ".")
	digits := whole + frac
	if strings.Trim(digits, "0") == "" {
		return "0", true
	}
	exp := 0
	if exponent != "" {
		e, err := strconv.Atoi(exponent)
		if err != nil || e < -40 || e > 40 {
			return "", false
		}
		exp = e
	}
	point := len(whole) + exp // the decimal point's place in digits
	switch {
	case point <= 0:
		return "", false
	case point >= len(digits):
		return sign + digits + strings.Repeat("0", point-len(digits)), true
	}
	return sign + digits[:point], strings.Trim(digits[point:], "0") == ""
}

// rawItem is one line item of an event.
type rawItem struct {
	ItemID       string        `json:"item_id"`
	ItemName     string        `json:"item_name"`
	ItemCategory string        `json:"item_category"`
	Price        *float64      `json:"price"`
	Quantity     *itemQuantity `json:"quantity"`
	Currency     string        `json:"currency"`
}

// line is a whole line: a single event, or a beacon envelope.
type line struct {
	rawEvent
	Events json.RawMessage `json:"events"`
}

// failure is why a record went to the dead letter.
type failure struct {
	reason, detail string
}

// Parse calls emit for every event in r and dead for every record of r that
// breaks the contract.
func (p *Parser) Parse(r schemas.Record, emit func(schemas.Event), dead func(schemas.DeadLetter)) {
	if r.ReadError != "" {
		dead(p.deadLetter(r, r.Data, 0, nil, failure{r.ReadError, r.ReadDetail}))
		return
	}
	if t := bytes.TrimSpace(r.Data); len(t) > 0 && t[0] != '{' {
		detail := fmt.Sprintf("JSON %s of %d bytes, not an object", jsonType(t), len(t))
		if !json.Valid(t) {
			detail = jsonDetail(json.Unmarshal(t, new(any)))
		}
		dead(p.deadLetter(r, r.Data, 0, nil, failure{schemas.ReasonBadJSON, detail}))
		return
	}
	var l line
	err := json.Unmarshal(r.Data, &l)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		dead(p.deadLetter(r, r.Data, 0, nil, failure{schemas.ReasonBadJSON, jsonDetail(err)}))
		return
	}
	if l.Events == nil {
		if err != nil {
			dead(p.deadLetter(r, r.Data, 0, &l.rawEvent, failure{schemas.ReasonWrongType, typeDetail(r.Data, typeErr)}))
			return
		}
		p.accept(r, r.Data, 0, &l.rawEvent, emit, dead)
		return
	}
	// A beacon: only its sent_at and received_at matter, so type errors in
	// other envelope fields are ignored.
	var elems []json.RawMessage
	if err := json.Unmarshal(l.Events, &elems); err != nil || len(elems) == 0 {
		detail := "events is empty"
		if err != nil {
			detail = "events is not an array"
		}
		dead(p.deadLetter(r, r.Data, 0, &l.rawEvent, failure{schemas.ReasonBadBeacon, detail}))
		return
	}
	for i, raw := range elems {
		if len(raw) == 0 || raw[0] != '{' {
			dead(p.deadLetter(r, raw, i, &l.rawEvent, failure{schemas.ReasonBadEvent, fmt.Sprintf("events[%d] is not an object", i)}))
			continue
		}
		var ev rawEvent
		err := json.Unmarshal(raw, &ev)
		if ev.SentAt.absent() {
			ev.SentAt = l.SentAt
		}
		if ev.ReceivedAt.absent() {
			ev.ReceivedAt = l.ReceivedAt
		}
		if err != nil {
			var typeErr *json.UnmarshalTypeError
			errors.As(err, &typeErr)
			dead(p.deadLetter(r, raw, i, &ev, failure{schemas.ReasonWrongType, typeDetail(raw, typeErr)}))
			continue
		}
		p.accept(r, raw, i, &ev, emit, dead)
	}
}

// accept validates one decoded event and emits it, or its dead letter.
func (p *Parser) accept(r schemas.Record, raw []byte, index int, ev *rawEvent, emit func(schemas.Event), dead func(schemas.DeadLetter)) {
	e, fail := p.event(ev)
	if fail != nil {
		dead(p.deadLetter(r, raw, index, ev, *fail))
		return
	}
	e.Source, e.SourceLine, e.BeaconIndex = r.Source, r.Line, int64(index)
	e.Properties = p.properties(raw)
	emit(e)
}

func (p *Parser) event(ev *rawEvent) (schemas.Event, *failure) {
	switch {
	case blank(ev.EventID):
		return schemas.Event{}, &failure{schemas.ReasonMissingEventID, "event_id is missing"}
	case placeholder(ev.EventID):
		return schemas.Event{}, &failure{schemas.ReasonMissingEventID, "event_id is a placeholder (null, undefined, ...), not an id"}
	case blank(ev.DeviceID):
		return schemas.Event{}, &failure{schemas.ReasonMissingDeviceID, "device_id is missing"}
	case placeholder(ev.DeviceID):
		return schemas.Event{}, &failure{schemas.ReasonMissingDeviceID, "device_id is a placeholder (null, undefined, ...), not an id"}
	case ev.CreatedAt.absent():
		return schemas.Event{}, &failure{schemas.ReasonMissingCreated, "created_at is missing"}
	case blank(ev.EventType):
		return schemas.Event{}, &failure{schemas.ReasonMissingType, "event_type is missing"}
	}
	created, sent, received, fail := clocks(ev)
	if fail != nil {
		return schemas.Event{}, fail
	}
	t, source, ok := EventTime(created, sent, received)
	if !ok {
		field := ev.ReceivedAt.describe("received_at")
		if source == TimeCreatedAt {
			field = ev.CreatedAt.describe("created_at")
		}
		return schemas.Event{}, &failure{schemas.ReasonAbsurdTimestamp, field + ", " + absurd}
	}
	e := schemas.Event{
		EventID:         pseudonym.TrimID(ev.EventID),
		EventType:       strings.ToLower(strings.TrimSpace(ev.EventType)),
		EventDate:       schemas.DateOf(t),
		EventTime:       t,
		TimeSource:      source,
		CreatedAt:       created,
		SentAt:          sent,
		ReceivedAt:      received,
		DeviceID:        pseudonym.TrimID(ev.DeviceID),
		ClientSessionID: string(ev.SessionID),
		Platform:        strings.ToLower(strings.TrimSpace(ev.Platform)),
		PageURL:         ev.PageURL,
		Referrer:        ev.Referrer,
		UserAgent:       ev.UserAgent,
		IP:              strings.TrimSpace(ev.IP),
		ProductID:       ev.ProductID,
		CategoryID:      ev.CategoryID,
		SearchQuery:     ev.SearchQuery,
		Price:           ev.Price,
		Quantity:        (*int64)(ev.Quantity),
		ResultsCount:    (*int64)(ev.ResultsCount),
		Currency:        strings.ToUpper(strings.TrimSpace(ev.Currency)),
		OrderID:         ev.OrderID,
		Revenue:         ev.Revenue,
	}
	if !anonymous(string(ev.UserID)) {
		e.UserKey = p.pseudo.UserKey(string(ev.UserID))
	}
	e.Items = items(ev.Items, e.Currency)
	return e, nil
}

// items are an event's line items, an item without a currency in the
// event's.
func items(raw []rawItem, currency string) []schemas.Item {
	if len(raw) == 0 {
		return nil
	}
	out := make([]schemas.Item, len(raw))
	for i, it := range raw {
		c := strings.ToUpper(strings.TrimSpace(it.Currency))
		if c == "" {
			c = currency
		}
		out[i] = schemas.Item{
			ItemID: it.ItemID, ItemName: it.ItemName, ItemCategory: it.ItemCategory,
			Price: it.Price, Quantity: (*int64)(it.Quantity), Currency: c,
		}
	}
	return out
}

// clocks parses an event's three timestamps; zero means absent. A device
// clock (created_at, sent_at) outside BigQuery's range means nothing and is
// zero too: stored as NULL, it leaves the event to be dated by received_at
// (see EventTime). A received_at outside it is absurd.
func clocks(ev *rawEvent) (created, sent, received time.Time, fail *failure) {
	created, err := ev.CreatedAt.parse()
	switch {
	case errors.Is(err, errNoTime):
		return created, sent, received, &failure{schemas.ReasonMissingCreated, "created_at is missing"}
	case errors.Is(err, errOutOfRange):
		created = time.Time{}
	case err != nil:
		return created, sent, received, &failure{schemas.ReasonBadTimestamp, ev.CreatedAt.describe("created_at") + ", " + err.Error()}
	}
	sent, err = ev.SentAt.parse()
	switch {
	case errors.Is(err, errNoTime), errors.Is(err, errOutOfRange):
		sent = time.Time{}
	case err != nil:
		return created, sent, received, &failure{schemas.ReasonBadTimestamp, ev.SentAt.describe("sent_at") + ", " + err.Error()}
	}
	received, err = ev.ReceivedAt.parse()
	switch {
	case errors.Is(err, errNoTime):
		received = time.Time{}
	case errors.Is(err, errOutOfRange):
		return created, sent, received, &failure{schemas.ReasonAbsurdTimestamp, ev.ReceivedAt.describe("received_at") + ", " + absurd}
	case err != nil:
		return created, sent, received, &failure{schemas.ReasonBadTimestamp, ev.ReceivedAt.describe("received_at") + ", " + err.Error()}
	}
	return created, sent, received, nil
}

// absurd ends the detail of an absurd_timestamp.
const absurd = "outside [2000-01-01, 2100-01-01)"

// blank reports whether s holds nothing but white space and invisible
// characters (pseudonym.TrimID).
func blank(s string) bool { return pseudonym.TrimID(s) == "" }

// placeholder reports whether an id is what a client writes when it has
// none: JavaScript's and other languages' spellings of nothing, in any
// case. Taken for an id, it would make one device (or one event id) of
// every client with the same bug.
func placeholder(id string) bool {
	return oneOfFold(pseudonym.TrimID(id), "null", "undefined", "none", "nil", "nan", "(null)", "[object object]")
}

// anonymous reports whether a user_id names nobody: blank, a placeholder,
// or a default that SDKs and shops send for a visitor who is not logged in
// ("0", "-1", "anonymous", "guest", "unknown"). Such an id would otherwise
// become one user who owns every device it was sent from.
func anonymous(id string) bool {
	id = pseudonym.TrimID(id)
	return id == "" || placeholder(id) || oneOfFold(id, "0", "-1", "anonymous", "guest", "unknown")
}

// oneOfFold reports whether s is one of values, ignoring case.
func oneOfFold(s string, values ...string) bool {
	if len(s) > len("[object object]") {
		return false // fast path: no id spells nothing at that length
	}
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// deadLetter builds the dead-letter row for one failed record. ev holds what
// could be decoded of it (nil when nothing could).
func (p *Parser) deadLetter(r schemas.Record, raw []byte, index int, ev *rawEvent, f failure) schemas.DeadLetter {
	size := int64(len(raw))
	if len(raw) == len(r.Data) {
		size = r.Size // the whole line, which the reader may have cut
	}
	d := schemas.DeadLetter{
		DeadLetterDate: schemas.DateOf(r.Arrived),
		Reason:         f.reason,
		Detail:         f.detail,
		Payload:        p.pseudo.Payload(raw, p.maxPayload),
		PayloadBytes:   size,
		Attributes:     p.pseudo.Attributes(r.Attributes),
		Source:         r.Source,
		SourceLine:     r.Line,
		BeaconIndex:    int64(index),
	}
	if ev != nil {
		d.EventID, d.DeviceID = pseudonym.TrimID(ev.EventID), pseudonym.TrimID(ev.DeviceID)
		if received, err := ev.ReceivedAt.parse(); err == nil && inBounds(received) {
			d.DeadLetterDate = schemas.DateOf(received)
		}
	}
	return d
}

// jsonDetail describes a JSON syntax error by its offset only: the
// decoder's message quotes the offending character.
func jsonDetail(err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	}
	return "invalid JSON"
}

// typeDetail describes a field of the wrong type by its name, its JSON type
// and its length, looked up in obj, the JSON object that holds it.
func typeDetail(obj []byte, err *json.UnmarshalTypeError) string {
	if err == nil {
		return "a field has the wrong type"
	}
	field := err.Field[strings.LastIndex(err.Field, ".")+1:]
	got, _, _ := strings.Cut(err.Value, " ") // "number 1.5": the value follows the type
	if strings.Contains(err.Field, ".") {    // in an item: items.<index>.<name> from the decoder (the keys as sent), items.quantity from itemQuantity
		if _, err := strconv.Atoi(field); err == nil { // the item itself
			return fmt.Sprintf("items[]: got JSON %s, want object", got)
		}
		return fmt.Sprintf("items[].%s: got JSON %s, want %s", field, got, err.Type)
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(obj, &fields) == nil {
		if v, ok := lookupField(fields, field); ok {
			return fmt.Sprintf("%s: got JSON %s of %d bytes, want %s", field, got, len(v), err.Type)
		}
	}
	return fmt.Sprintf("%s: got JSON %s, want %s", field, got, err.Type)
}

// lookupField finds a field as the decoder does: the exact key, else one
// that matches it case-insensitively.
func lookupField(fields map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if v, ok := fields[name]; ok {
		return v, true
	}
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}
