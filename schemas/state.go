package schemas

import "time"

// The dimension step's state (sql/models): per event date, what the
// dimensions are combined from, so that a run reads its own dates and the
// dimensions rather than the whole history (see tables/state_*.json).

// DeviceDay is a row of state_device_days: one device's events of one date.
type DeviceDay struct {
	EventDate    time.Time `parquet:"event_date,date"`
	DeviceID     string    `parquet:"device_id"`
	FirstEventAt time.Time `parquet:"first_event_at,timestamp(microsecond)"`
	LastEventAt  time.Time `parquet:"last_event_at,timestamp(microsecond)"`
	DeviceType   string    `parquet:"device_type"`
	Platform     string    `parquet:"platform,optional"`
	LoginCount   int64     `parquet:"login_count"`
}

// DeviceUserRun is a row of state_device_user_runs: a run of one device's
// consecutive events of one date that carry the same user_key.
type DeviceUserRun struct {
	EventDate       time.Time `parquet:"event_date,date"`
	DeviceID        string    `parquet:"device_id"`
	UserKey         string    `parquet:"user_key"`
	RunStartAt      time.Time `parquet:"run_start_at,timestamp(microsecond)"`
	RunStartEventID string    `parquet:"run_start_event_id"`
	RunLastAt       time.Time `parquet:"run_last_at,timestamp(microsecond)"`
}

// PageDay is a row of state_page_days: a page seen on one date.
type PageDay struct {
	EventDate time.Time `parquet:"event_date,date"`
	PageKey   string    `parquet:"page_key"`
	Host      string    `parquet:"host,optional"`
	Path      string    `parquet:"path,optional"`
}

// UserDay is a row of state_user_days: one user's first session and its
// purchases on one date, by the user's own user_key (fact_sessions.user_key
// and fact_events.user_key of purchase events).
type UserDay struct {
	EventDate           time.Time `parquet:"event_date,date"`
	UserKey             string    `parquet:"user_key"`
	FirstSessionID      string    `parquet:"first_session_id,optional"`
	FirstSessionAt      time.Time `parquet:"first_session_at,optional,timestamp(microsecond)"`
	TrafficSource       string    `parquet:"traffic_source,optional"`
	TrafficMedium       string    `parquet:"traffic_medium,optional"`
	DefaultChannelGroup string    `parquet:"default_channel_group,optional"`
	Purchases           int64     `parquet:"purchases"`
	FirstPurchaseAt     time.Time `parquet:"first_purchase_at,optional,timestamp(microsecond)"`
	LastPurchaseAt      time.Time `parquet:"last_purchase_at,optional,timestamp(microsecond)"`
	// RevenueByCurrency is the date's purchase revenue per currency,
	// ordered by currency (NULL first).
	RevenueByCurrency []CurrencyRevenue `parquet:"revenue_by_currency,list"`
}

// StateDate is a row of state_dates: whether the dimension state of a date
// reflects its facts.
type StateDate struct {
	EventDate time.Time `parquet:"event_date,date"`
	// Status is StatusPending or StatusBuilt.
	Status string `parquet:"status"`
	RunID  string `parquet:"run_id"`
}

// state_dates statuses.
const (
	StatusPending = "pending"
	StatusBuilt   = "built"
)

// PartitionDate returns event_date.
func (d DeviceDay) PartitionDate() time.Time { return d.EventDate }

// PartitionDate returns event_date.
func (r DeviceUserRun) PartitionDate() time.Time { return r.EventDate }

// PartitionDate returns event_date.
func (p PageDay) PartitionDate() time.Time { return p.EventDate }

// PartitionDate returns event_date.
func (u UserDay) PartitionDate() time.Time { return u.EventDate }

// PartitionDate returns event_date.
func (d StateDate) PartitionDate() time.Time { return d.EventDate }
