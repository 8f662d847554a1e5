package schemas

import (
	"reflect"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/typex"
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

// Pane timings (LiveFunnel.PaneTiming and the other live tables').
const (
	PaneEarly  = "early"
	PaneOnTime = "on_time"
	PaneLate   = "late"
)

// PaneTimingOf names a pane's timing: PaneEarly, PaneOnTime or PaneLate.
func PaneTimingOf(t typex.PaneTiming) string {
	switch t {
	case typex.PaneEarly:
		return PaneEarly
	case typex.PaneOnTime:
		return PaneOnTime
	default:
		return PaneLate
	}
}

// LiveFunnel is a row of live_funnel_10m: one firing of a 10-minute
// event-time window for one default_channel_group and device_type. Every firing
// holds the whole window as known so far (panes accumulate); the row with
// the highest PaneIndex of a window and group is the current one
// (live_funnel_10m_current).
type LiveFunnel struct {
	// WindowDate is the UTC date of WindowStart (partitioning column).
	WindowDate          time.Time `parquet:"window_date,date"`
	WindowStart         time.Time `parquet:"window_start,timestamp(microsecond)"`
	WindowEnd           time.Time `parquet:"window_end,timestamp(microsecond)"`
	DefaultChannelGroup string    `parquet:"default_channel_group"`
	DeviceType          string    `parquet:"device_type"`
	// PaneIndex is the firing's index in its window (0 first), PaneTiming
	// whether it fired before the watermark passed the window's end
	// (PaneEarly), when it did (PaneOnTime), or for late data (PaneLate).
	PaneIndex  int64  `parquet:"pane_index"`
	PaneTiming string `parquet:"pane_timing"`
	// Distinct devices with at least one event of the step in the window.
	ProductViewers   int64 `parquet:"product_viewers"`
	CartAdders       int64 `parquet:"cart_adders"`
	CheckoutStarters int64 `parquet:"checkout_starters"`
	Purchasers       int64 `parquet:"purchasers"`
	// Step rates: the next step's devices over the step's, NULL when the
	// step has none.
	ViewToCartRate         *float64 `parquet:"view_to_cart_rate,optional"`
	CartToCheckoutRate     *float64 `parquet:"cart_to_checkout_rate,optional"`
	CheckoutToPurchaseRate *float64 `parquet:"checkout_to_purchase_rate,optional"`
	// Currencies and Revenues are the purchases' revenue per currency
	// (parallel lists, sorted by currency; "unknown" for purchases without
	// one).
	Currencies []string  `parquet:"currencies,list"`
	Revenues   []float64 `parquet:"revenues,list"`
	// FiredAt is when the pane was computed (processing time).
	FiredAt time.Time `parquet:"fired_at,timestamp(microsecond)"`
}

func (LiveFunnel) compact() {}

func init() {
	beam.RegisterType(reflect.TypeFor[LiveFunnel]())
}

// PartitionDate returns trigger_date.
func (r CartAbandonment) PartitionDate() time.Time { return r.TriggerDate }

// PartitionDate returns window_date.
func (r LiveFunnel) PartitionDate() time.Time { return r.WindowDate }

// Anomaly is a row of live_anomalies and the message published to the
// anomaly topic: a metric of a minute of event time outside its band.
type Anomaly struct {
	// AnomalyDate is the UTC date of Minute (partitioning column).
	AnomalyDate time.Time `parquet:"anomaly_date,date" json:"-"`
	// AnomalyID is the first 32 hex digits of
	// sha256("<metric>|<minute in ms since epoch>|<direction>"): consumers
	// deduplicate on it.
	AnomalyID string    `parquet:"anomaly_id" json:"anomaly_id"`
	Minute    time.Time `parquet:"minute,timestamp(microsecond)" json:"minute"`
	Metric    string    `parquet:"metric" json:"metric"`
	// Direction is "high" or "low".
	Direction string `parquet:"direction" json:"direction"`
	// Observed and Expected are counts over the SpanMinutes minutes ending
	// with Minute; Lower and Upper the band around Expected.
	Observed    int64   `parquet:"observed" json:"observed"`
	Expected    float64 `parquet:"expected" json:"expected"`
	Lower       int64   `parquet:"lower" json:"lower"`
	Upper       int64   `parquet:"upper" json:"upper"`
	SpanMinutes int64   `parquet:"span_minutes" json:"span_minutes"`
	// Baseline is "previous_days" (the same minutes of day on earlier days)
	// or "trailing" (the trailing window before them).
	Baseline  string    `parquet:"baseline" json:"baseline"`
	DecidedAt time.Time `parquet:"decided_at,timestamp(microsecond)" json:"decided_at"`
}

func (Anomaly) compact() {}

// PartitionDate returns anomaly_date.
func (r Anomaly) PartitionDate() time.Time { return r.AnomalyDate }

func init() {
	beam.RegisterType(reflect.TypeFor[Anomaly]())
}

// LiveProduct is a row of live_products_1h: one firing of an hourly
// event-time window for one product and category. Every firing holds the
// whole window as known so far (panes accumulate); the row with the highest
// PaneIndex of a window, product and category is the current one.
type LiveProduct struct {
	// WindowDate is the UTC date of WindowStart (partitioning column).
	WindowDate  time.Time `parquet:"window_date,date"`
	WindowStart time.Time `parquet:"window_start,timestamp(microsecond)"`
	WindowEnd   time.Time `parquet:"window_end,timestamp(microsecond)"`
	// ProductID is the event's product_id (product_view, add_to_cart) or
	// the purchased item's item_id; CategoryID its category_id or
	// item_category, "(none)" when missing.
	ProductID  string `parquet:"product_id"`
	CategoryID string `parquet:"category_id"`
	// PaneIndex and PaneTiming are as in LiveFunnel.
	PaneIndex  int64  `parquet:"pane_index"`
	PaneTiming string `parquet:"pane_timing"`
	// ProductViews and AddToCarts count the product_view and add_to_cart
	// events; UnitsPurchased sums the purchased items' quantities (1 when
	// absent).
	ProductViews   int64 `parquet:"product_views"`
	AddToCarts     int64 `parquet:"add_to_carts"`
	UnitsPurchased int64 `parquet:"units_purchased"`
	// Currencies and Revenues are the purchased items' price x quantity per
	// currency (parallel lists, sorted by currency; the item's currency,
	// else its purchase's, else "unknown"). Items without a price add none.
	Currencies []string  `parquet:"currencies,list"`
	Revenues   []float64 `parquet:"revenues,list"`
	// FiredAt is when the pane was computed (processing time).
	FiredAt time.Time `parquet:"fired_at,timestamp(microsecond)"`
}

func (LiveProduct) compact() {}

// PartitionDate returns window_date.
func (r LiveProduct) PartitionDate() time.Time { return r.WindowDate }

// LiveSearch is a row of live_search_1h: one firing of an hourly event-time
// window for one normalized search query. Panes accumulate as in
// LiveFunnel; every count is of distinct search event ids.
type LiveSearch struct {
	// WindowDate is the UTC date of WindowStart (partitioning column).
	WindowDate  time.Time `parquet:"window_date,date"`
	WindowStart time.Time `parquet:"window_start,timestamp(microsecond)"`
	WindowEnd   time.Time `parquet:"window_end,timestamp(microsecond)"`
	// Query is the search_query lowercased, its runs of spaces made one
	// space, trimmed of spaces.
	Query string `parquet:"query"`
	// PaneIndex and PaneTiming are as in LiveFunnel.
	PaneIndex  int64  `parquet:"pane_index"`
	PaneTiming string `parquet:"pane_timing"`
	// Searches counts the window's search events of the query;
	// ReportedSearches those with a results_count, ZeroResultSearches those
	// with results_count 0; FollowedSearches those followed on the same
	// device by a product_view or a purchase within 30 minutes after.
	Searches           int64 `parquet:"searches"`
	ReportedSearches   int64 `parquet:"reported_searches"`
	ZeroResultSearches int64 `parquet:"zero_result_searches"`
	FollowedSearches   int64 `parquet:"followed_searches"`
	// ZeroResultShare is ZeroResultSearches / ReportedSearches, NULL when
	// no search reported its results_count.
	ZeroResultShare *float64 `parquet:"zero_result_share,optional"`
	// FiredAt is when the pane was computed (processing time).
	FiredAt time.Time `parquet:"fired_at,timestamp(microsecond)"`
}

func (LiveSearch) compact() {}

// PartitionDate returns window_date.
func (r LiveSearch) PartitionDate() time.Time { return r.WindowDate }

func init() {
	beam.RegisterType(reflect.TypeFor[LiveProduct]())
	beam.RegisterType(reflect.TypeFor[LiveSearch]())
}
