package schemas

import "time"

// Partitioned is implemented by every row type: it returns the value of the
// table's partitioning column.
type Partitioned interface {
	PartitionDate() time.Time
}

// PartitionDate returns event_date.
func (e Event) PartitionDate() time.Time { return e.EventDate }

// PartitionDate returns event_date.
func (b BotEvent) PartitionDate() time.Time { return b.EventDate }

// PartitionDate returns dead_letter_date.
func (d DeadLetter) PartitionDate() time.Time { return d.DeadLetterDate }

// PartitionDate returns session_date.
func (s Session) PartitionDate() time.Time { return s.SessionDate }

// PartitionDate returns interval_date.
func (r Reconciliation) PartitionDate() time.Time { return r.IntervalDate }

// DateOf returns the UTC calendar date of t, as midnight UTC.
func DateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// TallyKey breaks the bots count down by rule.
func (b BotEvent) TallyKey() string { return b.BotRule }

// TallyKey breaks the dead-letter count down by reason.
func (d DeadLetter) TallyKey() string { return d.Reason }
