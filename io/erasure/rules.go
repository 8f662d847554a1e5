package erasure

// Kind says what erasure does with a table.
type Kind int

const (
	// Rows: the subject's rows are deleted, found by the rule's columns.
	Rows Kind = iota + 1
	// Aggregate: the table holds no individual-level rows (counts per
	// window, per run, per page); it is left alone (README, Erasure and
	// retention).
	Aggregate
	// Derived: the table is computed from the facts by the dimension step
	// (the identity bridge, the dimensions and their state), which Erase
	// runs on the erased dates: it is brought up to date from the remaining
	// facts rather than edited, so that it equals a rebuild. The rule's
	// columns say where the subject appears, for the coverage test.
	Derived
	// Record: the erasure's own record (requests and log), which keeps the
	// hashed keys so that erased stays erased; never erased, and not
	// searched by Verify.
	Record
)

// Rule is how one table's rows are matched to an erasure subject.
type Rule struct {
	Kind Kind
	// Keys are columns holding a user_key: a row whose value is one of the
	// subject's keys is erased.
	Keys []string
	// Device is the column holding the device id: a row of an erased device
	// is erased, and so is one of a device the person used whose At column
	// falls in one of the person's bridge periods on it.
	Device string
	// At is the TIMESTAMP (or DATE, compared by day) column Device's
	// periods apply to.
	At string
	// Session is the session id column: a row of a session of the subject
	// (by user_key or resolved_user_key) is erased.
	Session string
	// Payload are columns of raw text (JSON): a row whose text holds one of
	// the subject's keys or erased device ids is erased.
	Payload []string
	// Source and Line name the raw file and line a row was read from: the
	// raw archive lines of the erased rows are blanked (raw.go).
	Source, Line string
}

// Rules is the erasure rule of every table of schemas/tables;
// TestRulesCoverEveryTable fails for a table without one, or one whose
// identifying columns its rule does not use.
var Rules = map[string]Rule{
	"fact_events": {Kind: Rows, Keys: []string{"user_key"}, Device: "device_id", At: "event_time",
		Session: "session_id", Source: "source", Line: "source_line"},
	"fact_sessions": {Kind: Rows, Keys: []string{"user_key", "resolved_user_key"}, Device: "device_id",
		At: "session_start", Session: "session_id"},
	"bot_events": {Kind: Rows, Device: "device_id", At: "event_time", Source: "source", Line: "source_line"},
	"dead_letter": {Kind: Rows, Device: "device_id", At: "dead_letter_date", Payload: []string{"payload", "attributes"},
		Source: "source", Line: "source_line"},
	"cart_abandonment": {Kind: Rows, Keys: []string{"resolved_user_key"}, Device: "device_id", At: "cart_start"},

	// The identity bridge, the dimensions and their state: rebuilt by the
	// dimension step from the remaining facts.
	"dim_device_users":       {Kind: Derived, Keys: []string{"user_key"}, Device: "device_id", At: "valid_from"},
	"dim_devices":            {Kind: Derived, Keys: []string{"last_login_user_key"}, Device: "device_id"},
	"dim_users":              {Kind: Derived, Keys: []string{"user_key"}},
	"state_device_days":      {Kind: Derived, Device: "device_id", At: "event_date"},
	"state_device_user_runs": {Kind: Derived, Keys: []string{"user_key"}, Device: "device_id", At: "run_start_at"},
	"state_user_days":        {Kind: Derived, Keys: []string{"user_key"}},

	"dim_pages":        {Kind: Aggregate},
	"state_page_days":  {Kind: Aggregate},
	"state_dates":      {Kind: Aggregate},
	"dimension_lease":  {Kind: Aggregate},
	"live_funnel_10m":  {Kind: Aggregate},
	"live_anomalies":   {Kind: Aggregate},
	"live_products_1h": {Kind: Aggregate},
	"live_search_1h":   {Kind: Aggregate},
	"reconciliation":   {Kind: Aggregate},
	"runs":             {Kind: Aggregate},
	"run_outcomes":     {Kind: Aggregate},
	"run_partitions":   {Kind: Aggregate},

	"erasure_requests": {Kind: Record},
	"erasure_log":      {Kind: Record},
}

// identifying are the column names that hold, or may hold, who a row is
// about: a table with one of them needs a Rows rule that uses it.
var identifying = map[string]bool{
	"user_key": true, "resolved_user_key": true, "last_login_user_key": true,
	"device_id": true, "session_id": true, "payload": true, "attributes": true,
}

// erases reports whether the table is rebuilt or erased from, and so must
// use its identifying columns.
func (k Kind) erases() bool { return k == Rows || k == Derived }

// columns lists the columns rule r reads.
func (r Rule) columns() []string {
	cols := append([]string(nil), r.Keys...)
	cols = append(cols, r.Payload...)
	for _, c := range []string{r.Device, r.At, r.Session, r.Source, r.Line} {
		if c != "" {
			cols = append(cols, c)
		}
	}
	return cols
}
