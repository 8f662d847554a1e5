package schemas

import "time"

// Record is one raw record as a source delivers it, before parsing: a line of
// a file or the body of a Pub/Sub message.
type Record struct {
	// Source names where the record came from: a file path or URL, or
	// "pubsub:<subscription>".
	Source string
	// Line is the 1-based line number in a file, 0 for a message.
	Line int64
	// Data is the record's bytes, cut at the reader's size limit.
	Data []byte
	// Size is the record's full size in bytes (larger than len(Data) when cut).
	Size int64
	// ReadError is set when the record could not be read whole, e.g.
	// "too_large" or "corrupt_gzip"; it names a dead-letter reason.
	ReadError string
	// ReadDetail explains ReadError in words.
	ReadDetail string
	// Arrived is when the transport received the record: the Pub/Sub publish
	// time, or for a file the date in its path (else its modification time).
	// It dates records that carry no usable received_at.
	Arrived time.Time
	// Attributes are the Pub/Sub message attributes, if any.
	Attributes map[string]string
	// AckID is the Pub/Sub ack id of the message, empty for a file and on
	// Dataflow (which acknowledges on its own checkpoints).
	AckID string
	// Watermark is the reader's watermark when it emitted the record (zero
	// for a file): the runner's watermark is never behind it, so an event
	// older than Watermark minus the allowed lateness is too late for its
	// session window.
	Watermark time.Time
}

// Delivery travels with every row that comes from a Pub/Sub message, so that
// the message is acknowledged only once all of its rows have been written.
// It is the zero value for rows read from files.
type Delivery struct {
	// AckID is the message's ack id.
	AckID string `msgpack:"a"`
	// Rows is how many outcome rows the message produced (events and dead
	// letters); the message is acknowledged when that many are written.
	Rows int `msgpack:"b"`
	// Published is the message's publish time: streaming reconciliation
	// counts a message's records and their outcomes in its publish minute.
	Published time.Time `msgpack:"c"`
	// Watermark is the reader's watermark when it read the message (see
	// Record.Watermark).
	Watermark time.Time `msgpack:"d"`
}

// Delivered is implemented by the rows that carry a Delivery.
type Delivered interface {
	DeliveryOf() Delivery
}

// DeliveryOf returns the message the event came from.
func (e Event) DeliveryOf() Delivery { return e.Delivery }

// DeliveryOf returns the message the bot event came from.
func (b BotEvent) DeliveryOf() Delivery { return b.Delivery }

// DeliveryOf returns the message the dead letter came from.
func (d DeadLetter) DeliveryOf() Delivery { return d.Delivery }

// DeliveryOf returns the delivery itself.
func (d Delivery) DeliveryOf() Delivery { return d }

// Bot rules, in the order they are tried.
const (
	BotRuleUserAgent = "user_agent"
	BotRuleIP        = "ip"
	BotRuleRate      = "rate"
)

// Event is one accepted event: a row of fact_events, and the element that
// flows between the pipeline's transforms. Fields tagged parquet:"-" are
// working state that is not stored in fact_events.
//
// Optional strings are stored as NULL when empty, optional timestamps when
// zero (CreatedAt is zero when the device sent a time outside BigQuery's
// range, see parse); optional numbers are pointers so that 0 and NULL stay
// distinct.
type Event struct {
	EventID         string    `parquet:"event_id" msgpack:"a"`
	EventType       string    `parquet:"event_type" msgpack:"b"`
	EventDate       time.Time `parquet:"event_date,date" msgpack:"c"`
	EventTime       time.Time `parquet:"event_time,timestamp(microsecond)" msgpack:"d"`
	TimeSource      string    `parquet:"time_source" msgpack:"e"`
	CreatedAt       time.Time `parquet:"created_at,optional,timestamp(microsecond)" msgpack:"f"`
	SentAt          time.Time `parquet:"sent_at,optional,timestamp(microsecond)" msgpack:"g"`
	ReceivedAt      time.Time `parquet:"received_at,optional,timestamp(microsecond)" msgpack:"h"`
	DeviceID        string    `parquet:"device_id" msgpack:"i"`
	UserKey         string    `parquet:"user_key,optional" msgpack:"j"`
	ClientSessionID string    `parquet:"client_session_id,optional" msgpack:"k"`
	SessionID       string    `parquet:"session_id,optional" msgpack:"W"`
	Platform        string    `parquet:"platform,optional" msgpack:"l"`

	PageURL     string `parquet:"page_url,optional" msgpack:"m"`
	PageHost    string `parquet:"page_host,optional" msgpack:"n"`
	PagePath    string `parquet:"page_path,optional" msgpack:"o"`
	PageQuery   string `parquet:"page_query,optional" msgpack:"p"`
	PageKey     string `parquet:"page_key,optional" msgpack:"V"`
	UTMSource   string `parquet:"utm_source,optional" msgpack:"q"`
	UTMMedium   string `parquet:"utm_medium,optional" msgpack:"r"`
	UTMCampaign string `parquet:"utm_campaign,optional" msgpack:"s"`
	UTMTerm     string `parquet:"utm_term,optional" msgpack:"t"`
	UTMContent  string `parquet:"utm_content,optional" msgpack:"u"`
	GCLID       string `parquet:"gclid,optional" msgpack:"v"`
	MSCLKID     string `parquet:"msclkid,optional" msgpack:"w"`
	FBCLID      string `parquet:"fbclid,optional" msgpack:"x"`

	Referrer     string `parquet:"referrer,optional" msgpack:"y"`
	ReferrerHost string `parquet:"referrer_host,optional" msgpack:"z"`

	// Where the visit came from, as GA4 names it (see package enrich), and
	// where the IP address was before it was truncated (NULL without a
	// geolocation database or when the database does not know it).
	TrafficSource       string `parquet:"traffic_source" msgpack:"trS"`
	TrafficMedium       string `parquet:"traffic_medium" msgpack:"trM"`
	TrafficCampaign     string `parquet:"traffic_campaign" msgpack:"trC"`
	DefaultChannelGroup string `parquet:"default_channel_group" msgpack:"trG"`
	GeoCountry          string `parquet:"geo_country,optional" msgpack:"geoC"`
	GeoRegion           string `parquet:"geo_region,optional" msgpack:"geoR"`
	GeoCity             string `parquet:"geo_city,optional" msgpack:"geoY"`
	GeoContinent        string `parquet:"geo_continent,optional" msgpack:"geoK"`

	UserAgent      string `parquet:"user_agent,optional" msgpack:"B"`
	DeviceType     string `parquet:"device_type" msgpack:"C"`
	Browser        string `parquet:"browser,optional" msgpack:"D"`
	BrowserVersion string `parquet:"browser_version,optional" msgpack:"E"`
	OS             string `parquet:"os,optional" msgpack:"F"`
	OSVersion      string `parquet:"os_version,optional" msgpack:"G"`
	IP             string `parquet:"ip,optional" msgpack:"H"`

	ProductID   string   `parquet:"product_id,optional" msgpack:"I"`
	CategoryID  string   `parquet:"category_id,optional" msgpack:"J"`
	SearchQuery string   `parquet:"search_query,optional" msgpack:"K"`
	Price       *float64 `parquet:"price,optional" msgpack:"L"`
	Quantity    *int64   `parquet:"quantity,optional" msgpack:"M"`
	Currency    string   `parquet:"currency,optional" msgpack:"N"`
	OrderID     string   `parquet:"order_id,optional" msgpack:"O"`
	Revenue     *float64 `parquet:"revenue,optional" msgpack:"P"`

	// Items are the line items of a cart, checkout or purchase event.
	Items []Item `parquet:"items,list" msgpack:"i1,omitempty"`
	// Properties holds the event's fields that the contract does not
	// name, as a scrubbed JSON object (see parse); empty when none.
	Properties string `parquet:"properties,optional" msgpack:"p1,omitempty"`

	Source      string `parquet:"source" msgpack:"Q"`
	SourceLine  int64  `parquet:"source_line" msgpack:"R"`
	BeaconIndex int64  `parquet:"beacon_index" msgpack:"S"`

	// ResultsCount is what a search returned, when the search event says.
	ResultsCount *int64 `parquet:"results_count,optional" msgpack:"rc,omitempty"`

	// BotRule and BotDetail are set when a bot rule matched (see BotRule*).
	BotRule   string `parquet:"-" msgpack:"T"`
	BotDetail string `parquet:"-" msgpack:"U"`
	// Delivery is the Pub/Sub message the event came from (streaming only).
	Delivery Delivery `parquet:"-" msgpack:"X,omitempty"`
}

// BotEvent is a row of bot_events: an event that a bot rule removed from the
// facts, with the rule and what it matched.
type BotEvent struct {
	EventID     string    `parquet:"event_id"`
	EventType   string    `parquet:"event_type"`
	EventDate   time.Time `parquet:"event_date,date"`
	EventTime   time.Time `parquet:"event_time,timestamp(microsecond)"`
	DeviceID    string    `parquet:"device_id"`
	Platform    string    `parquet:"platform,optional"`
	PageURL     string    `parquet:"page_url,optional"`
	UserAgent   string    `parquet:"user_agent,optional"`
	IP          string    `parquet:"ip,optional"`
	BotRule     string    `parquet:"bot_rule"`
	BotDetail   string    `parquet:"bot_detail"`
	Source      string    `parquet:"source"`
	SourceLine  int64     `parquet:"source_line"`
	BeaconIndex int64     `parquet:"beacon_index"`
	// Delivery is the Pub/Sub message the event came from (streaming only).
	Delivery Delivery `parquet:"-"`
}

// NewBotEvent builds the bot_events row for an event a bot rule matched.
func NewBotEvent(e Event) BotEvent {
	return BotEvent{
		EventID: e.EventID, EventType: e.EventType, EventDate: e.EventDate, EventTime: e.EventTime,
		DeviceID: e.DeviceID, Platform: e.Platform, PageURL: e.PageURL, UserAgent: e.UserAgent,
		IP: e.IP, BotRule: e.BotRule, BotDetail: e.BotDetail,
		Source: e.Source, SourceLine: e.SourceLine, BeaconIndex: e.BeaconIndex,
		Delivery: e.Delivery,
	}
}

// DeadLetter is a row of dead_letter: a record that could not be read or
// breaks the raw event contract, with the reason and where it came from.
type DeadLetter struct {
	// DeadLetterDate is the date the record was received: its received_at
	// when that parses and lies in [2000-01-01, 2100-01-01), else the
	// transport's arrival date (Record.Arrived).
	DeadLetterDate time.Time `parquet:"dead_letter_date,date"`
	Reason         string    `parquet:"reason"`
	Detail         string    `parquet:"detail"`
	// Payload is the record as received, with IPs and user ids pseudonymized
	// like in fact_events, cut at a safe length.
	Payload      string `parquet:"payload"`
	PayloadBytes int64  `parquet:"payload_bytes"`
	Attributes   string `parquet:"attributes,optional"`
	EventID      string `parquet:"event_id,optional"`
	DeviceID     string `parquet:"device_id,optional"`
	Source       string `parquet:"source"`
	SourceLine   int64  `parquet:"source_line"`
	BeaconIndex  int64  `parquet:"beacon_index"`
	// Delivery is the Pub/Sub message the record came from (streaming only).
	Delivery Delivery `parquet:"-"`
}

// Dead-letter reasons, in the order they are tried (see raw_event.md).
const (
	ReasonTooLarge        = "too_large"
	ReasonCorruptGzip     = "corrupt_gzip"
	ReasonFileTooLarge    = "file_too_large"
	ReasonBadJSON         = "bad_json"
	ReasonBadBeacon       = "bad_beacon"
	ReasonBadEvent        = "bad_event"
	ReasonWrongType       = "wrong_type"
	ReasonMissingEventID  = "missing_event_id"
	ReasonMissingDeviceID = "missing_device_id"
	ReasonMissingCreated  = "missing_created_at"
	ReasonMissingType     = "missing_event_type"
	ReasonBadTimestamp    = "bad_timestamp"
	ReasonAbsurdTimestamp = "absurd_timestamp"
)

// EventBatch is a group of events that crosses a shuffle as one element,
// encoded by EncodeBatch: Beam's per-element cost dominates on the local
// runner, so the batch pipeline shuffles batches, not single events.
type EventBatch struct {
	Events []Event `msgpack:"e"`
}

// Session is a row of fact_sessions (see tables/fact_sessions.json).
type Session struct {
	SessionID       string    `parquet:"session_id"`
	SessionDate     time.Time `parquet:"session_date,date"`
	DeviceID        string    `parquet:"device_id"`
	UserKey         string    `parquet:"user_key,optional"`
	ResolvedUserKey string    `parquet:"resolved_user_key,optional"`
	SessionStart    time.Time `parquet:"session_start,timestamp(microsecond)"`
	SessionEnd      time.Time `parquet:"session_end,timestamp(microsecond)"`
	DurationSeconds float64   `parquet:"duration_seconds"`
	EventCount      int64     `parquet:"event_count"`
	PageViews       int64     `parquet:"page_views"`
	ProductViews    int64     `parquet:"product_views"`
	Searches        int64     `parquet:"searches"`
	AddToCarts      int64     `parquet:"add_to_carts"`
	CheckoutStarts  int64     `parquet:"checkout_starts"`
	Purchases       int64     `parquet:"purchases"`
	HadPurchase     bool      `parquet:"had_purchase"`
	// Revenue is the revenue of the session's purchases when they are all
	// in one currency (Currency), 0 without purchases, nil (NULL) when they
	// are in several: it is never summed across currencies.
	Revenue          *float64 `parquet:"revenue,optional"`
	LandingPagePath  string   `parquet:"landing_page_path,optional"`
	LandingPageKey   string   `parquet:"landing_page_key,optional"`
	ExitPagePath     string   `parquet:"exit_page_path,optional"`
	ExitPageKey      string   `parquet:"exit_page_key,optional"`
	PagePathSequence []string `parquet:"page_path_sequence,list"`
	Referrer         string   `parquet:"referrer,optional"`
	ReferrerHost     string   `parquet:"referrer_host,optional"`
	// Traffic source and geo of the session's first event.
	TrafficSource       string `parquet:"traffic_source"`
	TrafficMedium       string `parquet:"traffic_medium"`
	TrafficCampaign     string `parquet:"traffic_campaign"`
	DefaultChannelGroup string `parquet:"default_channel_group"`
	GeoCountry          string `parquet:"geo_country,optional"`
	GeoRegion           string `parquet:"geo_region,optional"`
	GeoCity             string `parquet:"geo_city,optional"`
	GeoContinent        string `parquet:"geo_continent,optional"`

	UTMSource   string `parquet:"utm_source,optional"`
	UTMMedium   string `parquet:"utm_medium,optional"`
	UTMCampaign string `parquet:"utm_campaign,optional"`
	UTMTerm     string `parquet:"utm_term,optional"`
	UTMContent  string `parquet:"utm_content,optional"`
	GCLID       string `parquet:"gclid,optional"`
	MSCLKID     string `parquet:"msclkid,optional"`
	FBCLID      string `parquet:"fbclid,optional"`
	DeviceType  string `parquet:"device_type"`
	Browser     string `parquet:"browser,optional"`
	OS          string `parquet:"os,optional"`
	Platform    string `parquet:"platform,optional"`
	IsBounce    bool   `parquet:"is_bounce"`
	IsEngaged   bool   `parquet:"is_engaged"`
	IsRunaway   bool   `parquet:"is_runaway"`
	Version     int64  `parquet:"version"`

	// RevenueByCurrency is the session's purchase revenue per currency,
	// never summed across currencies.
	RevenueByCurrency []CurrencyRevenue `parquet:"revenue_by_currency,list"`
	// Currency is the currency of Revenue: that of every purchase of the
	// session; empty (NULL) without purchases, when they are in several
	// currencies, or when they named none.
	Currency string `parquet:"currency,optional"`
}

// Item is one line item of an event (fact_events.items).
type Item struct {
	ItemID       string   `parquet:"item_id,optional" msgpack:"a"`
	ItemName     string   `parquet:"item_name,optional" msgpack:"b"`
	ItemCategory string   `parquet:"item_category,optional" msgpack:"c"`
	Price        *float64 `parquet:"price,optional" msgpack:"d"`
	Quantity     *int64   `parquet:"quantity,optional" msgpack:"e"`
	Currency     string   `parquet:"currency,optional" msgpack:"f"`
}

// CurrencyRevenue is a session's revenue in one currency
// (fact_sessions.revenue_by_currency).
type CurrencyRevenue struct {
	// Currency is the ISO 4217 code of the purchases, empty (NULL) for
	// purchases that named none.
	Currency  string  `parquet:"currency,optional" msgpack:"a"`
	Revenue   float64 `parquet:"revenue" msgpack:"b"`
	Purchases int64   `parquet:"purchases" msgpack:"c"`
}

// Reconciliation is a row of reconciliation: a partial count of a streaming
// job's records in, or of one of their outcomes, for one publish minute.
type Reconciliation struct {
	IntervalDate  time.Time `parquet:"interval_date,date"`
	IntervalStart time.Time `parquet:"interval_start,timestamp(microsecond)"`
	RunID         string    `parquet:"run_id"`
	Outcome       string    `parquet:"outcome"`
	Detail        string    `parquet:"detail,optional"`
	Records       int64     `parquet:"records"`
	WrittenAt     time.Time `parquet:"written_at,timestamp(microsecond)"`
}

// DeliveryOf returns the record's message as a Delivery (no row count: the
// record is not parsed yet).
func (r Record) DeliveryOf() Delivery {
	return Delivery{AckID: r.AckID, Published: r.Arrived, Watermark: r.Watermark}
}
