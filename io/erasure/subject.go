package erasure

import (
	"fmt"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/example/clickstream/io/internal/parquetrows"
	"github.com/example/clickstream/io/warehouse"
	"github.com/example/clickstream/schemas"
)

// subject is what one request erases, read from the warehouse before
// anything is removed.
type subject struct {
	request schemas.ErasureRequest
	keys    map[string]bool
	// devices are erased whole (a device request).
	devices map[string]bool
	// periods are the person's bridge periods, per device.
	periods map[string][]schemas.DeviceUser
	// sessions are the sessions of the person (by user_key or
	// resolved_user_key) or of an erased device.
	sessions map[string]bool
	// needles are searched for in payloads: the keys and erased devices.
	needles []string
}

// newSubjects reads the bridge and the sessions once and returns the
// subject of each request.
func newSubjects(out string, requests []schemas.ErasureRequest) ([]*subject, error) {
	bridge, err := warehouse.ReadRows[schemas.DeviceUser](out, "dim_device_users", nil)
	if err != nil {
		return nil, fmt.Errorf("erasure: %w", err)
	}
	sessions, err := warehouse.ReadRows[schemas.Session](out, "fact_sessions", nil)
	if err != nil {
		return nil, fmt.Errorf("erasure: %w", err)
	}
	return subjectsOf(requests, bridge, sessions), nil
}

// subjectsOf returns the subject of each request, given the bridge periods
// and the sessions (those of other people may be left out: only the
// request's keys and devices select from them).
func subjectsOf(requests []schemas.ErasureRequest, bridge []schemas.DeviceUser, sessions []schemas.Session) []*subject {
	subjects := make([]*subject, len(requests))
	for i, r := range requests {
		s := &subject{request: r, keys: map[string]bool{}, devices: map[string]bool{},
			periods: map[string][]schemas.DeviceUser{}, sessions: map[string]bool{}}
		for _, k := range r.UserKeys {
			s.keys[k] = true
			s.needles = append(s.needles, k)
		}
		if r.DeviceID != "" {
			s.devices[r.DeviceID] = true
			s.needles = append(s.needles, r.DeviceID)
		}
		for _, p := range bridge {
			if s.keys[p.UserKey] {
				s.periods[p.DeviceID] = append(s.periods[p.DeviceID], p)
			}
		}
		for _, ss := range sessions {
			if s.keys[ss.UserKey] || s.keys[ss.ResolvedUserKey] || s.devices[ss.DeviceID] {
				s.sessions[ss.SessionID] = true
			}
		}
		subjects[i] = s
	}
	return subjects
}

// matcher reads one table's rule columns out of its Parquet rows.
type matcher struct {
	rule                              Rule
	keys, payload                     []int
	device, at, session, source, line int
	atIsDate                          bool
}

// newMatcher resolves rule's columns in table's Parquet schema.
func newMatcher(table string, rule Rule) (*matcher, error) {
	schema, err := parquetrows.Schema(table)
	if err != nil {
		return nil, fmt.Errorf("erasure: %w", err)
	}
	index := func(name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		leaf, ok := schema.Lookup(name)
		if !ok {
			return 0, fmt.Errorf("erasure: %s has no column %s", table, name)
		}
		return leaf.ColumnIndex, nil
	}
	m := &matcher{rule: rule}
	for _, c := range rule.Keys {
		i, err := index(c)
		if err != nil {
			return nil, err
		}
		m.keys = append(m.keys, i)
	}
	for _, c := range rule.Payload {
		i, err := index(c)
		if err != nil {
			return nil, err
		}
		m.payload = append(m.payload, i)
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{rule.Device, &m.device}, {rule.At, &m.at}, {rule.Session, &m.session}, {rule.Source, &m.source}, {rule.Line, &m.line}} {
		if *f.dst, err = index(f.name); err != nil {
			return nil, err
		}
	}
	if rule.At != "" {
		c, _ := schemas.MustTable(table).Column(rule.At)
		m.atIsDate = c.Type == "DATE"
	}
	return m, nil
}

// value is the value of the non-repeated column col in row (NULL when
// absent).
func value(row parquet.Row, col int) parquet.Value {
	if i := parquetrows.Index(row, col); i >= 0 {
		return row[i]
	}
	return parquet.Value{}
}

func str(row parquet.Row, col int) string {
	if col < 0 {
		return ""
	}
	v := value(row, col)
	if v.IsNull() {
		return ""
	}
	return string(v.ByteArray())
}

// matches reports whether row belongs to s.
func (m *matcher) matches(s *subject, row parquet.Row) bool {
	for _, c := range m.keys {
		if k := str(row, c); k != "" && s.keys[k] {
			return true
		}
	}
	if m.session >= 0 && s.sessions[str(row, m.session)] {
		return true
	}
	if m.device >= 0 {
		d := str(row, m.device)
		if s.devices[d] {
			return true
		}
		if periods := s.periods[d]; len(periods) > 0 && m.at >= 0 && m.inPeriod(periods, value(row, m.at)) {
			return true
		}
	}
	for _, c := range m.payload {
		text := str(row, c)
		for _, n := range s.needles {
			if strings.Contains(text, n) {
				return true
			}
		}
	}
	return false
}

// inPeriod reports whether the time v falls in one of periods; a DATE is
// in a period when the day overlaps it.
func (m *matcher) inPeriod(periods []schemas.DeviceUser, v parquet.Value) bool {
	if v.IsNull() {
		return false
	}
	for _, p := range periods {
		if m.atIsDate {
			day := time.Unix(int64(v.Int32())*86400, 0).UTC()
			if !day.Before(schemas.DateOf(p.ValidFrom)) && (p.ValidTo.IsZero() || day.Before(p.ValidTo)) {
				return true
			}
			continue
		}
		t := time.UnixMicro(v.Int64()).UTC()
		if !t.Before(p.ValidFrom) && (p.ValidTo.IsZero() || t.Before(p.ValidTo)) {
			return true
		}
	}
	return false
}

// rawLine is a line of a raw file, 1-based.
type rawLine struct {
	file string
	line int64
}

// rawLineOf is the raw file and line row was read from, when the rule
// names them and the row came from a file (not Pub/Sub).
func (m *matcher) rawLineOf(row parquet.Row) (rawLine, bool) {
	if m.source < 0 || m.line < 0 {
		return rawLine{}, false
	}
	v := value(row, m.line)
	if v.IsNull() || v.Int64() <= 0 {
		return rawLine{}, false
	}
	return rawLine{file: str(row, m.source), line: v.Int64()}, true
}
