package storagewrite

import (
	"reflect"
	"time"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/pseudonymize"
)

// Reason is the dead-letter reason of a row BigQuery rejected.
const Reason = "bigquery_rejected"

// maxPayloadBytes cuts a rejected row's JSON like every dead-letter payload
// (dead_letter.payload: at most 16 KiB).
const maxPayloadBytes = 16 << 10

// rejectedRow is the dead_letter row of a row the table refused: reason
// Reason, detail "<table>: <BigQuery's row error>", the row as JSON for
// payload, its Delivery, and the row's partition date (today when it has
// none). Source, line, beacon index, event and device ids are the row's own
// when its table has those columns; a row without a source is from
// "bigquery:<table>".
func (e *rowEncoder) rejectedRow(row any, detail string) schemas.DeadLetter {
	payload := e.json(row)
	v := reflect.ValueOf(row)
	d := schemas.DeadLetter{
		DeadLetterDate: schemas.DateOf(time.Now()),
		Reason:         Reason,
		Detail:         e.table + ": " + detail,
		Payload:        pseudonymize.Truncate(payload, maxPayloadBytes),
		PayloadBytes:   int64(len(payload)),
		EventID:        e.stringColumn(v, "event_id"),
		DeviceID:       e.stringColumn(v, "device_id"),
		Source:         e.stringColumn(v, "source"),
		SourceLine:     e.intColumn(v, "source_line"),
		BeaconIndex:    e.intColumn(v, "beacon_index"),
	}
	if p, ok := row.(schemas.Partitioned); ok && !p.PartitionDate().IsZero() {
		d.DeadLetterDate = schemas.DateOf(p.PartitionDate())
	}
	if d.Source == "" {
		d.Source = "bigquery:" + e.table
	}
	d.Delivery, _ = e.deliveryOf(row)
	return d
}
