package generate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

type outcome uint8

const (
	outNone outcome = iota
	outEvent
	outDuplicate
	outBot
	outDeadLetter
)

var outcomeNames = [...]string{"", "event", "duplicate", "bot", "dead_letter"}

const (
	botNone uint8 = iota
	botUserAgent
	botIP
	botRate
)

var botRuleNames = [...]string{"", "user_agent", "ip", "rate"}

const (
	sessionGap    = 30 * msMinute
	sessionMaxLen = 24 * msHour
	rateWindow    = 60 * msSecond
	rateLimit     = 200
)

// record is one input record: a line that fails as a whole, or one element
// of a line.
type record struct {
	file    int32
	line    int32 // 1-based
	index   int32 // 0-based position in the beacon's events
	ln      int32 // index into g.lines; -1 for the broken tail of a gzip file
	ev      int32 // the generated event it carries, -1 none
	session int32 // 1-based session number within the device
	reason  mutation
	outcome outcome
	bot     uint8
}

// Summary is truth_summary.json: counts by outcome, bot rule and dead-letter
// reason, plus figures about the simulated world.
type Summary struct {
	Seed  int64  `json:"seed"`
	Start string `json:"start"`
	Days  int    `json:"days"`
	// Dates are the simulated days in the pipeline's --dates syntax
	// (2026-11-01, or 2026-11-01..2026-11-07): what a run of the sample
	// owns, so that the events of visits past the last midnight, received
	// the day after, stay out of it.
	Dates             string         `json:"dates"`
	Files             int            `json:"files"`
	GzipFiles         int            `json:"gzip_files"`
	CorruptFile       string         `json:"corrupt_gzip_file,omitempty"`
	Lines             int            `json:"lines"`
	Records           int            `json:"records"`
	Outcomes          map[string]int `json:"outcomes"`
	BotRules          map[string]int `json:"bot_rules"`
	DeadLetterReasons map[string]int `json:"dead_letter_reasons"`
	Sessions          int            `json:"sessions"`
	EventsByDate      map[string]int `json:"events_by_date"`
	Persons           int            `json:"persons"`
	Devices           int            `json:"devices"`
	Events            int            `json:"events_simulated"`
	Visits            int            `json:"visits"` // human visits (bots and kiosks not counted)
	PurchaseVisits    int            `json:"visits_with_purchase"`
}

// records lists every record the files hold, in (file, line, index) order.
// Lines after the break of the truncated gzip file do not exist; its broken
// tail is one record.
func (g *gen) records(files []rawFile) []record {
	recs := make([]record, 0, len(g.events)*11/10)
	for fi := range files {
		f := &files[fi]
		for k := int32(0); k < f.n; k++ {
			if f.keep >= 0 && k >= f.keep {
				recs = append(recs, record{file: int32(fi), line: f.keep + 1, ln: -1, ev: -1, reason: mutCorruptGzip, outcome: outDeadLetter})
				break
			}
			li := f.first + k
			ln := &g.lines[li]
			base := record{file: int32(fi), line: k + 1, ln: li, ev: -1}
			if ln.mut.wholeLine() {
				r := base
				if !ln.beacon {
					r.ev = ln.evFirst
				}
				r.reason, r.outcome = ln.mut, outDeadLetter
				recs = append(recs, r)
				continue
			}
			n := ln.evN
			if ln.mut == mutBadEvent {
				n++
			}
			for i := range n {
				r := base
				r.index = i
				switch {
				case ln.mut == mutBadEvent && i == int32(ln.mutIdx):
					r.reason, r.outcome = mutBadEvent, outDeadLetter
					recs = append(recs, r)
					continue
				case ln.mut == mutBadEvent && i > int32(ln.mutIdx):
					r.ev = ln.evFirst + i - 1
				default:
					r.ev = ln.evFirst + i
					if ln.mut != mutNone && ln.mut != mutBadEvent && i == int32(ln.mutIdx) {
						r.reason, r.outcome = ln.mut, outDeadLetter
					}
				}
				recs = append(recs, r)
			}
		}
	}
	return recs
}

// judge applies the rules of the truth to the records: dead letters first,
// then duplicates, then bots; the rest are events, which are sessionized.
// It returns the number of sessions.
func (g *gen) judge(recs []record) int {
	sessions := 0
	// Duplicates: per (device_id, event_id), which is per generated event,
	// the valid record received first is kept; records are in (file,
	// line, index) order, which breaks ties.
	kept := make([]int32, len(g.events))
	for i := range kept {
		kept[i] = -1
	}
	for i := range recs {
		r := &recs[i]
		if r.outcome == outDeadLetter {
			continue
		}
		if k := kept[r.ev]; k < 0 || g.lines[r.ln].recv < g.lines[recs[k].ln].recv {
			kept[r.ev] = int32(i)
		}
	}
	for i := range recs {
		if r := &recs[i]; r.outcome == outNone {
			r.outcome = outEvent
			if kept[r.ev] != int32(i) {
				r.outcome = outDuplicate
			}
		}
	}

	for di := range g.devices {
		d := &g.devices[di]
		first, end := d.evFirst, d.evFirst+d.evN
		switch d.kind {
		case kindUABot, kindIPBot:
			rule := botUserAgent
			if d.kind == kindIPBot {
				rule = botIP
			}
			for ev := first; ev < end; ev++ {
				if k := kept[ev]; k >= 0 {
					recs[k].outcome, recs[k].bot = outBot, rule
				}
			}
			continue
		}
		// Rate: a device's day is a bot day when more than 200 of its kept
		// events fall in some 60 s window; a device's events are in time
		// order.
		var day []int32 // kept events of the current day
		flush := func() {
			if overRate(g.events, day) {
				for _, ev := range day {
					k := kept[ev]
					recs[k].outcome, recs[k].bot = outBot, botRate
				}
			}
			day = day[:0]
		}
		for ev := first; ev < end; ev++ {
			if kept[ev] < 0 {
				continue
			}
			if len(day) > 0 && g.events[ev].t/msDay != g.events[day[0]].t/msDay {
				flush()
			}
			day = append(day, ev)
		}
		flush()

		// Sessions over the device's events, in time order: a new one
		// after a gap, and in a chain of sessionMaxLen or longer (a
		// runaway) at every multiple of sessionMaxLen since the epoch.
		var chain []int32 // the current chain's events, in time order
		var n int32
		closeChain := func() {
			if len(chain) == 0 {
				return
			}
			runaway := g.events[chain[len(chain)-1]].t-g.events[chain[0]].t >= sessionMaxLen
			n++
			for i, ev := range chain {
				if runaway && i > 0 && g.events[ev].t/sessionMaxLen != g.events[chain[i-1]].t/sessionMaxLen {
					n++
				}
				recs[kept[ev]].session = n
			}
			chain = chain[:0]
		}
		for ev := first; ev < end; ev++ {
			if k := kept[ev]; k < 0 || recs[k].outcome != outEvent {
				continue
			}
			if len(chain) > 0 && g.events[ev].t-g.events[chain[len(chain)-1]].t >= sessionGap {
				closeChain()
			}
			chain = append(chain, ev)
		}
		closeChain()
		sessions += int(n)
	}
	return sessions
}

// overRate reports whether more than rateLimit of the events (sorted by
// time) fall in one half-open window [t, t+60s).
func overRate(events []event, evs []int32) bool {
	lo := 0
	for hi := range evs {
		for events[evs[hi]].t-events[evs[lo]].t >= rateWindow {
			lo++
		}
		if hi-lo+1 > rateLimit {
			return true
		}
	}
	return false
}

func dateOf(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.DateOnly) }

// receivedAt is the record's received_at as written, if it is a timestamp in
// [2000, 2100): the date a dead letter is filed under.
func (g *gen) receivedAt(r *record) (int64, bool) {
	if r.ln < 0 {
		return 0, false // the broken tail of a gzip file
	}
	ln := &g.lines[r.ln]
	switch {
	case ln.mut == mutTooLarge || ln.mut == mutBadJSON:
		return 0, false // the line does not parse
	case ln.mut == mutBadTimestamp && ln.mutVar == tsBadReceived && r.index == int32(ln.mutIdx):
		return 0, false
	case ln.mut == mutAbsurdTimestamp && r.index == int32(ln.mutIdx):
		return 0, false // absurd or absent
	}
	return ln.recv, true
}

// appendTruth appends the truth line of a record.
func (g *gen) appendTruth(b []byte, files []rawFile, r *record) []byte {
	f := &files[r.file]
	b = appendStr(append(b, `{"file":`...), f.path)
	b = strconv.AppendInt(append(b, `,"line":`...), int64(r.line), 10)
	b = strconv.AppendInt(append(b, `,"index":`...), int64(r.index), 10)
	var e *event
	if r.ev >= 0 {
		e = &g.events[r.ev]
	}
	var ln *line
	if r.ln >= 0 {
		ln = &g.lines[r.ln]
	}
	// Identifiers as sent: only for records that are event objects
	// carrying them as strings.
	sentIDs := e != nil && (r.outcome != outDeadLetter || !(r.reason.wholeLine() || r.reason == mutBadEvent))
	if sentIDs && !(r.reason == mutMissingEventID || (r.reason == mutWrongType && ln.mutVar == wtEventID)) {
		b = append(appendUUID(append(b, `,"event_id":"`...), e.id), '"')
	}
	if sentIDs && r.reason != mutMissingDeviceID {
		b = appendStr(append(b, `,"device_id":`...), g.devices[e.dev].id)
	}
	if sentIDs && e.user >= 0 && !(r.reason == mutWrongType && ln.mutVar == wtUserID) {
		b = appendStr(append(b, `,"user_id":`...), g.persons[e.user].user)
	} else {
		b = append(b, `,"user_id":null`...)
	}
	if e != nil {
		b = appendStr(append(b, `,"person_id":`...), g.persons[e.person].id)
	}
	b = append(append(append(b, `,"outcome":"`...), outcomeNames[r.outcome]...), '"')
	switch r.outcome {
	case outBot:
		b = append(append(append(b, `,"bot_rule":"`...), botRuleNames[r.bot]...), '"')
	case outDeadLetter:
		b = append(append(append(b, `,"reason":"`...), reasonNames[r.reason]...), '"')
	}
	if r.outcome == outDeadLetter {
		date := f.dt
		if ms, ok := g.receivedAt(r); ok {
			date = dateOf(ms)
		}
		b = append(append(append(b, `,"dead_letter_date":"`...), date...), '"')
	} else {
		b = appendQuotedUTC(append(b, `,"event_time":`...), e.t)
		b = append(append(append(b, `,"event_date":"`...), dateOf(e.t)...), '"')
	}
	if r.outcome == outEvent {
		b = appendStr(append(b, `,"session":`...), g.devices[e.dev].id+"#"+strconv.Itoa(int(r.session)))
		b = appendStr(append(b, `,"event_type":`...), evTypeNames[e.typ])
		b = appendEventTruth(b, e)
		b = g.appendTruthCustom(b, e)
	}
	return append(b, '}')
}

// writeTruth computes the truth and writes truth.jsonl.gz and
// truth_summary.json.
func (g *gen) writeTruth(files []rawFile) (*Summary, error) {
	recs := g.records(files)
	sessions := g.judge(recs)
	if err := g.writeCartTruth(recs); err != nil {
		return nil, err
	}
	if err := g.writeSearchTruth(recs); err != nil {
		return nil, err
	}
	if err := g.writeAnomalyTruth(); err != nil {
		return nil, err
	}

	s := &Summary{
		Seed: g.cfg.Seed, Start: g.cfg.Start.Format(time.DateOnly), Days: g.cfg.Days, Dates: g.cfg.Start.Format(time.DateOnly),
		Files: len(files), Lines: len(g.lines), Records: len(recs), Sessions: sessions,
		Outcomes: map[string]int{}, BotRules: map[string]int{}, DeadLetterReasons: map[string]int{}, EventsByDate: map[string]int{},
		Persons: len(g.persons), Devices: len(g.devices), Events: len(g.events), Visits: g.humanVisits, PurchaseVisits: g.purchaseVisits,
	}
	if g.cfg.Days > 1 {
		s.Dates += ".." + g.cfg.Start.AddDate(0, 0, g.cfg.Days-1).Format(time.DateOnly)
	}
	for _, o := range outcomeNames[1:] {
		s.Outcomes[o] = 0
	}
	for _, b := range botRuleNames[1:] {
		s.BotRules[b] = 0
	}
	for _, r := range reasonNames[1:] {
		s.DeadLetterReasons[r] = 0
	}
	for _, f := range files {
		if f.gzip {
			s.GzipFiles++
		}
		if f.keep >= 0 {
			s.CorruptFile = f.path
			s.Lines -= int(f.n - f.keep)
		}
	}

	fh, err := g.create("truth.jsonl.gz")
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	bw := bufio.NewWriterSize(fh, 1<<20)
	zw := newGzip(bw)
	var buf []byte
	for i := range recs {
		r := &recs[i]
		s.Outcomes[outcomeNames[r.outcome]]++
		switch r.outcome {
		case outBot:
			s.BotRules[botRuleNames[r.bot]]++
		case outDeadLetter:
			s.DeadLetterReasons[reasonNames[r.reason]]++
		case outEvent:
			s.EventsByDate[dateOf(g.events[r.ev].t)]++
		}
		buf = append(g.appendTruth(buf[:0], files, r), '\n')
		if _, err := zw.Write(buf); err != nil {
			return nil, fmt.Errorf("write truth: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("write truth: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("write truth: %w", err)
	}
	if err := fh.Close(); err != nil {
		return nil, fmt.Errorf("write truth: %w", err)
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode truth summary: %w", err)
	}
	if err := os.WriteFile(filepath.Join(g.cfg.Out, "truth_summary.json"), append(js, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write truth summary: %w", err)
	}
	return s, nil
}
