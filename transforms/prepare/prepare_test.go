package prepare

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/example/clickstream/schemas"
	"github.com/example/clickstream/transforms/botfilter"
	"github.com/example/clickstream/transforms/enrich"
	"github.com/example/clickstream/transforms/parse"
)

func init() {
	register.Function1x1(eventKey)
	register.Function1x1(deadKey)
	register.Function1x1(eventDelivery)
	register.Function1x1(deadDelivery)
}

func TestMain(m *testing.M) { ptest.Main(m) }

const testKeyEnv = "CLICKSTREAM_TEST_HASH_KEY"

const (
	chromeUA    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	googlebotUA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)

// eventKey reduces an event to a field each of the three steps sets.
func eventKey(e schemas.Event) string {
	return strings.Join([]string{e.EventID, e.EventType, e.BotRule, e.PageHost, e.UTMSource, e.Browser, e.IP}, "|")
}

func deadKey(d schemas.DeadLetter) string {
	return fmt.Sprintf("%s:%d[%d] %s", d.Source, d.SourceLine, d.BeaconIndex, d.Reason)
}

// TestPrepare runs Prepare on the local runner, on the bundle's goroutine
// and on a pool, and checks both outputs and the counters.
func TestPrepare(t *testing.T) {
	t.Setenv(testKeyEnv, "test-key")
	deny := filepath.Join(t.TempDir(), "deny.txt")
	if err := os.WriteFile(deny, []byte("203.0.113.0/24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	event := func(id, ua, ip string) string {
		return fmt.Sprintf(`{"event_id":%q,"device_id":"d1","event_type":"Page_View","created_at":"2026-11-05T09:59:00Z",`+
			`"page_url":"https://Shop.Example.com/p/1?utm_source=news","user_agent":%q,"ip":%q}`, id, ua, ip)
	}
	lines := []string{
		`{"sent_at":"2026-11-05T10:00:00Z","events":[` + event("human", chromeUA, "198.51.100.23") + "," + event("crawler", googlebotUA, "198.51.100.24") + `]}`,
		event("denied-ip", chromeUA, "203.0.113.9"),
		`{not json`,
		event("no-address", chromeUA, "not-an-ip"),
	}
	arrived := time.Date(2026, 11, 5, 10, 0, 5, 0, time.UTC)
	var records []schemas.Record
	for i, l := range lines {
		records = append(records, schemas.Record{Source: "f.jsonl", Line: int64(i + 1), Data: []byte(l), Size: int64(len(l)), Arrived: arrived})
	}
	opts := Options{
		Parse:  parse.Options{HashKeyRef: "env:" + testKeyEnv, IPMode: "truncate"},
		Bots:   botfilter.Options{IPFile: deny},
		Enrich: enrich.Options{IPMode: "truncate"},
	}
	wantEvents := []any{
		"human|page_view||shop.example.com|news|Chrome|198.51.100.0",
		"crawler|page_view|user_agent|shop.example.com|news|Googlebot|198.51.100.0",
		"denied-ip|page_view|ip|shop.example.com|news|Chrome|203.0.113.0",
		"no-address|page_view||shop.example.com|news|Chrome|",
	}
	wantCounters := map[string]int64{
		"parse.events": 4, "parse.dead_letter": 1,
		"botfilter.marked_user_agent": 1, "botfilter.marked_ip": 1, "botfilter.not_marked": 2,
		"enrich.enriched": 4, "enrich.ip_not_an_address": 1,
	}
	for _, workers := range []int{0, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			opts.Workers = workers
			p, s := beam.NewPipelineWithRoot()
			events, dead := Prepare(s, beam.CreateList(s, records), opts)
			passert.Equals(s, beam.ParDo(s, eventKey, events), wantEvents...)
			passert.Equals(s, beam.ParDo(s, deadKey, dead), "f.jsonl:3[0] bad_json")
			res, err := ptest.RunWithMetrics(p)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, c := range res.Metrics().AllMetrics().Counters() {
				got[c.Namespace()+"."+c.Name()] += c.Result()
			}
			for name, want := range wantCounters {
				if got[name] != want {
					t.Errorf("counter %s = %d, want %d (all: %v)", name, got[name], want, got)
				}
			}
		})
	}
}

// TestPrepareMessageDelivery checks that every row of a Pub/Sub message (a
// record with Line 0) carries the message's Delivery, counting all its rows,
// and that file records carry none.
func TestPrepareMessageDelivery(t *testing.T) {
	t.Setenv(testKeyEnv, "test-key")
	published := time.Date(2026, 11, 5, 10, 0, 3, 0, time.UTC)
	watermark := published.Add(-time.Second)
	beacon := []byte(`{"sent_at":"2026-11-05T10:00:00Z","events":[` +
		`{"event_id":"e1","device_id":"d1","event_type":"page_view","created_at":"2026-11-05T09:59:00Z"},` +
		`{"event_id":"e2","device_id":"d1","event_type":"page_view","created_at":"2026-11-05T09:59:30Z"},` +
		`{"device_id":"d1","event_type":"page_view","created_at":"2026-11-05T09:59:40Z"}]}`)
	records := []schemas.Record{
		{Source: "pubsub:s", Data: beacon, Size: int64(len(beacon)), Arrived: published, AckID: "ack-1", Watermark: watermark},
		{Source: "pubsub:s", Data: []byte("{not json"), Size: 9, Arrived: published, AckID: "ack-2", Watermark: watermark},
		{Source: "f.jsonl", Line: 1, Data: beacon, Size: int64(len(beacon)), Arrived: published},
	}
	pipe, s := beam.NewPipelineWithRoot()
	events, dead := Prepare(s, beam.CreateList(s, records), Options{Parse: parse.Options{HashKeyRef: "env:" + testKeyEnv}})
	m := "rows=3 published=2026-11-05T10:00:03Z watermark=2026-11-05T10:00:02Z"
	passert.Equals(s, beam.ParDo(s, eventDelivery, events),
		"ack-1 "+m, "ack-1 "+m, "none rows=0 published=false", "none rows=0 published=false")
	passert.Equals(s, beam.ParDo(s, deadDelivery, dead),
		"ack-1 "+m, "ack-2 rows=1 published=2026-11-05T10:00:03Z watermark=2026-11-05T10:00:02Z",
		"none rows=0 published=false")
	ptest.RunAndValidate(t, pipe)
}

func deliveryKey(d schemas.Delivered) string {
	v := d.DeliveryOf()
	if v.AckID == "" {
		return fmt.Sprintf("none rows=%d published=%v", v.Rows, !v.Published.IsZero())
	}
	return fmt.Sprintf("%s rows=%d published=%s watermark=%s", v.AckID, v.Rows,
		v.Published.UTC().Format(time.RFC3339), v.Watermark.UTC().Format(time.RFC3339))
}

func eventDelivery(e schemas.Event) string { return deliveryKey(e) }

func deadDelivery(d schemas.DeadLetter) string { return deliveryKey(d) }

// TestPrepareBadOptions: options invalid on their face fail the graph's
// construction, naming the option.
func TestPrepareBadOptions(t *testing.T) {
	for _, tt := range []struct {
		opts Options
		want string
	}{
		{Options{Bots: botfilter.Options{UACacheSize: -1}}, "UACacheSize"},
		{Options{Enrich: enrich.Options{IPMode: "hash"}}, "needs HashKeyRef"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tt.want) {
					t.Errorf("Prepare(%+v): recovered %v, want a panic naming %q", tt.opts, r, tt.want)
				}
			}()
			_, s := beam.NewPipelineWithRoot()
			Prepare(s, beam.Create(s, schemas.Record{}), tt.opts)
		})
	}
}
