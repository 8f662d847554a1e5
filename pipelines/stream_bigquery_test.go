package pipelines

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"

	"github.com/example/clickstream/io/bqwarehouse/bqfake"
	"github.com/example/clickstream/io/bqwarehouse/storagewrite"
	"github.com/example/clickstream/io/bqwarehouse/storagewrite/storagewritetest"
	"github.com/example/clickstream/schemas"
)

// TestStreamingBigQuery runs the streaming pipeline from pstest into the
// in-process BigQuery servers (tables created through the REST fake, which
// answers 503 twice; rows through the Storage Write fake, which fails
// transiently twice) while BigQuery refuses rows of every table:
//
//   - fact_events: every search event; its fallback dead letter is written;
//   - bot_events: every bot of the IP rule, and their fallback rows too, so
//     those records are unwritable;
//   - dead_letter: every bad_json dead letter (before, it was lost and its
//     message never acknowledged, so redelivered for ever);
//   - fact_sessions: every session (its fallback is written, apart from
//     the records' accounting).
//
// Nothing is lost: every record is counted where it ended, every message
// is acknowledged, the run reconciles, and the tables hold exactly what the
// summary says.
func TestStreamingBigQuery(t *testing.T) {
	srv := pstest.NewServer()
	t.Cleanup(func() { _ = srv.Close() })
	t.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	rest := bqfake.NewServer("demo")
	t.Cleanup(rest.Close)
	rest.AddDataset("clickstream", "US")
	rest.FailRequests("GET /projects/demo/datasets/clickstream/tables/", 2, http.StatusServiceUnavailable)
	write, err := storagewritetest.NewServer("demo", "clickstream")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(write.Close)
	write.FailNext(2)
	write.RejectRows(func(table string, row storagewritetest.Row) string {
		switch {
		case table == "fact_events" && row["event_type"] == "search",
			table == "bot_events" && row["bot_rule"] == schemas.BotRuleIP,
			table == "dead_letter" && row["reason"] == schemas.ReasonBadJSON,
			table == "dead_letter" && strings.HasPrefix(fmt.Sprint(row["detail"]), "bot_events: "),
			table == "fact_sessions":
			return "refused by the test"
		}
		return ""
	})

	truth, c := streamingSample(t, 8, 1500, "demo", "raw-events", "clickstream")
	messages := c.PubSub.MaxMessages
	for _, topic := range []string{"abandonment", "anomalies"} {
		if _, err := srv.GServer.CreateTopic(context.Background(), &pubsubpb.Topic{Name: "projects/demo/topics/" + topic}); err != nil {
			t.Fatal(err)
		}
	}
	c.AbandonmentTopic, c.AnomalyTopic = "abandonment", "anomalies"
	c.Sink = SinkBigQuery
	c.BigQuery = BigQuery{Project: "demo", Dataset: "clickstream", CreateTables: true, Endpoint: rest.URL(), WriteEndpoint: write.Addr()}
	sum, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Reconciled {
		t.Fatalf("not reconciled: %v", sum.Problems)
	}
	if sum.InputRecords != int64(len(truth)) || sum.Messages != messages || sum.Acked != messages {
		t.Errorf("input_records %d (truth %d), messages read %d, acked %d, published %d",
			sum.InputRecords, len(truth), sum.Messages, sum.Acked, messages)
	}

	// Where the refused rows' records ended, against the generator's truth
	// (IP bots and dead letters are decided per record, as in batch). A
	// copy of an IP bot that dedup missed (past its horizon, see
	// TestStreamingEmulator) is refused once more.
	var ipBots, badJSON, duplicates int64
	for _, r := range truth {
		ipBots += b2i(r.Outcome == "bot" && r.BotRule == schemas.BotRuleIP)
		badJSON += b2i(r.Outcome == "dead_letter" && r.Reason == schemas.ReasonBadJSON)
		duplicates += b2i(r.Outcome == "duplicate")
	}
	if ipBots == 0 || badJSON == 0 {
		t.Fatalf("the sample has %d IP bots and %d bad_json dead letters: the test needs both", ipBots, badJSON)
	}
	ipRefused := sum.Rejected["bot_events"]
	if missed := duplicates - sum.Duplicates; ipRefused < ipBots || ipRefused > ipBots+missed {
		t.Errorf("%d IP bot rows refused, want the %d IP bots and at most %d copies dedup missed", ipRefused, ipBots, missed)
	}
	refusedEvents := sum.Rejected["fact_events"]
	if refusedEvents == 0 || sum.Rejected["dead_letter"] != badJSON ||
		sum.Rejected[RefusedFallback] != ipRefused || sum.Rejected["fact_sessions"] == 0 || len(sum.Rejected) != 5 {
		t.Errorf("bigquery_rejected %v, want fact_events > 0, bot_events %d, dead_letter %d, fact_sessions > 0, %q %d",
			sum.Rejected, ipRefused, badJSON, RefusedFallback, ipRefused)
	}
	if sum.Unwritable != ipRefused || sum.Bots[schemas.BotRuleIP] != 0 {
		t.Errorf("unwritable %d, bots by ip %d; want the %d refused IP bot rows unwritable", sum.Unwritable, sum.Bots[schemas.BotRuleIP], ipRefused)
	}
	if sum.DeadLetter[schemas.ReasonBadJSON] != 0 || sum.DeadLetter[storagewrite.Reason] != refusedEvents+badJSON {
		t.Errorf("dead letters %v, want no bad_json left and %d bigquery_rejected", sum.DeadLetter, refusedEvents+badJSON)
	}

	// The tables hold exactly what the summary counts.
	byReason := map[string]int64{}
	var sessionFallbacks int64
	hashed := regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	for _, d := range write.Rows("dead_letter") {
		if d["reason"] != storagewrite.Reason {
			byReason[d["reason"].(string)]++
			continue
		}
		if !hashed.MatchString(d["payload"].(string)) || d["event_id"] != nil || d["device_id"] != nil {
			t.Errorf("fallback row %v holds more than a hash of its row", d)
		}
		if d["source"] == "bigquery:fact_sessions" {
			sessionFallbacks++
			continue
		}
		byReason[storagewrite.Reason]++
	}
	for reason, n := range sum.DeadLetter {
		if byReason[reason] != n {
			t.Errorf("dead_letter holds %d rows of %s, the summary counts %d", byReason[reason], reason, n)
		}
	}
	if sessionFallbacks != sum.Rejected["fact_sessions"] {
		t.Errorf("dead_letter holds %d session fallbacks, %d sessions refused", sessionFallbacks, sum.Rejected["fact_sessions"])
	}
	for _, e := range write.Rows("fact_events") {
		if e["event_type"] == "search" {
			t.Fatalf("fact_events holds a search event: %v", e)
		}
	}
	if got := int64(len(write.Rows("fact_events"))); got != sum.Events {
		t.Errorf("fact_events holds %d rows, the summary counts %d", got, sum.Events)
	}
	if got := int64(len(write.Rows("bot_events"))); got != sumValues(sum.Bots) {
		t.Errorf("bot_events holds %d rows, the summary counts %d", got, sumValues(sum.Bots))
	}
	if got := int64(len(write.Rows("fact_sessions"))); got != 0 || sum.Sessions != 0 {
		t.Errorf("fact_sessions holds %d rows, the summary counts %d; want none", got, sum.Sessions)
	}
	// Every cart_abandonment and live_anomalies row was published, with its
	// id as the message attribute, and nothing else; the summary counts
	// every message on the topic.
	for _, live := range []struct{ table, id string }{{"cart_abandonment", "trigger_id"}, {"live_anomalies", "anomaly_id"}} {
		rows, published := map[string]bool{}, map[string]bool{}
		for _, r := range write.Rows(live.table) {
			rows[fmt.Sprint(r[live.id], "/", r["status"])] = true
		}
		var messages int64
		for _, m := range srv.Messages() {
			if id, ok := m.Attributes[live.id]; ok {
				var body map[string]any
				if err := json.Unmarshal(m.Data, &body); err != nil || body[live.id] != id {
					t.Fatalf("%s message %q has attribute %s=%s", live.table, m.Data, live.id, id)
				}
				published[fmt.Sprint(id, "/", body["status"])] = true
				messages++
			}
		}
		if fmt.Sprint(published) != fmt.Sprint(rows) {
			t.Errorf("%s: published %v, table holds %v", live.table, published, rows)
		}
		if sum.Published[live.table] != messages {
			t.Errorf("%s: the summary counts %d messages published, the topic holds %d", live.table, sum.Published[live.table], messages)
		}
		t.Logf("%s: %d distinct rows, all published", live.table, len(rows))
	}
	if _, ok := rest.Table("clickstream", "fact_events"); !ok {
		t.Error("fact_events was not created through the REST API")
	}
	t.Logf("%d messages, %d records: %d events (%d search events refused into dead_letter), %d IP bots unwritable, "+
		"%d bad_json dead letters replaced by fallbacks, %d sessions refused; with 2 transient Write API failures and 2 REST 503s",
		messages, sum.InputRecords, sum.Events, refusedEvents, sum.Unwritable, badJSON, sum.Rejected["fact_sessions"])
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
