package sessionize

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/enrich"
)

func init() {
	// Registering the type by name lets a worker rebuild it; the coder keeps
	// accumulators compact when they cross a shuffle (a lifted combine).
	beam.RegisterType(reflect.TypeFor[Accumulator]())
	beam.RegisterCoder(reflect.TypeFor[Accumulator](), encodeAccumulator, decodeAccumulator)
}

// Event types that fact_sessions counts; any other type only counts in
// event_count.
const (
	kindOther uint8 = iota
	kindPageView
	kindProductView
	kindSearch
	kindAddToCart
	kindCheckoutStart
	kindPurchase
)

func kindOf(eventType string) uint8 {
	switch eventType {
	case "page_view":
		return kindPageView
	case "product_view":
		return kindProductView
	case "search":
		return kindSearch
	case "add_to_cart":
		return kindAddToCart
	case "checkout_start":
		return kindCheckoutStart
	case "purchase":
		return kindPurchase
	}
	return kindOther
}

// Accumulator holds the events of one device (in Streaming, of one session
// window) in the compact form that building session rows needs. It is the
// accumulator of Streaming's CombineFn, and Batch folds a device's events into
// it directly, so both executions build rows with the same code.
//
// Add events with Add, combine accumulators with Merge, build rows with
// Rows. The zero value is an empty accumulator. It holds plain fields (no
// time.Time) and crosses shuffles as MessagePack.
type Accumulator struct {
	DeviceID string
	Hits     []Hit
	// Attrs are the distinct attribution fields of the events, shared by
	// index: a device's events nearly always repeat the same ones.
	Attrs []Attribution
}

// Hit is what a session row needs of one event.
type Hit struct {
	// Micros is event_time in microseconds since the Unix epoch.
	Micros   int64
	EventID  string
	Kind     uint8
	PagePath string
	PageKey  string
	UserKey  string
	// Revenue is the revenue of a purchase (0 for other events).
	Revenue float64
	// Currency is the currency of a purchase ("" for other events).
	Currency string
	// Attr indexes Accumulator.Attrs.
	Attr int32
}

// Attribution is what a session row takes from its first event.
type Attribution struct {
	Referrer, ReferrerHost                                 string
	UTMSource, UTMMedium, UTMCampaign, UTMTerm, UTMContent string
	GCLID, MSCLKID, FBCLID                                 string
	DeviceType, Browser, OS, Platform                      string

	TrafficSource, TrafficMedium, TrafficCampaign, DefaultChannelGroup string
	GeoCountry, GeoRegion, GeoCity, GeoContinent                       string
}

func attributionOf(e *schemas.Event) Attribution {
	return Attribution{
		Referrer: e.Referrer, ReferrerHost: e.ReferrerHost,
		UTMSource: e.UTMSource, UTMMedium: e.UTMMedium, UTMCampaign: e.UTMCampaign,
		UTMTerm: e.UTMTerm, UTMContent: e.UTMContent,
		GCLID: e.GCLID, MSCLKID: e.MSCLKID, FBCLID: e.FBCLID,
		DeviceType: e.DeviceType, Browser: e.Browser, OS: e.OS, Platform: e.Platform,

		TrafficSource: e.TrafficSource, TrafficMedium: e.TrafficMedium,
		TrafficCampaign: e.TrafficCampaign, DefaultChannelGroup: e.DefaultChannelGroup,
		GeoCountry: e.GeoCountry, GeoRegion: e.GeoRegion, GeoCity: e.GeoCity, GeoContinent: e.GeoContinent,
	}
}

func compareAttribution(a, b *Attribution) int {
	return cmp.Or(
		cmp.Compare(a.Referrer, b.Referrer), cmp.Compare(a.ReferrerHost, b.ReferrerHost),
		cmp.Compare(a.UTMSource, b.UTMSource),
		cmp.Compare(a.UTMMedium, b.UTMMedium), cmp.Compare(a.UTMCampaign, b.UTMCampaign),
		cmp.Compare(a.UTMTerm, b.UTMTerm), cmp.Compare(a.UTMContent, b.UTMContent),
		cmp.Compare(a.GCLID, b.GCLID), cmp.Compare(a.MSCLKID, b.MSCLKID), cmp.Compare(a.FBCLID, b.FBCLID),
		cmp.Compare(a.DeviceType, b.DeviceType), cmp.Compare(a.Browser, b.Browser),
		cmp.Compare(a.OS, b.OS), cmp.Compare(a.Platform, b.Platform),

		cmp.Compare(a.TrafficSource, b.TrafficSource), cmp.Compare(a.TrafficMedium, b.TrafficMedium),
		cmp.Compare(a.TrafficCampaign, b.TrafficCampaign), cmp.Compare(a.DefaultChannelGroup, b.DefaultChannelGroup),
		cmp.Compare(a.GeoCountry, b.GeoCountry), cmp.Compare(a.GeoRegion, b.GeoRegion),
		cmp.Compare(a.GeoCity, b.GeoCity), cmp.Compare(a.GeoContinent, b.GeoContinent),
	)
}

// attrLookback bounds the search for an equal attribution when adding an
// event, so that Add stays O(1); a repeated entry costs space, never
// correctness.
const attrLookback = 4

// Add adds one event. The accumulator takes the device id of its first
// event; every event must be of that device.
func (a *Accumulator) Add(e schemas.Event) {
	if a.DeviceID == "" {
		a.DeviceID = e.DeviceID
	}
	h := Hit{
		Micros: e.EventTime.UnixMicro(), EventID: e.EventID, Kind: kindOf(e.EventType),
		PagePath: e.PagePath, PageKey: e.PageKey, UserKey: e.UserKey,
		Attr: a.attribution(attributionOf(&e)),
	}
	if h.Kind == kindPurchase {
		h.Currency = e.Currency
		if e.Revenue != nil {
			h.Revenue = *e.Revenue
		}
	}
	a.Hits = append(a.Hits, h)
}

func (a *Accumulator) attribution(at Attribution) int32 {
	for i := len(a.Attrs) - 1; i >= 0 && i >= len(a.Attrs)-attrLookback; i-- {
		if a.Attrs[i] == at {
			return int32(i)
		}
	}
	a.Attrs = append(a.Attrs, at)
	return int32(len(a.Attrs) - 1)
}

// Merge adds the events of b. It copies, so a and b share no memory after.
func (a *Accumulator) Merge(b Accumulator) {
	if a.DeviceID == "" {
		a.DeviceID = b.DeviceID
	}
	offset := int32(len(a.Attrs))
	a.Attrs = slices.Concat(a.Attrs, b.Attrs)
	n := len(a.Hits)
	a.Hits = slices.Concat(a.Hits, b.Hits)
	for i := n; i < len(a.Hits); i++ {
		a.Hits[i].Attr += offset
	}
}

// Rows builds the session rows of the accumulated events, ordered by start
// (see the package documentation for the rules). It panics on options that
// Options.Validate rejects.
func (a *Accumulator) Rows(o Options) []schemas.Session {
	rows, _ := a.build(mustOptions(o))
	return rows
}

// compareHits is the sessions' order (Order in the package doc): time, a
// self-referral after the other hits of its instant, event id; hits that tie
// on all of these are ordered by their content, so that the order never
// depends on the order in which events arrived.
func (a *Accumulator) compareHits(i, j int32) int {
	x, y := &a.Hits[i], &a.Hits[j]
	if c := cmp.Compare(x.Micros, y.Micros); c != 0 {
		return c // nearly always: the rest is for ties
	}
	if c := cmp.Or(
		compareBool(a.selfReferral(x), a.selfReferral(y)),
		cmp.Compare(x.EventID, y.EventID),
		cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.PagePath, y.PagePath),
		cmp.Compare(x.PageKey, y.PageKey), cmp.Compare(x.UserKey, y.UserKey),
		cmp.Compare(x.Revenue, y.Revenue), cmp.Compare(x.Currency, y.Currency),
	); c != 0 {
		return c
	}
	return compareAttribution(&a.Attrs[x.Attr], &a.Attrs[y.Attr])
}

// selfReferral reports whether h came from a page of the site itself (an
// internal referrer, so traffic source (direct), with no campaign tags or
// click ids, which would have set another source; see package enrich).
func (a *Accumulator) selfReferral(h *Hit) bool {
	attr := &a.Attrs[h.Attr]
	return attr.ReferrerHost != "" && attr.TrafficSource == enrich.SourceDirect
}

// compareBool orders false before true.
func compareBool(x, y bool) int {
	switch {
	case x == y:
		return 0
	case x:
		return 1
	}
	return -1
}

// build returns the rows and, for each hit (in the order of Hits), the index
// of its row. o must have its defaults filled in.
func (a *Accumulator) build(o Options) (rows []schemas.Session, rowOf []int32) {
	n := len(a.Hits)
	if n == 0 {
		return nil, nil
	}
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, a.compareHits)

	gapMillis := o.Gap.Milliseconds()
	maxMicros := o.MaxLength.Microseconds()
	rowOf = make([]int32, n)
	for start := 0; start < n; {
		// A session: no gap of gapMillis or more between consecutive hits,
		// measured on millisecond timestamps as Beam's session windows are.
		end := start + 1
		for end < n && millis(a.Hits[order[end]].Micros)-millis(a.Hits[order[end-1]].Micros) < gapMillis {
			end++
		}
		// Its rows: one, unless the session lasts MaxLength or more (a
		// runaway), which is cut at every multiple of MaxLength since the
		// Unix epoch: the same instants whichever of its events a run reads.
		runaway := a.Hits[order[end-1]].Micros-a.Hits[order[start]].Micros >= maxMicros
		for rowStart := start; rowStart < end; {
			rowEnd := end
			if runaway {
				limit := nextMultiple(a.Hits[order[rowStart]].Micros, maxMicros)
				rowEnd = rowStart + 1
				for rowEnd < end && a.Hits[order[rowEnd]].Micros < limit {
					rowEnd++
				}
			}
			for _, h := range order[rowStart:rowEnd] {
				rowOf[h] = int32(len(rows))
			}
			row := a.row(order[rowStart:rowEnd], o.MaxPathLength)
			row.IsRunaway = runaway
			rows = append(rows, row)
			rowStart = rowEnd
		}
		start = end
	}
	return rows, rowOf
}

// nextMultiple is the first multiple of step after t.
func nextMultiple(t, step int64) int64 {
	next := t - t%step + step
	if t%step < 0 {
		next -= step
	}
	return next
}

// millis is Beam's timestamp of a time in microseconds (rounded down, as
// time.Time.UnixMilli).
func millis(micros int64) int64 {
	ms := micros / 1000
	if micros%1000 < 0 {
		ms--
	}
	return ms
}

// row builds the row of the hits idx, in order.
func (a *Accumulator) row(idx []int32, maxPath int) schemas.Session {
	first, last := &a.Hits[idx[0]], &a.Hits[idx[len(idx)-1]]
	at := &a.Attrs[first.Attr]
	s := schemas.Session{
		SessionID:    SessionID(a.DeviceID, first.Micros, first.EventID),
		DeviceID:     a.DeviceID,
		SessionStart: time.UnixMicro(first.Micros).UTC(),
		SessionEnd:   time.UnixMicro(last.Micros).UTC(),
		EventCount:   int64(len(idx)),
		Referrer:     at.Referrer, ReferrerHost: at.ReferrerHost,
		UTMSource: at.UTMSource, UTMMedium: at.UTMMedium, UTMCampaign: at.UTMCampaign,
		UTMTerm: at.UTMTerm, UTMContent: at.UTMContent,
		GCLID: at.GCLID, MSCLKID: at.MSCLKID, FBCLID: at.FBCLID,
		DeviceType: at.DeviceType, Browser: at.Browser, OS: at.OS, Platform: at.Platform,
		Version: 1,

		TrafficSource: at.TrafficSource, TrafficMedium: at.TrafficMedium,
		TrafficCampaign: at.TrafficCampaign, DefaultChannelGroup: at.DefaultChannelGroup,
		GeoCountry: at.GeoCountry, GeoRegion: at.GeoRegion, GeoCity: at.GeoCity, GeoContinent: at.GeoContinent,
	}
	s.SessionDate = schemas.DateOf(s.SessionStart)
	s.DurationSeconds = float64(last.Micros-first.Micros) / 1e6
	for _, i := range idx {
		h := &a.Hits[i]
		switch h.Kind {
		case kindPageView:
			s.PageViews++
		case kindProductView:
			s.ProductViews++
		case kindSearch:
			s.Searches++
		case kindAddToCart:
			s.AddToCarts++
		case kindCheckoutStart:
			s.CheckoutStarts++
		case kindPurchase:
			s.Purchases++
			s.RevenueByCurrency = addRevenue(s.RevenueByCurrency, h.Currency, h.Revenue)
		}
		if h.UserKey != "" {
			s.UserKey = h.UserKey
		}
		if h.PagePath == "" {
			continue
		}
		if s.LandingPagePath == "" {
			s.LandingPagePath, s.LandingPageKey = h.PagePath, h.PageKey
		}
		s.ExitPagePath, s.ExitPageKey = h.PagePath, h.PageKey
		seq := s.PagePathSequence
		if len(seq) < maxPath && (len(seq) == 0 || seq[len(seq)-1] != h.PagePath) {
			s.PagePathSequence = append(seq, h.PagePath)
		}
	}
	s.ResolvedUserKey = s.UserKey
	s.HadPurchase = s.Purchases > 0
	s.Revenue, s.Currency = singleCurrency(s.RevenueByCurrency)
	s.IsBounce = s.EventCount == 1
	s.IsEngaged = s.DurationSeconds > 10 || s.PageViews+s.ProductViews >= 2 || s.HadPurchase
	return s
}

// singleCurrency is a session's revenue and its currency when its
// purchases are all in one currency (that currency is "" when they named
// none), 0 without purchases, and nil when they are in several currencies:
// revenue is never summed across currencies.
func singleCurrency(revenue []schemas.CurrencyRevenue) (*float64, string) {
	switch len(revenue) {
	case 0:
		return new(float64), ""
	case 1:
		sum := revenue[0].Revenue
		return &sum, revenue[0].Currency
	}
	return nil, ""
}

// addRevenue adds one purchase to revenue, kept ordered by currency.
func addRevenue(revenue []schemas.CurrencyRevenue, currency string, amount float64) []schemas.CurrencyRevenue {
	i, found := slices.BinarySearchFunc(revenue, currency, func(r schemas.CurrencyRevenue, c string) int {
		return cmp.Compare(r.Currency, c)
	})
	if !found {
		revenue = slices.Insert(revenue, i, schemas.CurrencyRevenue{Currency: currency})
	}
	revenue[i].Revenue += amount
	revenue[i].Purchases++
	return revenue
}

// SessionID is the id of the session (or row of a split session) whose first
// event, in the sessions' order (Order in the package doc), has the given
// time in microseconds and id: the first 32 hex digits of
// sha256("<device_id>|<event_time µs>|<event_id>").
func SessionID(deviceID string, firstMicros int64, firstEventID string) string {
	b := make([]byte, 0, len(deviceID)+len(firstEventID)+22)
	b = append(b, deviceID...)
	b = append(b, '|')
	b = strconv.AppendInt(b, firstMicros, 10)
	b = append(b, '|')
	b = append(b, firstEventID...)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Accumulators are encoded with structs as arrays: no field names per hit.
func encodeAccumulator(a Accumulator) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseArrayEncodedStructs(true)
	if err := enc.Encode(&a); err != nil {
		return nil, fmt.Errorf("encode sessionize.Accumulator: %w", err)
	}
	return buf.Bytes(), nil
}

func decodeAccumulator(b []byte) (Accumulator, error) {
	var a Accumulator
	if err := msgpack.Unmarshal(b, &a); err != nil {
		return Accumulator{}, fmt.Errorf("decode sessionize.Accumulator: %w", err)
	}
	return a, nil
}
