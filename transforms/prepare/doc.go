// Package prepare is the first step after the read: it turns raw records
// into the events the per-device steps take, in one DoFn.
//
// Prepare (PCollection<schemas.Record> -> PCollection<schemas.Event>,
// PCollection<schemas.DeadLetter>) runs, on each record:
//
//  1. parse.Parser: splits a beacon, checks the raw event contract and
//     normalizes each event; a record or beacon element that breaks the
//     contract becomes a dead letter (see package parse);
//  2. botfilter.Marker on each event: the user-agent rule and the IP deny
//     list, which needs the raw IP (see package botfilter);
//  3. enrich.Enricher on each event: page, campaign, traffic source,
//     referrer, device and geo fields, and the raw IP replaced (see package
//     enrich).
//
// So every event it returns is parsed, marked when a rule matched, and
// enriched, and no raw IP leaves the step. A record yields exactly as many
// events and dead letters together as its InputRecords counts.
//
// # Why one step
//
// The three are packages of their own, each with its contract and tests,
// but one DoFn here. Between two DoFns Beam's Go SDK boxes the 1.2 KB Event
// into an interface and builds a MainInput per element: on the 1M-record
// bench run that was 3.3 GB of allocations, and the steps after parse ran
// on the bundle's one goroutine. In one DoFn the three run together on
// Options.Workers goroutines (internal/inorder): the read phase of that run
// went from about 14 s to 11.5 s.
//
// # Errors and counters
//
// Prepare panics on options that are invalid on their face (see each
// package's Options); a hash key, rule file or geo database that cannot be
// loaded fails the workers' Setup. A bad record never fails the job.
//
// Counters keep the namespaces of the packages whose work they count:
// parse.events and parse.dead_letter (per outcome of the parse);
// botfilter.marked_user_agent, botfilter.marked_ip and botfilter.not_marked
// (per event); enrich.enriched (per event) and enrich.ip_not_an_address.
package prepare
