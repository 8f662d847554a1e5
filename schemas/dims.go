package schemas

import "time"

// DeviceUser is a row of dim_device_users, the time-ranged identity bridge:
// one period during which UserKey is the user of DeviceID (see
// tables/dim_device_users.json and sql/models).
type DeviceUser struct {
	DeviceID  string    `parquet:"device_id"`
	UserKey   string    `parquet:"user_key"`
	ValidFrom time.Time `parquet:"valid_from,timestamp(microsecond)"`
	// ValidTo is exclusive; the zero time (NULL) marks the device's current
	// period.
	ValidTo time.Time `parquet:"valid_to,optional,timestamp(microsecond)"`
}

// Device is a row of dim_devices (see tables/dim_devices.json).
type Device struct {
	DeviceID         string    `parquet:"device_id"`
	FirstSeenAt      time.Time `parquet:"first_seen_at,timestamp(microsecond)"`
	LastSeenAt       time.Time `parquet:"last_seen_at,timestamp(microsecond)"`
	Platform         string    `parquet:"platform,optional"`
	DeviceType       string    `parquet:"device_type"`
	LastLoginUserKey string    `parquet:"last_login_user_key,optional"`
	LoginCount       int64     `parquet:"login_count"`
}

// User is a row of dim_users (see tables/dim_users.json).
type User struct {
	UserKey     string    `parquet:"user_key"`
	FirstSeenAt time.Time `parquet:"first_seen_at,timestamp(microsecond)"`
	LastSeenAt  time.Time `parquet:"last_seen_at,timestamp(microsecond)"`
	DeviceCount int64     `parquet:"device_count"`
	// The first touch: the user's first session by its own user_key
	// (session_start, then session_id) and its traffic, empty without one.
	FirstSessionID           string    `parquet:"first_session_id,optional"`
	FirstSessionAt           time.Time `parquet:"first_session_at,optional,timestamp(microsecond)"`
	FirstTrafficSource       string    `parquet:"first_traffic_source,optional"`
	FirstTrafficMedium       string    `parquet:"first_traffic_medium,optional"`
	FirstDefaultChannelGroup string    `parquet:"first_default_channel_group,optional"`
	// The user's purchase events by its own user_key: first and last
	// event_time (zero without any), count, and revenue per currency
	// (ordered by currency, NULL first), never summed across currencies.
	FirstPurchaseAt   time.Time         `parquet:"first_purchase_at,optional,timestamp(microsecond)"`
	LastPurchaseAt    time.Time         `parquet:"last_purchase_at,optional,timestamp(microsecond)"`
	OrderCount        int64             `parquet:"order_count,optional"`
	RevenueByCurrency []CurrencyRevenue `parquet:"revenue_by_currency,list"`
}

// PageTypeRule is one page-type rule of dim_pages: the type it gives, and
// its RE2 pattern, matched anywhere in the path. The rules are parsed by
// package enrich and loaded, as data, by the dimension step (table
// page_type_rules), where dim_pages is typed in SQL.
type PageTypeRule struct {
	Type, Pattern string
}

// Page is a row of dim_pages (see tables/dim_pages.json).
type Page struct {
	PageKey  string `parquet:"page_key"`
	Host     string `parquet:"host,optional"`
	Path     string `parquet:"path,optional"`
	PageType string `parquet:"page_type"`
}
