package storagewrite

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/example/clickstream/internal/pseudonym"
	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x1(fallbackOf)
	beam.RegisterType(reflect.TypeFor[Rejected]())
	// Beam's schema coder cannot encode time.Time, and JSON not the zero
	// watermark of a Delivery; MessagePack is what schemas uses for rows.
	beam.RegisterCoder(reflect.TypeFor[Rejected](), encodeRejected, decodeRejected)
}

// Reason is the dead-letter reason of a row BigQuery rejected.
const Reason = "bigquery_rejected"

// Rejected is a row BigQuery refused, and the dead letter that stands for it.
type Rejected struct {
	// Table is the table that refused the row.
	Table string
	// Key is the refused row's tally key (a bot event's rule, a dead
	// letter's reason; empty for other rows): with Table, it says what the
	// row was counted as.
	Key string
	// Fallback is the minimal dead_letter row that stands for the refused
	// row (see fallback): it carries the row's Delivery, so that its
	// message is acknowledged once the fallback is written.
	Fallback schemas.DeadLetter
}

// DeliveryOf returns the message the refused row came from.
func (r Rejected) DeliveryOf() schemas.Delivery { return r.Fallback.Delivery }

// Fallbacks returns PCollection<schemas.DeadLetter>: the fallback row of
// each Rejected of rejected, for the dead_letter table.
func Fallbacks(s beam.Scope, rejected beam.PCollection) beam.PCollection {
	s = s.Scope("storagewrite.Fallbacks")
	return beam.ParDo(s, fallbackOf, rejected)
}

func fallbackOf(r Rejected) schemas.DeadLetter { return r.Fallback }

// Bounds of a fallback row's strings, which come from BigQuery's error and
// the refused row.
const (
	maxDetailBytes = 1 << 10
	maxSourceBytes = 1 << 10
)

// rejected is the Rejected of a row the table refused, with the reason in
// detail. Its fallback dead letter is minimal, so that BigQuery takes it
// whatever made the row fail, and holds no value of the row:
//
//   - reason Reason, detail "<table>: <BigQuery's error>";
//   - payload "sha256:<hex>", the SHA-256 of the row as JSON (non-NULL
//     columns, DATE as YYYY-MM-DD, TIMESTAMP as RFC 3339), and payload_bytes
//     that JSON's length: enough to tell whether two rejections were the
//     same row, nothing to read from;
//   - the row's source position: source, source_line and beacon_index where
//     its table has them (a row without a source is from
//     "bigquery:<table>"), and its Delivery;
//   - dead_letter_date the row's partition date when it lies in
//     [2000-01-01, 2100-01-01) like any dead letter's, else the publish date
//     of its message, else today;
//   - no event_id, device_id or attributes.
//
// Every string is valid UTF-8 and bounded (1 KiB).
func (e *rowEncoder) rejected(row any, detail string) Rejected {
	payload := e.json(row)
	sum := sha256.Sum256([]byte(payload))
	v := reflect.ValueOf(row)
	d := schemas.DeadLetter{
		Reason:       Reason,
		Detail:       clean(e.table+": "+detail, maxDetailBytes),
		Payload:      "sha256:" + hex.EncodeToString(sum[:]),
		PayloadBytes: int64(len(payload)),
		Source:       clean(e.stringColumn(v, "source"), maxSourceBytes),
		SourceLine:   e.intColumn(v, "source_line"),
		BeaconIndex:  e.intColumn(v, "beacon_index"),
	}
	if d.Source == "" {
		d.Source = "bigquery:" + e.table
	}
	d.Delivery, _ = e.deliveryOf(row)
	d.DeadLetterDate = schemas.DateOf(time.Now())
	switch p, _ := row.(schemas.Partitioned); {
	case p != nil && plausibleDate(p.PartitionDate()):
		d.DeadLetterDate = schemas.DateOf(p.PartitionDate())
	case !d.Delivery.Published.IsZero():
		d.DeadLetterDate = schemas.DateOf(d.Delivery.Published)
	}
	r := Rejected{Table: e.table, Fallback: d}
	if k, ok := row.(interface{ TallyKey() string }); ok {
		r.Key = k.TallyKey()
	}
	return r
}

// plausibleDate reports whether t lies in [2000-01-01, 2100-01-01), the
// dates a dead letter may carry.
func plausibleDate(t time.Time) bool {
	return !t.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)) && t.Before(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
}

// clean makes s valid UTF-8 and cuts it to at most limit bytes.
func clean(s string, limit int) string {
	return pseudonym.Truncate(strings.ToValidUTF8(s, "\uFFFD"), limit)
}

func encodeRejected(r Rejected) ([]byte, error) { return msgpack.Marshal(&r) }

func decodeRejected(b []byte) (Rejected, error) {
	var r Rejected
	err := msgpack.Unmarshal(b, &r)
	return r, err
}
