package generate

import "math"

// mutation is the one problem a malformed record has; its name is the
// dead-letter reason.
type mutation uint8

const (
	mutNone mutation = iota
	mutTooLarge
	mutCorruptGzip
	mutBadJSON
	mutBadBeacon
	mutBadEvent
	mutWrongType
	mutMissingEventID
	mutMissingDeviceID
	mutMissingCreatedAt
	mutMissingEventType
	mutBadTimestamp
	mutAbsurdTimestamp
)

var reasonNames = [...]string{"", "too_large", "corrupt_gzip", "bad_json", "bad_beacon", "bad_event", "wrong_type",
	"missing_event_id", "missing_device_id", "missing_created_at", "missing_event_type", "bad_timestamp", "absurd_timestamp"}

// wholeLine reports whether the mutation breaks the line as a whole, making
// it one record whatever it held.
func (m mutation) wholeLine() bool { return m == mutTooLarge || m == mutBadJSON || m == mutBadBeacon }

// Variants of wrong_type (line.mutVar).
const (
	wtEventID  uint8 = iota // "event_id":123
	wtPrice                 // "price":"abc"
	wtQuantity              // "quantity":"2"
	wtRevenue               // "revenue":"59.90"
	wtUserID                // "user_id":{"id":12345} (a number is an id, kept as text)
	wtIP                    // "ip":3232235777
)

// Variants of bad_timestamp.
const (
	tsBadCreated1 uint8 = iota // "created_at":"yesterday"
	tsBadCreated2              // "created_at":"2026-11-31T25:61:00Z"
	tsBadCreated3              // "created_at":"11/01/2026 10:15:30"
	tsBadSent                  // "sent_at":"not-a-date"
	tsBadReceived              // "received_at":"soon"
)

// Variants of absurd_timestamp.
const (
	absurd1999      uint8 = iota // received_at in 1999
	absurd2150                   // received_at in 2150
	absurdNoReceipt              // no received_at, created_at in 1970
)

// malformedShare splits the malformed records (other than too_large and
// corrupt_gzip) between the reasons.
var malformedShare = []struct {
	m mutation
	w float64
}{
	{mutBadJSON, 12}, {mutBadBeacon, 8}, {mutBadEvent, 10}, {mutWrongType, 12},
	{mutMissingEventID, 10}, {mutMissingDeviceID, 10}, {mutMissingCreatedAt, 10}, {mutMissingEventType, 10},
	{mutBadTimestamp, 10}, {mutAbsurdTimestamp, 8},
}

// malform gives about --bad_rate of the records exactly one problem each,
// covering every dead-letter reason (corrupt_gzip is made when writing).
func (g *gen) malform() {
	if g.cfg.BadRate <= 0 {
		return
	}
	total := 0
	for i := range g.lines {
		total += int(g.lines[i].evN)
	}
	bad := int(math.Round(g.cfg.BadRate * float64(total)))
	tooLarge := max(1, bad/400)
	rest := max(0, bad-tooLarge-1)
	for range tooLarge {
		g.malformLine(mutTooLarge)
	}
	for _, s := range malformedShare {
		for range max(1, int(math.Round(float64(rest)*s.w/100))) {
			g.malformLine(s.m)
		}
	}
}

func (g *gen) malformLine(m mutation) {
	rng := g.rng
	for try := range 400 {
		ln := &g.lines[rng.IntN(len(g.lines))]
		if ln.mut != mutNone {
			continue
		}
		switch m {
		case mutTooLarge, mutBadJSON:
			// Prefer single events, so that no beacon's events vanish.
			if ln.beacon && try < 300 {
				continue
			}
		case mutBadBeacon, mutBadEvent:
			if !ln.beacon {
				continue
			}
		}
		ln.mut = m
		ln.mutIdx = int16(rng.IntN(int(ln.evN)))
		e := &g.events[ln.evFirst+int32(ln.mutIdx)]
		switch m {
		case mutBadEvent:
			ln.mutIdx = int16(rng.IntN(int(ln.evN) + 1))
			ln.mutVar = uint8(rng.IntN(4))
		case mutBadJSON:
			ln.mutVar = uint8(rng.IntN(5))
		case mutBadBeacon:
			ln.mutVar = uint8(rng.IntN(4))
		case mutMissingEventID, mutMissingDeviceID, mutMissingCreatedAt:
			ln.mutVar = uint8(rng.IntN(3))
		case mutMissingEventType:
			ln.mutVar = uint8(rng.IntN(4))
		case mutWrongType:
			options := []uint8{wtEventID, wtUserID, wtIP}
			switch e.typ {
			case evProductView, evAddToWishlist:
				options = append(options, wtPrice, wtPrice, wtPrice)
			case evAddToCart, evRemoveFromCart:
				options = append(options, wtPrice, wtPrice, wtQuantity, wtQuantity, wtQuantity)
			case evPurchase:
				options = append(options, wtRevenue, wtRevenue, wtQuantity)
			}
			ln.mutVar = oneOf(rng, options)
		case mutBadTimestamp:
			ln.mutVar = uint8(rng.IntN(5))
		case mutAbsurdTimestamp:
			ln.mutVar = uint8(rng.IntN(3))
			if ln.beacon && ln.mutVar == absurdNoReceipt {
				// A beacon's events get received_at from the envelope.
				ln.mutVar = uint8(rng.IntN(2))
			}
		}
		return
	}
}
