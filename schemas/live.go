package schemas

import (
	"reflect"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// Cart abandonment statuses (CartAbandonment.Status).
const (
	// CartAbandoned is the trigger: the cart went quiet.
	CartAbandoned = "abandoned"
	// CartRecovered follows a trigger when the device is active again; it
	// carries the trigger's id so that a consumer can cancel.
	CartRecovered = "recovered"
)

// CartAbandonment is a row of cart_abandonment and the message published to
// the abandonment topic: a cart that went quiet (Status CartAbandoned), or
// the device's first activity after that trigger (Status CartRecovered).
// Both rows of a cart carry the same TriggerID, which consumers deduplicate
// on: publishing is at least once.
type CartAbandonment struct {
	// TriggerDate is the UTC date of LastEventTime (partitioning column).
	TriggerDate time.Time `parquet:"trigger_date,date" json:"-"`
	// TriggerID is the first 32 hex digits of
	// sha256("<device_id>|<cart_start in ms since epoch>").
	TriggerID string `parquet:"trigger_id" json:"trigger_id"`
	Status    string `parquet:"status" json:"status"`
	DeviceID  string `parquet:"device_id" json:"device_id"`
	// ResolvedUserKey is the newest user_key the device sent before the row,
	// empty when it never logged in.
	ResolvedUserKey string `parquet:"resolved_user_key,optional" json:"resolved_user_key,omitempty"`
	// CartStart is the event time of the cart's first add_to_cart.
	CartStart time.Time `parquet:"cart_start,timestamp(microsecond)" json:"cart_start"`
	// LastEventTime is the device's last event before it went quiet.
	LastEventTime time.Time `parquet:"last_event_time,timestamp(microsecond)" json:"last_event_time"`
	// ProductIDs and Quantities are the cart's lines, in the order the
	// products were first added.
	ProductIDs []string `parquet:"product_ids,list" json:"product_ids"`
	Quantities []int64  `parquet:"quantities,list" json:"quantities"`
	// CartValue is the sum of price x quantity over the lines, NULL when a
	// line has no price or the lines mix currencies.
	CartValue *float64 `parquet:"cart_value,optional" json:"cart_value,omitempty"`
	Currency  string   `parquet:"currency,optional" json:"currency,omitempty"`
	// RecoveredAt and RecoveredBy are the event time and type of the
	// activity that recovered the cart (recovered rows only).
	RecoveredAt time.Time `parquet:"recovered_at,optional,timestamp(microsecond)" json:"recovered_at,omitzero"`
	RecoveredBy string    `parquet:"recovered_by,optional" json:"recovered_by,omitempty"`
	// DecidedAt is when the pipeline decided the row (processing time).
	DecidedAt time.Time `parquet:"decided_at,timestamp(microsecond)" json:"decided_at"`
}

func (CartAbandonment) compact() {}

func init() {
	beam.RegisterType(reflect.TypeFor[CartAbandonment]())
}
