package generate

import (
	"math/rand/v2"
	"strconv"
	"time"
)

const (
	hexDigits = "0123456789abcdef"
	tsLayout  = "2006-01-02T15:04:05.000Z07:00"
	// maxRecordBytes is the contract's size limit for a line.
	maxRecordBytes = 256 << 10
)

// appendStr appends s as a JSON string.
func appendStr(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func appendUUID(b []byte, id [16]byte) []byte {
	for i, x := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&15])
	}
	return b
}

func appendUTC(b []byte, ms int64) []byte {
	return time.UnixMilli(ms).UTC().AppendFormat(b, tsLayout)
}

func appendQuotedUTC(b []byte, ms int64) []byte {
	b = append(b, '"')
	return append(appendUTC(b, ms), '"')
}

// appendDeviceTS appends a device-clock timestamp in the device's style.
func appendDeviceTS(b []byte, d *device, ms int64) []byte {
	switch d.ts {
	case tsMillis:
		return strconv.AppendInt(b, ms, 10)
	case tsOffset:
		b = append(b, '"')
		return append(time.UnixMilli(ms).In(d.zone).AppendFormat(b, tsLayout), '"')
	}
	return appendQuotedUTC(b, ms)
}

// appendMissing writes a required field as absent, null or blank.
func appendMissing(b []byte, key string, variant uint8) []byte {
	switch variant {
	case 0:
		return b
	case 1:
		return append(append(b, key...), "null"...)
	case 2:
		return append(append(b, key...), `""`...)
	}
	return append(append(b, key...), `"   "`...)
}

func appendCents(b []byte, cents int64) []byte {
	return strconv.AppendFloat(b, float64(cents)/100, 'f', -1, 64)
}

// withYear is the same instant's wall clock moved to another year: an absurd
// collector clock.
func withYear(ms int64, year int) int64 {
	t := time.UnixMilli(ms).UTC()
	return time.Date(year, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).UnixMilli()
}

// appendEvent appends one event object. single events carry the envelope
// fields themselves; m is the record's mutation (mutNone for a valid one).
func (g *gen) appendEvent(b []byte, ln *line, e *event, single bool, m mutation, v uint8) []byte {
	d := &g.devices[e.dev]
	start := len(b)
	b = append(b, '{')
	switch {
	case m == mutMissingEventID:
		b = appendMissing(b, `,"event_id":`, v)
	case m == mutWrongType && v == wtEventID:
		b = strconv.AppendUint(append(b, `,"event_id":`...), uint64(e.id[0])<<16|uint64(e.id[1])<<8|uint64(e.id[2]), 10)
	default:
		b = append(appendUUID(append(b, `,"event_id":"`...), e.id), '"')
	}
	if m == mutMissingEventType {
		b = appendMissing(b, `,"event_type":`, v)
	} else {
		b = append(append(append(b, `,"event_type":"`...), evTypeNames[e.typ]...), '"')
	}
	if m == mutMissingDeviceID {
		b = appendMissing(b, `,"device_id":`, v)
	} else {
		b = appendStr(append(b, `,"device_id":`...), d.id)
	}
	switch {
	case m == mutWrongType && v == wtUserID:
		b = append(strconv.AppendInt(append(b, `,"user_id":{"id":`...), 1000000+int64(e.id[3])*1000+int64(e.id[4]), 10), '}')
	case e.user >= 0:
		b = appendStr(append(b, `,"user_id":`...), g.persons[e.user].user)
	case d.nullUser:
		b = append(b, `,"user_id":null`...)
	}
	if e.sess != 0 {
		b = append(b, `,"session_id":"s-`...)
		for i := 28; i >= 0; i -= 4 {
			b = append(b, hexDigits[e.sess>>i&15])
		}
		b = append(b, '"')
	}
	if d.sdk != sdkPixel {
		b = append(append(append(b, `,"platform":"`...), d.form.platform()...), '"')
	}
	switch {
	case m == mutMissingCreatedAt:
		b = appendMissing(b, `,"created_at":`, v)
	case m == mutBadTimestamp && v == tsBadCreated1:
		b = append(b, `,"created_at":"yesterday"`...)
	case m == mutBadTimestamp && v == tsBadCreated2:
		b = append(b, `,"created_at":"2026-11-31T25:61:00Z"`...)
	case m == mutBadTimestamp && v == tsBadCreated3:
		b = append(b, `,"created_at":`...)
		b = append(time.UnixMilli(e.t+d.skew).UTC().AppendFormat(append(b, '"'), "01/02/2006 15:04:05"), '"')
	case m == mutAbsurdTimestamp && v == absurdNoReceipt:
		// A device whose clock reset to the epoch, sent without envelope.
		b = appendDeviceTS(append(b, `,"created_at":`...), d, e.t%msDay)
	default:
		b = appendDeviceTS(append(b, `,"created_at":`...), d, e.t+d.skew)
	}
	switch {
	case m == mutBadTimestamp && v == tsBadSent:
		b = append(b, `,"sent_at":"not-a-date"`...)
	case single && ln.hasSent:
		b = appendDeviceTS(append(b, `,"sent_at":`...), d, ln.send+d.skew)
	}
	switch {
	case m == mutBadTimestamp && v == tsBadReceived:
		b = append(b, `,"received_at":"soon"`...)
	case m == mutAbsurdTimestamp && v == absurd1999:
		b = appendQuotedUTC(append(b, `,"received_at":`...), withYear(ln.recv, 1999))
	case m == mutAbsurdTimestamp && v == absurd2150:
		b = appendQuotedUTC(append(b, `,"received_at":`...), withYear(ln.recv, 2150))
	case m == mutAbsurdTimestamp && v == absurdNoReceipt:
	case single:
		b = appendQuotedUTC(append(b, `,"received_at":`...), ln.recv)
	}
	if e.url != "" {
		b = appendStr(append(b, `,"page_url":`...), e.url)
	}
	if e.ref != "" {
		b = appendStr(append(b, `,"referrer":`...), e.ref)
	}
	b = appendStr(append(b, `,"user_agent":`...), d.ua)
	if m == mutWrongType && v == wtIP {
		b = strconv.AppendUint(append(b, `,"ip":`...), 1300000000+uint64(e.id[5])<<16|uint64(e.id[6])<<8, 10)
	} else {
		b = appendStr(append(b, `,"ip":`...), e.ip)
	}
	if e.product >= 0 {
		b = appendStr(append(b, `,"product_id":`...), g.cat.products[e.product].sku)
	}
	if e.cat >= 0 {
		b = appendStr(append(b, `,"category_id":`...), categories[e.cat].slug)
	}
	if e.query >= 0 {
		b = appendStr(append(b, `,"search_query":`...), g.cat.terms[e.query])
	}
	if e.typ == evSearch {
		b = strconv.AppendInt(append(b, `,"results_count":`...), resultsCount(e), 10)
	}
	switch e.typ {
	case evProductView, evAddToCart, evRemoveFromCart, evAddToWishlist:
		if m == mutWrongType && v == wtPrice {
			b = append(b, `,"price":"abc"`...)
		} else {
			b = appendCents(append(b, `,"price":`...), e.amount)
		}
		b = g.appendQuantity(b, e, m, v)
		b = appendStr(append(b, `,"currency":`...), currencyOf(e.dev))
	case evPurchase:
		b = append(strconv.AppendInt(append(b, `,"order_id":"o-`...), 10000000+int64(e.order), 10), '"')
		if m == mutWrongType && v == wtRevenue {
			b = append(appendCents(append(b, `,"revenue":"`...), e.amount), '"')
		} else {
			b = appendCents(append(b, `,"revenue":`...), e.amount)
		}
		b = g.appendQuantity(b, e, m, v)
		b = appendStr(append(b, `,"currency":`...), currencyOf(e.dev))
	}
	b = g.appendItems(b, e)
	b = g.appendCustom(b, d, e)
	b = append(b, '}')
	// Every field went in with a leading comma; drop the first one.
	copy(b[start+1:], b[start+2:])
	return b[:len(b)-1]
}

func (g *gen) appendQuantity(b []byte, e *event, m mutation, v uint8) []byte {
	if e.qty == 0 {
		return b
	}
	if m == mutWrongType && v == wtQuantity {
		return append(strconv.AppendInt(append(b, `,"quantity":"`...), int64(e.qty), 10), '"')
	}
	return strconv.AppendInt(append(b, `,"quantity":`...), int64(e.qty), 10)
}

// lineRand is the randomness of one line's serialization: seeded by the line,
// so files can be written in parallel, and a double-written line comes out
// byte-identical.
func (g *gen) lineRand(ln *line) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.cfg.Seed), uint64(ln.seq)))
}

// appendLine appends the line as the collector wrote it, without newline.
func (g *gen) appendLine(b []byte, ln *line) []byte {
	switch ln.mut {
	case mutTooLarge:
		return g.appendTooLarge(b, ln)
	case mutBadJSON:
		return g.appendBadJSON(b, ln)
	}
	return g.appendWellFormed(b, ln)
}

func (g *gen) appendWellFormed(b []byte, ln *line) []byte {
	recMut := ln.mut
	if recMut.wholeLine() || recMut == mutBadEvent {
		recMut = mutNone
	}
	if !ln.beacon {
		return g.appendEvent(b, ln, &g.events[ln.evFirst], true, recMut, ln.mutVar)
	}
	d := &g.devices[ln.dev]
	b = append(b, `{"sdk":`...)
	switch d.form {
	case formIOSApp:
		b = appendStr(b, "shop-ios/"+d.extra)
	case formAndroidApp:
		b = appendStr(b, "shop-android/"+d.extra)
	default:
		b = append(b, `"shop-js/3.14.2"`...)
	}
	b = appendDeviceTS(append(b, `,"sent_at":`...), d, ln.send+d.skew)
	b = appendQuotedUTC(append(b, `,"received_at":`...), ln.recv)
	b = append(b, `,"events":`...)
	if ln.mut == mutBadBeacon {
		switch ln.mutVar {
		case 0:
			b = append(b, "[]"...)
		case 1:
			// The SDK sent its one event as an object, not in an array.
			b = g.appendEvent(b, ln, &g.events[ln.evFirst], false, mutNone, 0)
		case 2:
			b = append(b, `"[object Object]"`...)
		default:
			b = strconv.AppendInt(b, int64(ln.evN), 10)
		}
		return append(b, '}')
	}
	b = append(b, '[')
	n := int(ln.evN)
	elem := 0
	for i := 0; i < n; i++ {
		if ln.mut == mutBadEvent && int(ln.mutIdx) == elem {
			b = append(b, []string{"42", `"page_view"`, `["page_view",1]`, "true"}[ln.mutVar]...)
			b = append(b, ',')
			elem++
		}
		m := mutNone
		if i == int(ln.mutIdx) {
			m = recMut
		}
		b = g.appendEvent(b, ln, &g.events[ln.evFirst+int32(i)], false, m, ln.mutVar)
		elem++
		if i < n-1 {
			b = append(b, ',')
		}
	}
	if ln.mut == mutBadEvent && int(ln.mutIdx) == n {
		b = append(b, ',')
		b = append(b, []string{"42", `"page_view"`, `["page_view",1]`, "true"}[ln.mutVar]...)
	}
	return append(b, "]}"...)
}

// appendTooLarge pads the line past the size limit with a field the
// pipeline would ignore (an SDK debug dump).
func (g *gen) appendTooLarge(b []byte, ln *line) []byte {
	rng := g.lineRand(ln)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b = g.appendWellFormed(b, ln)
	b = b[:len(b)-1]
	b = append(b, `,"dom_snapshot":"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA`...)
	var block [64]byte
	for i := range block {
		block[i] = alphabet[rng.IntN(64)]
	}
	for pad := maxRecordBytes + rng.IntN(120000); pad > 0; pad -= len(block) {
		b = append(b, block[:min(pad, len(block))]...)
		block[rng.IntN(64)] = alphabet[rng.IntN(64)]
	}
	return append(b, `"}`...)
}

var garbage = []string{
	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	"GET /collect?v=2&en=page_view&dl=https%3A%2F%2Fshop.example.com%2F HTTP/1.1",
	"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
	"event_id=7c1e4a&event_type=page_view&device_id=d-0a1b2c&created_at=1793528130120",
	"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
}

func (g *gen) appendBadJSON(b []byte, ln *line) []byte {
	rng := g.lineRand(ln)
	start := len(b)
	switch ln.mutVar {
	case 0:
		// Cut off mid-write.
		b = g.appendWellFormed(b, ln)
		n := len(b) - start
		return b[:start+n*15/100+rng.IntN(n*75/100)]
	case 1:
		b = append(b, oneOf(rng, garbage)...)
		for range rng.IntN(40) {
			if c := byte(rng.IntN(256)); c != '\n' && c != '\r' {
				b = append(b, c)
			}
		}
		return b
	case 2:
		b = append(b, '[')
		return append(g.appendWellFormed(b, ln), ']')
	case 3:
		// Encoded twice: a JSON string holding the JSON.
		inner := g.appendWellFormed(nil, ln)
		return appendStr(b, string(inner))
	default:
		// Two objects on one line: a newline went missing.
		b = g.appendWellFormed(b, ln)
		return g.appendWellFormed(b, ln)
	}
}
