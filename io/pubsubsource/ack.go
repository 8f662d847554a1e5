package pubsubsource

import (
	"context"
	"fmt"
	"slices"

	"cloud.google.com/go/pubsub/v2"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/example/clickstream/schemas"
)

func init() {
	register.Function1x2(keyByAckID)
	register.DoFn6x1[context.Context, beam.EventTime, state.Provider, string, schemas.Delivery,
		func(beam.EventTime, string), error](&countFn{})
	register.DoFn4x1[context.Context, beam.EventTime, string, func(beam.EventTime, int64), error](&ackFn{})
	register.Emitter2[beam.EventTime, string]()
	register.Emitter2[beam.EventTime, int64]()
}

// Acknowledge acknowledges each message once all of its rows were written.
// delivered is a PCollection<schemas.Delivery> holding one element per row
// written or otherwise finally settled (e.g. a dropped duplicate), in any
// windowing; a message is acknowledged once Rows elements with its AckID
// have arrived, and at most once. Elements without an AckID are ignored.
//
// It returns a PCollection<int64> of acknowledged message counts (one
// element per Acknowledge batch). With o.Native it adds nothing to the graph
// and returns an empty PCollection (Dataflow acknowledges on its own).
func Acknowledge(s beam.Scope, o ReadOptions, delivered beam.PCollection) beam.PCollection {
	s = s.Scope("pubsub.Acknowledge")
	o = o.withDefaults()
	if o.Native {
		return beam.CreateList(s, []int64{})
	}
	keepKeysExclusive()
	global := beam.WindowInto(s, window.NewGlobalWindows(), delivered)
	complete := beam.ParDo(s, &countFn{
		Count: state.MakeValueState[int64]("count"),
		Acked: state.MakeValueState[bool]("acked"),
	}, beam.ParDo(s, keyByAckID, global))
	return beam.ParDo(s, &ackFn{Options: o}, complete)
}

// noRunnerSplits is the Prism experiment that turns off the runner's
// dynamic splitting of bundles.
const noRunnerSplits = "prism_disable_sdf_split"

// keepKeysExclusive asks the local runner not to split bundles. Prism
// splits a bundle that shows no progress between two progress reports; on
// a stateful stage the split hands the key of the split-off elements to a
// new bundle while the first one still holds that key's uncommitted state,
// and the bundle that commits last overwrites the other's state (Beam
// v2.77 runners/prism/internal/engine: stageState.splitBundle). countFn
// would lose a row count and never acknowledge the message, and
// every other stateful DoFn of the job its updates. The experiment is a
// job option, so it is set here, where the graph is built, for the job
// that Acknowledge is part of; Dataflow does not run this path.
func keepKeysExclusive() {
	if slices.Contains(jobopts.GetExperiments(), noRunnerSplits) {
		return
	}
	if *jobopts.Experiments != "" {
		*jobopts.Experiments += ","
	}
	*jobopts.Experiments += noRunnerSplits
}

// keyByAckID keys a delivery by its message.
func keyByAckID(d schemas.Delivery) (string, schemas.Delivery) {
	return d.AckID, d
}

// countedHook, when set, is called each time countFn has counted a row of a
// message without completing it: a seam for tests that hold the
// acknowledger's bundle there.
var countedHook func(ackID string)

// countFn counts the rows of each message (keyed by ack id, global window)
// and emits the ack id once all have arrived. Its state lives as long as the
// job: Acknowledge runs only off Dataflow, in local runs that end, and an
// event-time timer to forget acked messages would cost more than the state
// it frees, as Prism mishandles bundles with timers (apache/beam#35771).
type countFn struct {
	// Count is the rows seen so far.
	Count state.Value[int64]
	// Acked marks a message already emitted for acknowledgement.
	Acked state.Value[bool]

	ignored beam.Counter
}

func (fn *countFn) Setup() {
	fn.ignored = beam.NewCounter("pubsub", "deliveries_ignored")
}

func (fn *countFn) ProcessElement(ctx context.Context, ts beam.EventTime, sp state.Provider,
	ackID string, d schemas.Delivery, emit func(beam.EventTime, string)) error {
	if ackID == "" {
		fn.ignored.Inc(ctx, 1)
		return nil
	}
	acked, _, err := fn.Acked.Read(sp)
	if err != nil {
		return fmt.Errorf("pubsub: read acked: %w", err)
	}
	if acked {
		fn.ignored.Inc(ctx, 1)
		return nil
	}
	n, _, err := fn.Count.Read(sp)
	if err != nil {
		return fmt.Errorf("pubsub: read row count: %w", err)
	}
	n++
	if n < int64(d.Rows) {
		if err := fn.Count.Write(sp, n); err != nil {
			return fmt.Errorf("pubsub: write row count: %w", err)
		}
		if countedHook != nil {
			countedHook(ackID)
		}
		return nil
	}
	if err := fn.Acked.Write(sp, true); err != nil {
		return fmt.Errorf("pubsub: write acked: %w", err)
	}
	if err := fn.Count.Clear(sp); err != nil {
		return fmt.Errorf("pubsub: clear row count: %w", err)
	}
	emit(ts, ackID)
	return nil
}

// ackFn acknowledges ack ids in batches of at most maxAckIDs, at the latest
// when the bundle ends, and emits the count of each batch.
type ackFn struct {
	// Options are the read's options, defaults applied.
	Options ReadOptions

	client  *pubsub.Client
	keeper  *leaseKeeper
	pending []string
	// newest is the newest element timestamp pending: the batch's count is
	// emitted with it.
	newest beam.EventTime

	acked, leaseExtensions, leasesExpired beam.Counter
}

func (fn *ackFn) Setup(ctx context.Context) error {
	c, err := newClient(ctx, fn.Options.Project, fn.Options.Endpoint)
	if err != nil {
		return err
	}
	fn.client = c
	fn.keeper = keeperFor(fn.Options)
	fn.acked = beam.NewCounter("pubsub", "acked")
	fn.leaseExtensions, fn.leasesExpired = leaseCounters()
	return nil
}

func (fn *ackFn) Teardown() error {
	if fn.client == nil {
		return nil
	}
	return fn.client.Close()
}

func (fn *ackFn) ProcessElement(ctx context.Context, ts beam.EventTime, ackID string, emit func(beam.EventTime, int64)) error {
	if len(fn.pending) == 0 || ts > fn.newest {
		fn.newest = ts
	}
	fn.pending = append(fn.pending, ackID)
	if len(fn.pending) < maxAckIDs {
		return nil
	}
	return fn.flush(ctx, emit)
}

func (fn *ackFn) FinishBundle(ctx context.Context, emit func(beam.EventTime, int64)) error {
	return fn.flush(ctx, emit)
}

func (fn *ackFn) flush(ctx context.Context, emit func(beam.EventTime, int64)) error {
	extended, expired := fn.keeper.takeCounts()
	fn.leaseExtensions.Inc(ctx, extended)
	fn.leasesExpired.Inc(ctx, expired)
	if len(fn.pending) == 0 {
		return nil
	}
	if err := acknowledge(ctx, fn.client, fn.Options.Subscription, fn.pending); err != nil {
		return err
	}
	fn.keeper.release(fn.pending)
	n := int64(len(fn.pending))
	fn.acked.Inc(ctx, n)
	emit(fn.newest, n)
	fn.pending = fn.pending[:0]
	return nil
}
